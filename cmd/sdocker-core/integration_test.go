package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sdocker/internal/testenv"
	"sdocker/internal/testimage"
	"strings"
	"testing"
	"time"
)

// The integration tests run the built sdocker binary against the real dockerd (started by
// scripts/start-dockerd.sh). Outside CI they skip loudly when no daemon answers; in CI they fail.

// testImage is this run's own tag of the test image, so that test runs of other checkouts on the
// same daemon cannot replace it under it.
var testImage = "sdocker-test/ctr:1"

var (
	sdockerBin string // the built binary
	daemonErr  error  // why the daemon cannot be used, if it cannot
	runLabel   string // label=value put on every container a test creates
)

func TestMain(m *testing.M) {
	os.Exit(func() int {
		dir, err := os.MkdirTemp("", "sdocker-it-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		// The front, the core and its helpers side by side, as installed: the tests run the front.
		sdockerBin = filepath.Join(dir, "sdocker")
		for out, pkg := range map[string]string{sdockerBin: "../sdocker", filepath.Join(dir, "sdocker-core"): ".",
			filepath.Join(dir, "sdocker-verify"):        "../sdocker-verify",
			filepath.Join(dir, "sdocker-verify-cosign"): "../sdocker-verify-cosign",
			filepath.Join(dir, "sdocker-stack"):         "../sdocker-stack"} {
			if msg, err := exec.Command("go", "build", "-o", out, pkg).CombinedOutput(); err != nil {
				fmt.Fprintf(os.Stderr, "building %s: %v\n%s", pkg, err, msg)
				return 1
			}
		}
		b := make([]byte, 4)
		rand.Read(b)
		runLabel = "sdocker-it=" + hex.EncodeToString(b)
		testImage = "sdocker-test/ctr:" + hex.EncodeToString(b)
		daemonErr = prepareDaemon(dir)
		code := m.Run()
		if daemonErr == nil {
			cleanupContainers()
		}
		return code
	}())
}

// prepareDaemon checks that a daemon answers and imports the test image: a static Go program
// (testdata/ctr) as /ctr, its entrypoint.
func prepareDaemon(dir string) error {
	if err := testimage.Import("./testdata/ctr", dir, testImage); err != nil {
		return err
	}
	if exec.Command("docker", "network", "inspect", "sdocker").Run() != nil {
		// Made as sdocker makes it (parallel tests would otherwise race to create it).
		if out, err := exec.Command("docker", "network", "create", "--label", "dev.sdocker.managed=true",
			"-o", "com.docker.network.bridge.enable_icc=false", "sdocker").CombinedOutput(); err != nil {
			return fmt.Errorf("creating network sdocker: %v\n%s", err, out)
		}
	}
	return nil
}

func cleanupContainers() {
	out, _ := exec.Command("docker", "ps", "-aq", "--filter", "label="+runLabel).Output()
	if ids := strings.Fields(string(out)); len(ids) > 0 {
		exec.Command("docker", append([]string{"rm", "-f"}, ids...)...).Run()
	}
	exec.Command("docker", "rmi", testImage).Run()
}

func requireDaemon(t testing.TB) {
	t.Helper()
	if daemonErr != nil {
		testenv.Missing(t, daemonErr.Error())
	}
}

type result struct {
	stdout, stderr string
	code           int
}

// run executes a binary with args, stdin and extra environment.
func runBin(t *testing.T, bin string, stdin string, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running %s %q: %v", bin, args, err)
	}
	return result{out.String(), errb.String(), code}
}

func sdocker(t *testing.T, args ...string) result {
	t.Helper()
	return runBin(t, sdockerBin, "", nil, args...)
}

func inspect(t *testing.T, id string) map[string]any {
	t.Helper()
	out, err := exec.Command("docker", "inspect", id).Output()
	if err != nil {
		t.Fatalf("docker inspect %s: %v", id, err)
	}
	var v []map[string]any
	if err := json.Unmarshal(out, &v); err != nil || len(v) != 1 {
		t.Fatalf("docker inspect %s: %v", id, err)
	}
	return v[0]
}

