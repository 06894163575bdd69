package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sdocker/internal/testenv"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// These tests start their own dockerd (beside the main test daemon) on a unix socket and on
// 127.0.0.1, with its own data root, exec root and pidfile, no bridge and no iptables, load
// the test image into it, and stop it (and everything it created) when they end.

type testDaemon struct {
	dir, sock, tcp string
}

// host is the daemon's unix socket as a -H value.
func (d *testDaemon) host() string { return "unix://" + d.sock }

// docker runs the real docker CLI against the test daemon.
func (d *testDaemon) docker(t testing.TB, args ...string) string {
	t.Helper()
	out, err := exec.Command("docker", append([]string{"-H", d.host()}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// startDaemon starts dockerd with config (written as its --config-file) and extra flags.
// tcp is "", or "listen" to add -H tcp://127.0.0.1:PORT.
func startDaemon(t testing.TB, config map[string]any, tcp bool, extra ...string) *testDaemon {
	t.Helper()
	requireDaemon(t)
	if _, err := exec.LookPath("dockerd"); err != nil {
		testenv.Missing(t, "dockerd is not on PATH")
	}
	// A short directory: unix socket paths (containerd's among them) are limited to 108 bytes.
	dir, err := os.MkdirTemp("/tmp", "sda")
	if err != nil {
		t.Fatal(err)
	}
	d := &testDaemon{dir: dir, sock: filepath.Join(dir, "d.sock")}
	cfgFile := filepath.Join(dir, "daemon.json")
	data, _ := json.Marshal(config)
	if err := os.WriteFile(cfgFile, data, 0o644); err != nil {
		t.Fatal(err)
	}
	// Its own bridge interface: a daemon started with --bridge=none deletes the host's docker0
	// (the other daemon's default bridge), and one left to the default would share it.
	bridge := "sdt" + filepath.Base(dir)[3:]
	if out, err := exec.Command("ip", "link", "add", bridge, "type", "bridge").CombinedOutput(); err != nil {
		t.Fatalf("creating bridge %s for the test daemon: %v\n%s", bridge, err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "link", "delete", bridge).Run() })
	args := []string{"--data-root", filepath.Join(dir, "data"), "--exec-root", filepath.Join(dir, "x"),
		"--pidfile", filepath.Join(dir, "pid"), "--config-file", cfgFile, "-H", d.host(),
		"--bridge=" + bridge, "--iptables=false"}
	if tcp {
		d.tcp = "tcp://127.0.0.1:" + strconv.Itoa(freePort(t))
		args = append(args, "-H", d.tcp)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, "dockerd", append(args, extra...)...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 20 * time.Second
	logf, err := os.Create(filepath.Join(dir, "log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting dockerd: %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		if out, err := exec.Command("docker", "-H", d.host(), "ps", "-aq").Output(); err == nil {
			if ids := strings.Fields(string(out)); len(ids) > 0 {
				exec.Command("docker", append([]string{"-H", d.host(), "rm", "-f"}, ids...)...).Run()
			}
		}
		// A stopped daemon leaves its networks' bridge interfaces on the host, each holding an
		// address pool: remove its networks while it runs.
		if out, err := exec.Command("docker", "-H", d.host(), "network", "ls", "-q", "--filter", "type=custom").Output(); err == nil {
			if ids := strings.Fields(string(out)); len(ids) > 0 {
				exec.Command("docker", append([]string{"-H", d.host(), "network", "rm"}, ids...)...).Run()
			}
		}
		cancel()
		<-exited
		logf.Close()
		// live-restore leaves the daemon's containerd running: stop it too.
		if pid, err := os.ReadFile(filepath.Join(dir, "x", "containerd", "containerd.pid")); err == nil {
			if n, err := strconv.Atoi(strings.TrimSpace(string(pid))); err == nil {
				syscall.Kill(n, syscall.SIGTERM)
			}
		}
		// With live-restore the containers outlive the daemon, each with its shim and the
		// network bridge it is on (an address pool each): stop each container's processes, then
		// its shim.
		if out, err := exec.Command("pgrep", "-f", "containerd-shim.* -address "+filepath.Join(dir, "x")+"/").Output(); err == nil {
			for _, f := range strings.Fields(string(out)) {
				if kids, err := exec.Command("pgrep", "-P", f).Output(); err == nil {
					for _, k := range strings.Fields(string(kids)) {
						if n, err := strconv.Atoi(k); err == nil {
							syscall.Kill(n, syscall.SIGKILL)
						}
					}
				}
				if n, err := strconv.Atoi(f); err == nil {
					syscall.Kill(n, syscall.SIGKILL)
				}
			}
		}
		unmountUnder(dir)
		if err := os.RemoveAll(dir); err != nil {
			t.Logf("removing %s: %v", dir, err)
		}
	})
	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var nd net.Dialer
		return nd.DialContext(ctx, "unix", d.sock)
	}}, Timeout: time.Second}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if resp, err := client.Get("http://d/_ping"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case <-exited:
			t.Fatalf("dockerd exited:\n%s", lastLines(filepath.Join(dir, "log"), 5))
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("dockerd did not answer within 30s:\n%s", lastLines(filepath.Join(dir, "log"), 20))
		}
	}
	// The test image, from the main daemon (imported by TestMain).
	img := filepath.Join(dir, "img.tar")
	if out, err := exec.Command("docker", "save", "-o", img, testImage).CombinedOutput(); err != nil {
		t.Fatalf("docker save: %v\n%s", err, out)
	}
	d.docker(t, "load", "-q", "-i", img)
	return d
}

