package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The CI runners' job shapes (testdata/ci), replayed through the sdocker binary against the real
// dockerd as the runners send them: as the runner's own non-root user in the docker group, in
// directories laid out and owned as the runner's, with the corpus' command lines.

// ciUser is the runner's account: the docker CLI (here sdocker) runs as it.
type ciUser struct {
	uid, gid uint32
	home     string
	env      []string // the runner's variables in the CLI's environment
	policy   string
}

// ciHost prepares what a runner host has: the binaries installed where the runner's user can
// run them, and that user's home. The directories' parent is root's, as /home is.
func ciHost(t *testing.T, uid uint32) (root, bin string, u ciUser) {
	t.Helper()
	requireDaemon(t)
	root = t.TempDir()
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	bin = filepath.Join(root, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"sdocker", "sdocker-core", "sdocker-verify", "sdocker-stack"} {
		copyFile(t, filepath.Join(filepath.Dir(sdockerBin), name), filepath.Join(bin, name), 0o755)
	}
	u = ciUser{uid: uid, gid: uid, home: ciDir(t, root, "home", uid)}
	return root, bin, u
}

// ciDir makes dir under root (and its parents, each owned as the runner's) owned by uid.
func ciDir(t *testing.T, root, dir string, uid uint32) string {
	t.Helper()
	p := root
	for _, part := range strings.Split(dir, "/") {
		p = filepath.Join(p, part)
		if err := os.Mkdir(p, 0o755); err != nil && !os.IsExist(err) {
			t.Fatal(err)
		}
		if err := os.Chown(p, int(uid), int(uid)); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// run runs bin/sdocker ARGS as the runner's user, in the docker group, with the runner's
// environment: what the runner's process starter does with the docker CLI.
func (u ciUser) run(t *testing.T, bin string, args ...string) result {
	t.Helper()
	g, err := user.LookupGroup("docker")
	if err != nil {
		t.Fatalf("the docker group: %v", err)
	}
	gid, _ := strconv.Atoi(g.Gid)
	cmd := exec.Command(filepath.Join(bin, "sdocker"), args...)
	cmd.Dir = u.home
	cmd.Env = append([]string{"HOME=" + u.home, "PATH=" + bin + ":" + os.Getenv("PATH"), "SDOCKER_POLICY=" + u.policy}, u.env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: u.uid, Gid: u.gid, Groups: []uint32{uint32(gid)}}}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running sdocker %q as uid %d: %v", args, u.uid, err)
	}
	return result{out.String(), errb.String(), code}
}

// must runs a corpus command line and fails the test unless it succeeds.
func (u ciUser) must(t *testing.T, bin string, args ...string) string {
	t.Helper()
	r := u.run(t, bin, args...)
	if r.code != 0 {
		t.Fatalf("sdocker %q: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
	}
	return strings.TrimSpace(r.stdout)
}

// corpusEntry returns one entry of the corpus with layout's placeholders and the run's own
// names (repl: the corpus' names, labels and images for this run's).
func corpusEntry(t *testing.T, name string, layout map[string]string, repl map[string]string) ciEntry {
	t.Helper()
	for _, e := range loadCorpus(t, layout) {
		if e.name != name {
			continue
		}
		for i, a := range e.argv {
			e.argv[i] = expand(a, repl)
		}
		for i, kv := range e.env {
			e.env[i] = expand(kv, repl)
		}
		return e
	}
	t.Fatalf("no corpus entry %s", name)
	return ciEntry{}
}

// ciPolicy writes the runner's preset, as sdocker policy preset prints it, with its policed
// socket at root/proxy/docker.sock (a socket of this test's own proxy), and returns its path.
func ciPolicy(t *testing.T, root, runner string) string {
	t.Helper()
	r := sdocker(t, "policy", "preset", runner)
	if r.code != 0 {
		t.Fatalf("sdocker policy preset %s: exit %d: %s", runner, r.code, r.stderr)
	}
	const policed = "policed: /run/sdocker/sockets/docker.sock"
	if !strings.Contains(r.stdout, policed) {
		t.Fatalf("the %s preset has no %q:\n%s", runner, policed, r.stdout)
	}
	p := filepath.Join(root, runner+".yaml")
	body := strings.Replace(r.stdout, policed, "policed: "+filepath.Join(root, "proxy", "docker.sock"), 1)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// removeLater removes containers by label and networks by name when the test ends.
func removeLater(t *testing.T, label string, networks ...string) {
	t.Cleanup(func() {
		out, _ := exec.Command("docker", "ps", "-aq", "--filter", "label="+label).Output()
		if ids := strings.Fields(string(out)); len(ids) > 0 {
			exec.Command("docker", append([]string{"rm", "-f"}, ids...)...).Run()
		}
		for _, n := range networks {
			exec.Command("docker", "network", "rm", n).Run()
		}
	})
}

// Jenkins' docker.inside as the docker pipeline plugin runs it on an agent whose user is uid
// 1000: run -t -d -u 1000:1000 -w WS -v WS:WS:rw,z -v WS@tmp:WS@tmp:rw,z … cat, then each sh
// step as docker exec, the step writing the workspace as the agent's user; docker top finds cat;
// stop and rm.
func TestCIJenkinsInside(t *testing.T) {
	start := time.Now()
	root, bin, u := ciHost(t, 1000)
	ws := ciDir(t, root, "agent/workspace/app", 1000)
	tmp := ciDir(t, root, "agent/workspace/app@tmp/durable-0a1b2c3d", 1000)
	script := filepath.Join(tmp, "script.sh")
	if err := os.WriteFile(script, []byte("echo built by $BUILD_TAG > \"$WORKSPACE/out.txt\"\nid -u\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chown(script, 1000, 1000)
	u.policy = ciPolicy(t, root, "jenkins")
	img := requireReplica(t, "apt")
	label := "sdocker-ci-jenkins=" + randomHex(4)
	removeLater(t, label)
	repl := map[string]string{"maven:3-eclipse-temurin-21": img}
	layout := map[string]string{"{JWS}": ws}

	run := corpusEntry(t, "inside-run", layout, repl)
	u.env = run.env
	// The run's own label, to find what to remove: the plugin passes args where --label fits.
	argv := append([]string{run.argv[0], "--label", label}, run.argv[1:]...)
	id := u.must(t, bin, argv...)
	hc := inspect(t, id)["HostConfig"].(map[string]any)
	if hc["CapDrop"] == nil || hc["Privileged"] != false {
		t.Errorf("docker.inside's container is not hardened: CapDrop %v Privileged %v", hc["CapDrop"], hc["Privileged"])
	}
	top := corpusEntry(t, "inside-top", layout, map[string]string{"0b6f1a2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4": id})
	if out := u.must(t, bin, top.argv...); !strings.Contains(out, "cat") {
		t.Errorf("docker top finds no cat:\n%s", out)
	}
	step := corpusEntry(t, "inside-exec-sh", layout, map[string]string{"0b6f1a2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4": id})
	if out := u.must(t, bin, step.argv...); !strings.HasSuffix(out, "1000") {
		t.Errorf("the step ran as %q, want uid 1000", out)
	}
	if b, err := os.ReadFile(filepath.Join(ws, "out.txt")); err != nil || strings.TrimSpace(string(b)) != "built by jenkins-app-42" {
		t.Errorf("the step's file in the workspace: %q, %v", b, err)
	}
	stop := corpusEntry(t, "inside-stop", layout, map[string]string{"0b6f1a2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4": id})
	u.must(t, bin, stop.argv...)
	u.must(t, bin, "rm", "-f", id)
	t.Logf("Jenkins docker.inside replayed in %v", time.Since(start))
}