// appears waits up to 5 s for a path to exist (a socket a process it started makes), and
// reports whether it does.
func appears(p string) bool {
	for i := 0; i < 100; i++ {
		if _, err := os.Stat(p); err == nil {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

func labelled() []string { return []string{"--label", runLabel} }

func TestHardenedRun(t *testing.T) {
	requireDaemon(t)
	// The test image runs as root: it gets the setup set (CHOWN DAC_OVERRIDE FOWNER FSETID KILL
	// SETGID SETUID NET_BIND_SERVICE: bits 0 1 3 4 5 6 7 10); as a non-root user, nothing.
	for user, capEff := range map[string]string{"": "CapEff: 00000000000004fb", "1000": "CapEff: 0000000000000000"} {
		args := append([]string{"run", "--rm"}, labelled()...)
		if user != "" {
			args = append(args, "-u", user)
		}
		r := sdocker(t, append(args, testImage, "status")...)
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		for _, want := range []string{capEff, "NoNewPrivs: 1", "Seccomp: 2"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("user %q: container status lacks %q:\n%s", user, want, r.stdout)
			}
		}
	}
}

func TestCreateIsHardened(t *testing.T) {
	requireDaemon(t)
	r := sdocker(t, append(append([]string{"create"}, labelled()...), testImage, "sleep")...)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	c := inspect(t, strings.TrimSpace(r.stdout))
	hc := c["HostConfig"].(map[string]any)
	checks := map[string]any{
		"Memory":      float64(1 << 30),
		"NanoCpus":    float64(1e9),
		"PidsLimit":   float64(512),
		"NetworkMode": "sdocker",
		"CapDrop":     []any{"ALL"},
		"SecurityOpt": []any{"no-new-privileges"},
		"Privileged":  false,
	}
	for k, want := range checks {
		if got := hc[k]; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("HostConfig.%s = %v, want %v", k, got, want)
		}
	}
	logCfg := hc["LogConfig"].(map[string]any)["Config"].(map[string]any)
	if logCfg["max-size"] != "10m" || logCfg["max-file"] != "3" {
		t.Errorf("log options = %v, want max-size 10m, max-file 3", logCfg)
	}
	if out, err := exec.Command("docker", "network", "inspect", "--format", "{{.Driver}}", "sdocker").Output(); err != nil || strings.TrimSpace(string(out)) != "bridge" {
		t.Errorf("network sdocker: %v %s", err, out)
	}
}

func TestRefusedCommandsCreateNothing(t *testing.T) {
	requireDaemon(t)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"privileged", []string{"--privileged"}, "refused --privileged (rule privileged)"},
		{"privileged=1", []string{"--privileged=1"}, "refused --privileged=1 (rule privileged)"},
		{"cap-add", []string{"--cap-add", "cap_sys_admin"}, "refused --cap-add cap_sys_admin (rule capabilities)"},
		{"pid host", []string{"--pid=host"}, "refused --pid=host (rule host-namespaces)"},
		{"net host", []string{"--net", "host"}, "refused --net host (rule host-namespaces)"},
		{"docker.sock", []string{"-v", "/run/docker.sock:/s"}, "refused -v /run/docker.sock:/s (rule mounts)"},
		{"mount csv", []string{"--mount", `type=bind,"src=/var/run/docker.sock",dst=/s`}, "(rule mounts)"},
		{"api socket", []string{"--use-api-socket"}, "refused --use-api-socket (rule mounts)"},
		{"seccomp unconfined", []string{"--security-opt", "seccomp:unconfined"}, "(rule seccomp)"},
		{"device", []string{"--device", "/dev/null"}, "(rule devices)"},
		{"unlimited pids", []string{"--pids-limit", "-1"}, "(rule resources)"},
		{"unknown flag", []string{"--priviledged"}, "sdocker: unknown flag: --priviledged"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, cmd := range [][]string{{"create"}, {"run", "--rm"}, {"container", "create"}} {
				args := append(append(append(append([]string{}, cmd...), labelled()...), tc.args...), testImage, "say", "refused-marker", "", "0")
				r := sdocker(t, args...)
				if r.code != 125 {
					t.Fatalf("%q: exit %d, want 125; stderr %s", args, r.code, r.stderr)
				}
				lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
				if len(lines) != 1 || !strings.HasPrefix(lines[0], "sdocker: ") || !strings.Contains(lines[0], tc.want) {
					t.Fatalf("%q: stderr %q, want one line with %q", args, r.stderr, tc.want)
				}
				if r.stdout != "" {
					t.Fatalf("stdout %q, want nothing", r.stdout)
				}
			}
		})
	}
	// Nothing reached the daemon: no container but those the other tests made with sdocker.
	out, err := exec.Command("docker", "ps", "-a", "--no-trunc", "--filter", "label="+runLabel, "--format", "{{.Command}}").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if strings.Contains(c, "refused-marker") {
			t.Fatalf("a refused command created a container: %q", out)
		}
	}
}

