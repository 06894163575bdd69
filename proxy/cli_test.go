package proxy_test

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sdocker/internal/testenv"
)

// The docker CLI through the proxy: a create is hardened by changing its body, as sdocker run
// hardens by flags, and what the daemon holds says so.
func TestCLICreateIsHardened(t *testing.T) {
	px := startProxy(t, "")
	r := docker(t, px.host(), "", "create", "--label", runLabel, image)
	if r.code != 0 {
		t.Fatalf("create: exit %d: %s", r.code, r.stderr)
	}
	hc := inspect(t, r.stdout)["HostConfig"].(map[string]any)
	for _, c := range []struct {
		key  string
		want string
	}{
		{"CapDrop", "[ALL]"},
		{"SecurityOpt", "[no-new-privileges]"},
		{"NetworkMode", "sdocker"},
		{"Memory", "1.073741824e+09"},
		{"NanoCpus", "1e+09"},
		{"PidsLimit", "512"},
		{"LogConfig", "map[Config:map[max-file:3 max-size:10m] Type:json-file]"},
	} {
		if got := fmt.Sprint(hc[c.key]); got != c.want {
			t.Errorf("HostConfig.%s = %s, want %s", c.key, got, c.want)
		}
	}
	// The log has the decision, with the client's uid and pid from the socket.
	var found bool
	for _, e := range decisions(t, px.log) {
		if e.Action == "create" && e.Image == image && e.Allowed {
			found = true
			if e.Peer == nil || e.Peer.UID != os.Getuid() || e.Peer.PID <= 0 {
				t.Errorf("decision's peer = %+v, want uid %d and a pid", e.Peer, os.Getuid())
			}
			if len(e.Additions) < 6 {
				t.Errorf("decision's additions = %+v", e.Additions)
			}
		}
	}
	if !found {
		t.Errorf("no create decision for %s in the log", image)
	}
}

// Refusals reach docker clients as the daemon's own errors, naming the rule and the field, and
// nothing is created.
func TestCLIRefusals(t *testing.T) {
	px := startProxy(t, "")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"privileged", []string{"--privileged"}, "Error response from daemon: sdocker: refused HostConfig.Privileged=true (rule privileged)"},
		{"docker socket", []string{"-v", "/var/run/docker.sock:/s"}, "(rule mounts)"},
		{"socket by mount", []string{"--mount", "type=bind,source=/run/docker.sock,target=/s"}, "(rule mounts)"},
		{"host pid", []string{"--pid", "host"}, "refused HostConfig.PidMode=host (rule host-namespaces)"},
		{"default bridge", []string{"--network", "bridge"}, "refused HostConfig.NetworkMode=bridge (rule network)"},
		{"cap add", []string{"--cap-add", "SYS_ADMIN"}, "refused HostConfig.CapAdd=CAP_SYS_ADMIN (rule capabilities)"},
		{"seccomp unconfined", []string{"--security-opt", "seccomp=unconfined"}, "(rule seccomp)"},
		{"device", []string{"--device", "/dev/null:/dev/x"}, "(rule devices)"},
		{"unlimited pids", []string{"--pids-limit", "-1"}, "(rule resources)"},
		// docker binds the socket it talks to, here the proxy's own.
		{"use-api-socket", []string{"--use-api-socket"}, "(rule mounts): a Docker API socket in a container"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"run", "--rm", "--label", runLabel, "--label", "case=" + tc.name}, tc.args...)
			r := docker(t, px.host(), "", append(args, image)...)
			if r.code == 0 || !strings.Contains(r.stderr, tc.want) || !strings.Contains(r.stderr, "to allow it, ") {
				t.Fatalf("exit %d, stderr %q; want a refusal containing %q and a way to allow it", r.code, r.stderr, tc.want)
			}
			if n := labelled(t, tc.name); n != 0 {
				t.Errorf("%d containers were created", n)
			}
		})
	}
}

// Streams through the proxy: run -i with piped stdin (a half-close, then the output), logs -f,
// events.
func TestCLIStreams(t *testing.T) {
	px := startProxy(t, "")
	t.Run("run -i", func(t *testing.T) {
		in := make([]byte, 256<<10)
		rand.Read(in)
		text := fmt.Sprintf("%x", in)
		r := docker(t, px.host(), text, "run", "--rm", "-i", "--label", runLabel, image, "cat")
		if r.code != 0 || r.stdout != text {
			t.Fatalf("exit %d, %d bytes back of %d; stderr %q", r.code, len(r.stdout), len(text), r.stderr)
		}
	})
	t.Run("logs -f", func(t *testing.T) {
		r := docker(t, px.host(), "", "run", "-d", "--label", runLabel, image, "say", "line", "20")
		if r.code != 0 {
			t.Fatalf("run -d: %s", r.stderr)
		}
		id := strings.TrimSpace(r.stdout)
		cmd := exec.Command("docker", "logs", "-f", id)
		cmd.Env = append(os.Environ(), "DOCKER_HOST="+px.host())
		out, _ := cmd.StdoutPipe()
		start := time.Now()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 64)
		n, _ := out.Read(buf)
		// The first line arrives while the container still runs (about a second in all).
		if !strings.HasPrefix(string(buf[:n]), "line ") || time.Since(start) > 800*time.Millisecond {
			t.Errorf("first bytes %q after %v: logs -f was not flushed at once", buf[:n], time.Since(start))
		}
		rest, _ := readAll(out)
		cmd.Wait()
		if got := strings.Count(string(buf[:n])+rest, "line "); got != 20 {
			t.Errorf("logs -f gave %d lines, want 20", got)
		}
	})
	t.Run("events", func(t *testing.T) {
		cmd := exec.Command("docker", "events", "--filter", "label="+runLabel, "--filter", "event=create", "--format", "{{.Action}} {{.Actor.Attributes.case}}")
		cmd.Env = append(os.Environ(), "DOCKER_HOST="+px.host())
		out, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer cmd.Process.Kill()
		time.Sleep(300 * time.Millisecond)
		if r := docker(t, px.host(), "", "create", "--label", runLabel, "--label", "case=events", image); r.code != 0 {
			t.Fatal(r.stderr)
		}
		line := make(chan string, 1)
		go func() {
			buf := make([]byte, 128)
			n, _ := out.Read(buf)
			line <- string(buf[:n])
		}()
		select {
		case l := <-line:
			if !strings.HasPrefix(l, "create events") {
				t.Errorf("event %q", l)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no event came through the proxy")
		}
	})
}