func lastLines(path string, n int) string {
	data, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// unmountUnder detaches whatever a daemon that failed or was killed left mounted under dir.
func unmountUnder(dir string) {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return
	}
	lines := strings.Split(string(data), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if f := strings.Fields(lines[i]); len(f) > 4 && (f[4] == dir || strings.HasPrefix(f[4], dir+"/")) {
			syscall.Unmount(f[4], syscall.MNT_DETACH)
		}
	}
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

type auditFinding struct {
	ID, Severity, Target, Evidence string
}

// audit runs `sdocker audit --format json` and decodes the findings.
func runAudit(t *testing.T, failOn string, args ...string) ([]auditFinding, result) {
	t.Helper()
	r := sdocker(t, append([]string{"audit", "--format", "json", "--fail-on", failOn}, args...)...)
	var rep struct {
		Schema   string
		Findings []auditFinding
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || rep.Schema != "sdocker-audit/v1" {
		t.Fatalf("audit output is not a report (%v): %+v", err, r)
	}
	return rep.Findings, r
}

func findingFor(fs []auditFinding, id, target string) (auditFinding, bool) {
	for _, f := range fs {
		if f.ID == id && strings.Contains(f.Target, target) {
			return f, true
		}
	}
	return auditFinding{}, false
}

func TestAuditFindsAWeakDaemonAndDangerousContainers(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, map[string]any{}, true)

	// The daemon answers on TCP without TLS; sdocker refuses to use it, docker does not.
	if out, err := exec.Command("docker", "-H", d.tcp, "version", "--format", "{{.Server.Version}}").CombinedOutput(); err != nil {
		t.Fatalf("docker could not reach the daemon over TCP: %v\n%s", err, out)
	}
	if r := sdocker(t, "-H", d.tcp, "ps"); r.code != exitFailure || !strings.Contains(r.stderr, "without TLS verification") {
		t.Fatalf("sdocker -H %s ps: %+v, want a refusal", d.tcp, r)
	}

	// Privileged containers cannot start on these machines: created ones are audited too.
	d.docker(t, "create", "--name", "priv", "--network", "none", "--privileged", testImage, "sleep")
	d.docker(t, "run", "-d", "--name", "hostpid", "--network", "none", "--pid=host", testImage, "sleep")
	d.docker(t, "create", "--name", "sock", "--network", "none", "-v", "/var/run/docker.sock:/var/run/docker.sock", testImage, "sleep")

	fs, r := runAudit(t, "critical", "-H", d.host())
	if r.code != exitFindings || !strings.Contains(r.stderr, "at or above critical") {
		t.Errorf("audit exit %d (%q), want %d", r.code, r.stderr, exitFindings)
	}
	tests := []struct {
		name, id, target, severity string
	}{
		{"tcp without tls", "CIS-2.7", "daemon", "critical"},
		{"no log rotation", "SD-LOG-ROTATION", "daemon", "medium"},
		{"no daemon-wide no-new-privileges", "CIS-2.14", "daemon", "medium"},
		{"privileged container", "CIS-5.5", "container priv ", "critical"},
		{"host pid namespace", "CIS-5.16", "container hostpid ", "high"},
		{"docker.sock bind", "CIS-5.32", "container sock ", "critical"},
		{"container log not rotated", "SD-LOG-ROTATION", "container sock ", "low"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, ok := findingFor(fs, tc.id, tc.target)
			if !ok {
				t.Fatalf("no %s finding for %q in %+v", tc.id, tc.target, fs)
			}
			if f.Severity != tc.severity {
				t.Fatalf("%s on %s: severity %s, want %s", tc.id, f.Target, f.Severity, tc.severity)
			}
		})
	}
	if f, _ := findingFor(fs, "CIS-2.7", "daemon"); !strings.Contains(f.Evidence, d.tcp) {
		t.Errorf("CIS-2.7 evidence does not name %s: %q", d.tcp, f.Evidence)
	}

	for _, format := range []string{"text", "sarif"} {
		r := sdocker(t, "audit", "--format", format, "--fail-on", "none", "-H", d.host())
		if r.code != 0 || !strings.Contains(r.stdout, "CIS-5.32") {
			t.Errorf("audit --format %s: exit %d, output without CIS-5.32:\n%s%s", format, r.code, r.stdout, r.stderr)
		}
	}
}