func TestBehavesLikeDocker(t *testing.T) {
	requireDaemon(t)
	for _, tc := range []struct {
		name  string
		stdin string
		args  []string
	}{
		// Both on the policy's network, so that only sdocker's hardening differs.
		{"exit status and streams", "", []string{"run", "--rm", "--network", "sdocker", testImage, "say", "to stdout", "to stderr", "3"}},
		{"stdin piping", "hello\nworld\n", []string{"run", "--rm", "-i", "--network", "sdocker", testImage, "cat"}},
		{"container arguments that look like flags", "", []string{"run", "--rm", "--network", "sdocker", testImage, "say", "--privileged", "-v", "0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := runBin(t, "docker", tc.stdin, nil, tc.args...)
			got := runBin(t, sdockerBin, tc.stdin, nil, tc.args...)
			if got != want {
				t.Fatalf("sdocker %+v\ndocker  %+v", got, want)
			}
		})
	}
}

func TestPassThroughIsByteForByte(t *testing.T) {
	requireDaemon(t)
	for _, args := range [][]string{
		{"ps", "-a", "--filter", "label=" + runLabel, "--format", "{{.Image}} {{.Command}}"},
		{"images", "--format", "{{.Repository}}:{{.Tag}}", testImage},
		{"--version"},
		{"-D", "info", "--format", "{{.Driver}}"},
		{"inspect", "--format", "{{.Config.Entrypoint}}", testImage},
		{"no-such-command"},
		{"ps", "--no-such-flag"},
		{"run", "--help"},
		{"logs", "no-such-container"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			want := runBin(t, "docker", "", nil, args...)
			got := runBin(t, sdockerBin, "", nil, args...)
			if got != want {
				t.Fatalf("sdocker %+v\ndocker  %+v", got, want)
			}
		})
	}
}

func TestInstalledAsDocker(t *testing.T) {
	requireDaemon(t)
	// Installed as a symlink named docker early in PATH: the front finds its core beside its
	// real path, and neither takes the other, nor itself, for the real docker.
	dir := t.TempDir()
	if err := os.Symlink(sdockerBin, filepath.Join(dir, "docker")); err != nil {
		t.Fatal(err)
	}
	path := "PATH=" + dir + string(os.PathListSeparator) + os.Getenv("PATH")
	shim := filepath.Join(dir, "docker")
	if r := runBin(t, shim, "", []string{path}, "ps", "-q", "--filter", "label=none"); r.code != 0 {
		t.Fatalf("docker ps through sdocker installed as docker: %+v", r)
	}
	if r := runBin(t, shim, "", []string{path}, append(append([]string{"create"}, labelled()...), "--privileged", testImage)...); r.code != 125 || !strings.Contains(r.stderr, "rule privileged") {
		t.Fatalf("privileged through sdocker installed as docker: %+v", r)
	}
}

func TestExecAndUpdateAreDecided(t *testing.T) {
	requireDaemon(t)
	r := sdocker(t, append(append([]string{"run", "-d"}, labelled()...), testImage, "sleep")...)
	if r.code != 0 {
		t.Fatalf("run -d: %+v", r)
	}
	id := strings.TrimSpace(r.stdout)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"exec", "--privileged", id, "/ctr", "status"}, 125, "rule privileged"},
		{[]string{"container", "exec", "--privileged=true", id, "/ctr", "status"}, 125, "rule privileged"},
		{[]string{"exec", id, "/ctr", "status"}, 0, "NoNewPrivs: 1"},
		{[]string{"update", "--memory", "0", id}, 125, "means unlimited"},
		{[]string{"update", "--pids-limit", "-1", id}, 125, "means unlimited"},
		{[]string{"container", "update", "--cpus", "16", id}, 125, "above the policy's maximum"},
		{[]string{"update", "--memory", "512m", "--memory-swap", "1g", id}, 0, id},
	} {
		r := sdocker(t, tc.args...)
		if r.code != tc.code || !strings.Contains(r.stdout+r.stderr, tc.want) {
			t.Errorf("%q: exit %d (want %d), output %q (want %q)", tc.args, r.code, tc.code, r.stdout+r.stderr, tc.want)
		}
	}
}