// A classic build goes through, its context streamed whatever its size (40 MiB here, above
// what the proxy reads of a body it judges); one on the host's network is refused.
func TestCLIClassicBuild(t *testing.T) {
	px := startProxy(t, "")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "big"), make([]byte, 40<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM "+image+"\nLABEL "+strings.Replace(runLabel, "=", "=\"", 1)+"\"\nRUN [\"/ctr\"]\n"), 0o644)
	tag := strings.Replace(image, ":", "-built:", 1)
	build := func(extra ...string) result {
		cmd := exec.Command("docker", append(append([]string{"build", "-q", "-t", tag}, extra...), dir)...)
		cmd.Env = append(os.Environ(), "DOCKER_HOST="+px.host(), "DOCKER_BUILDKIT=0")
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		return result{out.String(), errb.String(), code}
	}
	defer exec.Command("docker", "rmi", "-f", tag).Run()
	if r := build(); r.code != 0 {
		t.Fatalf("classic build: exit %d: %s", r.code, r.stderr)
	}
	if r := build("--network", "host"); r.code == 0 || !strings.Contains(r.stderr, "sdocker: refused networkmode=host (rule host-namespaces)") {
		t.Fatalf("build --network host: exit %d: %s", r.code, r.stderr)
	}
}

// exec and update are decided like their CLI forms; connect too.
func TestCLIExecUpdateConnect(t *testing.T) {
	px := startProxy(t, "")
	r := docker(t, px.host(), "", "run", "-d", "--label", runLabel, image, "sleep")
	if r.code != 0 {
		t.Fatal(r.stderr)
	}
	id := strings.TrimSpace(r.stdout)
	defer exec.Command("docker", "rm", "-f", id).Run()
	for _, tc := range []struct {
		name string
		args []string
		want string // "" = allowed
	}{
		{"exec", []string{"exec", id, "/ctr"}, ""},
		{"exec privileged", []string{"exec", "--privileged", id, "/ctr"}, "sdocker: refused Privileged=true (rule privileged)"},
		{"update within", []string{"update", "--memory", "2g", id}, ""},
		{"update beyond", []string{"update", "--memory", "100g", id}, "sdocker: refused Memory=107374182400 (rule resources)"},
		{"update unlimited pids", []string{"update", "--pids-limit", "-1", id}, "(rule resources)"},
		{"connect bridge", []string{"network", "connect", "bridge", id}, "sdocker: refused network bridge (rule network)"},
		{"connect host", []string{"network", "connect", "host", id}, "sdocker: refused network host (rule host-namespaces)"},
		{"exec on no container", []string{"exec", "--privileged", "sdocker-no-such-ctr", "/ctr"}, "No such container: sdocker-no-such-ctr"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := docker(t, px.host(), "", tc.args...)
			switch {
			case tc.want == "" && r.code != 0:
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			case tc.want != "" && (r.code == 0 || !strings.Contains(r.stderr, tc.want)):
				t.Fatalf("exit %d, stderr %q; want %q", r.code, r.stderr, tc.want)
			}
		})
	}
}

func readAll(r interface{ Read([]byte) (int, error) }) (string, error) {
	var b bytes.Buffer
	_, err := b.ReadFrom(r)
	return b.String(), err
}

// BuildKit through the buildx plugin: only /session and /grpc (h2c upgrades), forwarded.
// BuildKit speaks gRPC through the proxy, where its entitlements cannot be read: refused unless
// the policy leaves them to the builder (runtime.builds.allow_buildx), then carried whole.
func TestBuildKitThroughProxy(t *testing.T) {
	if exec.Command("docker", "buildx", "version").Run() != nil {
		testenv.Missing(t, "docker buildx is not installed (scripts/install-api-clients.sh)")
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM "+image+"\nRUN [\"/ctr\", \"say\", \"built\", \"1\"]\n"), 0o644)
	tag := strings.Replace(image, ":", "-bk:", 1)
	defer exec.Command("docker", "rmi", "-f", tag).Run()
	strict := startProxy(t, "")
	if r := docker(t, strict.host(), "", "buildx", "build", "--no-cache", "--network", "host", "-t", tag, dir); r.code == 0 {
		t.Fatalf("buildx build --network host through the proxy: exit %d, want refused\n%s", r.code, r.stderr)
	}
	px := startProxy(t, "runtime:\n  builds:\n    allow_buildx: true\n")
	r := docker(t, px.host(), "", "buildx", "build", "--no-cache", "--progress", "plain", "-t", tag, dir)
	if r.code != 0 || !strings.Contains(r.stderr, "built 0") {
		t.Fatalf("buildx build: exit %d\n%s", r.code, r.stderr)
	}
	if exec.Command("docker", "image", "inspect", tag).Run() != nil {
		t.Errorf("the image %s was not made", tag)
	}
}