func TestTLSInitSecuresADaemonAndItAuditsClean(t *testing.T) {
	t.Parallel()
	tlsDir := filepath.Join(t.TempDir(), "tls")
	if r := sdocker(t, "tls", "init", "--dir", tlsDir, "--ip", "127.0.0.1"); r.code != 0 {
		t.Fatalf("sdocker tls init: %+v", r)
	}
	if r := sdocker(t, "tls", "init", "--dir", tlsDir, "--ip", "127.0.0.1"); r.code != exitFailure || !strings.Contains(r.stderr, "refusing to overwrite") {
		t.Fatalf("second sdocker tls init: %+v, want a refusal", r)
	}
	// The client's files are in client/, apart from the CA's key and the daemon's.
	ca := filepath.Join(tlsDir, "ca.pem")
	cert, key := filepath.Join(tlsDir, "client", "cert.pem"), filepath.Join(tlsDir, "client", "key.pem")
	d := startDaemon(t, map[string]any{
		"tlsverify": true, "tlscacert": ca,
		"tlscert": filepath.Join(tlsDir, "server-cert.pem"), "tlskey": filepath.Join(tlsDir, "server-key.pem"),
		"no-new-privileges": true, "live-restore": true, "userland-proxy": false,
		"default-ulimits": map[string]any{"nofile": map[string]any{"Name": "nofile", "Soft": 1024, "Hard": 4096}},
		"log-opts":        map[string]string{"max-size": "10m", "max-file": "3"},
	}, true)

	r := sdocker(t, "-H", d.tcp, "--tlsverify", "--tlscacert", ca, "--tlscert", cert, "--tlskey", key, "ps", "-a")
	if r.code != 0 || !strings.Contains(r.stdout, "CONTAINER ID") {
		t.Fatalf("sdocker ps with the client certificate: %+v", r)
	}
	// Without a client certificate the daemon refuses the connection.
	onlyCA := t.TempDir()
	data, err := os.ReadFile(ca)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(onlyCA, "ca.pem"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	r = runBin(t, sdockerBin, "", []string{"DOCKER_CERT_PATH=" + onlyCA}, "-H", d.tcp, "--tlsverify", "ps")
	if r.code == 0 || !strings.Contains(r.stderr, "certificate") {
		t.Fatalf("sdocker ps without a client certificate: %+v, want the daemon to refuse it", r)
	}

	// A container created the way sdocker creates them.
	d.docker(t, "network", "create", "sdocker")
	d.docker(t, "create", "--name", "hardened", "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
		"--memory", "1g", "--cpus", "1", "--pids-limit", "512", "--network", "sdocker", "--cgroupns", "private",
		"--read-only", "--health-cmd", "/ctr status", testImage, "sleep")

	fs, r := runAudit(t, "low", "-H", d.host())
	// What a test cannot change on the host: user namespace remapping needs a subordinate id
	// range for a system user, the docker group is the host's, and icc=false needs iptables,
	// which a test daemon leaves to the host's own daemon (so it runs without iptables).
	hostOnly := map[string]bool{"CIS-2.9": true, "CIS-1.1.2": true, "CIS-2.2": true, "CIS-2.4": true}
	var bad []auditFinding
	for _, f := range fs {
		if f.Severity != "info" && !hostOnly[f.ID] {
			bad = append(bad, f)
		}
	}
	if len(bad) > 0 {
		t.Fatalf("the hardened setup has findings: %+v", bad)
	}
	if _, ok := findingFor(fs, "CIS-2.7", ""); ok {
		t.Fatal("TLS with client verification reported as a CIS-2.7 finding")
	}
	if want := map[bool]int{true: exitFindings, false: 0}[hasAtLeastLow(fs)]; r.code != want {
		t.Fatalf("audit --fail-on low exited %d, want %d", r.code, want)
	}
	t.Logf("findings on the hardened setup: %+v", fs)
}

func hasAtLeastLow(fs []auditFinding) bool {
	for _, f := range fs {
		if f.Severity != "info" {
			return true
		}
	}
	return false
}