func TestVolumesFromCannotBorrowASensitiveBind(t *testing.T) {
	requireDaemon(t)
	out, err := exec.Command("docker", append(append([]string{"create"}, labelled()...), "-v", "/var/run/docker.sock:/s", testImage)...).Output()
	if err != nil {
		t.Fatal(err)
	}
	donor := strings.TrimSpace(string(out))
	r := sdocker(t, append(append([]string{"create"}, labelled()...), "--volumes-from", donor+":ro", testImage)...)
	if r.code != 125 || !strings.Contains(r.stderr, "which binds /var/run/docker.sock") {
		t.Fatalf("volumes-from a docker.sock bind: %+v", r)
	}
}

func TestDaemonReferencesAreSeenThrough(t *testing.T) {
	requireDaemon(t)
	plain := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("docker", args...).CombinedOutput()
		if err != nil {
			t.Fatalf("docker %q: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	vol := "sdocker-it-etc-" + strings.TrimPrefix(runLabel, "sdocker-it=")
	plain("volume", "create", "--label", runLabel, "-o", "type=none", "-o", "o=bind", "-o", "device=/etc", vol)
	t.Cleanup(func() { exec.Command("docker", "volume", "rm", "-f", vol).Run() })
	hostNet := plain(append(append([]string{"create"}, labelled()...), "--network", "host", testImage)...)
	hostPID := plain(append(append([]string{"create"}, labelled()...), "--pid", "host", testImage)...)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-v", vol + ":/x"}, "(volume " + vol + ", created with -o device=/etc -o o=bind -o type=none)"},
		{[]string{"--mount", "type=volume,src=" + vol + ",dst=/x"}, "host path /etc is on the policy's deny list"},
		{[]string{"--network", "container:" + hostNet}, "shares the host's namespace"},
		{[]string{"--pid=container:" + hostPID}, "shares the host's namespace"},
	} {
		r := sdocker(t, append(append(append([]string{"create"}, labelled()...), tc.args...), testImage)...)
		if r.code != 125 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%q: %+v, want a refusal saying %q", tc.args, r, tc.want)
		}
	}
	ordinary := vol + "-ordinary"
	r := sdocker(t, append(append([]string{"create"}, labelled()...), "-v", ordinary+":/x", testImage)...)
	if r.code != 0 {
		t.Errorf("an ordinary named volume was refused: %+v", r)
	}
	t.Cleanup(func() {
		exec.Command("docker", "rm", "-f", strings.TrimSpace(r.stdout)).Run()
		exec.Command("docker", "volume", "rm", "-f", ordinary).Run()
	})
}

func TestWarnModeRunsWithAWarning(t *testing.T) {
	requireDaemon(t)
	pol := filepath.Join(t.TempDir(), "policy.yaml")
	os.WriteFile(pol, []byte("version: 1\nmode: warn\n"), 0o644)
	r := runBin(t, sdockerBin, "", []string{"SDOCKER_POLICY=" + pol}, append(append([]string{"create"}, labelled()...), "--privileged", testImage)...)
	if r.code != 0 || !strings.Contains(r.stderr, "warning (mode: warn)") {
		t.Fatalf("warn mode: %+v", r)
	}
	if hc := inspect(t, strings.TrimSpace(r.stdout))["HostConfig"].(map[string]any); hc["Privileged"] != true {
		t.Fatalf("warn mode did not pass --privileged through")
	}
}

func TestTCPWithoutTLSIsRefused(t *testing.T) {
	for _, tc := range []struct {
		env  []string
		args []string
	}{
		{nil, []string{"-H", "tcp://127.0.0.1:1", "ps"}},
		{[]string{"DOCKER_HOST=tcp://127.0.0.1:1"}, []string{"ps"}},
		{[]string{"DOCKER_HOST=tcp://127.0.0.1:1"}, []string{"run", "busybox"}},
	} {
		r := runBin(t, sdockerBin, "", tc.env, tc.args...)
		if r.code != 125 || !strings.Contains(r.stderr, "without TLS verification") || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("%v %q: %+v", tc.env, tc.args, r)
		}
	}
}
