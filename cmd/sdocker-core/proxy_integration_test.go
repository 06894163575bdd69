package main

import (
	"net"
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

// sdocker proxy as installed: the socket appears with its group and mode, a client meets the
// policy, and SIGTERM stops it cleanly (exit 0, socket removed) with a stream still open.
func TestProxyVerbLifecycle(t *testing.T) {
	requireDaemon(t)
	dir := t.TempDir()
	sock := filepath.Join(dir, "docker.sock")
	group := "daemon"
	g, err := user.LookupGroup(group)
	if err != nil {
		t.Fatalf("looking up group %s: %v", group, err)
	}
	cmd := exec.Command(sdockerBin, "proxy", "--listen", "unix://"+sock, "--group", group, "--mode", "0660")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	appears(sock)
	fi, err := os.Stat(sock)
	if err != nil {
		t.Fatalf("no socket: %v; %s", err, stderr.String())
	}
	st := fi.Sys().(*syscall.Stat_t)
	if fi.Mode().Perm() != 0o660 || strconv.Itoa(int(st.Gid)) != g.Gid {
		t.Errorf("socket mode %v gid %d, want 0660 and %s (%s)", fi.Mode().Perm(), st.Gid, g.Gid, group)
	}
	host := []string{"DOCKER_HOST=unix://" + sock}
	if r := runBin(t, "docker", "", host, "run", "--rm", "--privileged", testImage); r.code == 0 ||
		!strings.Contains(r.stderr, "Error response from daemon: sdocker: refused HostConfig.Privileged=true (rule privileged)") {
		t.Errorf("privileged through sdocker proxy: exit %d, %s", r.code, r.stderr)
	}
	events := exec.Command("docker", "events")
	events.Env = append(os.Environ(), host...)
	if err := events.Start(); err != nil {
		t.Fatal(err)
	}
	defer events.Process.Kill()
	time.Sleep(300 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("after SIGTERM: %v; %s", err, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("sdocker proxy did not stop on SIGTERM")
	}
	if _, err := os.Stat(sock); !os.IsNotExist(err) {
		t.Errorf("the socket is still there after SIGTERM: %v", err)
	}
	evDone := make(chan struct{})
	go func() { events.Wait(); close(evDone) }()
	select {
	case <-evDone:
	case <-time.After(5 * time.Second):
		t.Error("the events stream was not closed on shutdown")
	}
}

// Bad input to sdocker proxy: one line, exit 125, nothing listens.
func TestProxyVerbBadInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no listen", []string{"proxy"}, "--listen is required"},
		{"tcp without TLS", []string{"proxy", "--listen", "tcp://127.0.0.1:2375"}, "on TCP the proxy listens only with mutual TLS"},
		{"tcp with half the TLS", []string{"proxy", "--listen", "tcp://127.0.0.1:2375", "--listen-ca", "ca.pem"}, "give --listen-ca, --listen-cert and --listen-key"},
		{"other scheme", []string{"proxy", "--listen", "http://x"}, "expected unix:///PATH or tcp://ADDR:PORT"},
		{"mode", []string{"proxy", "--listen", "unix:///tmp/x.sock", "--mode", "rw"}, "--mode rw: expected permission bits in octal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := sdocker(t, tc.args...)
			if r.code != 125 || !strings.HasPrefix(r.stderr, "sdocker: ") || !strings.Contains(r.stderr, tc.want) || strings.Count(r.stderr, "\n") != 1 {
				t.Errorf("exit %d, stderr %q; want 125 and one line with %q", r.code, r.stderr, tc.want)
			}
		})
	}
}

// On TCP, sdocker proxy listens only with mutual TLS: a client with a certificate from the CA
// meets the policy, a client without one is turned away in the handshake.
func TestProxyVerbMutualTLS(t *testing.T) {
	requireDaemon(t)
	dir := t.TempDir()
	certs := filepath.Join(dir, "tls")
	if r := sdocker(t, "tls", "init", "--dir", certs, "--ip", "127.0.0.1"); r.code != 0 {
		t.Fatalf("tls init: %+v", r)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(sdockerBin, "proxy", "--listen", "tcp://"+addr, "--listen-ca", filepath.Join(certs, "ca.pem"),
		"--listen-cert", filepath.Join(certs, "server-cert.pem"), "--listen-key", filepath.Join(certs, "server-key.pem"))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	for i := 0; i < 100; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	client := filepath.Join(certs, "client")
	withCert := []string{"--tlsverify", "--tlscacert", filepath.Join(client, "ca.pem"), "--tlscert", filepath.Join(client, "cert.pem"),
		"--tlskey", filepath.Join(client, "key.pem"), "-H", "tcp://" + addr}
	if r := runBin(t, "docker", "", nil, append(withCert, "run", "--rm", "--privileged", testImage)...); r.code == 0 ||
		!strings.Contains(r.stderr, "Error response from daemon: sdocker: refused HostConfig.Privileged=true (rule privileged)") {
		t.Errorf("privileged over mutual TLS: exit %d, %s; proxy said %s", r.code, r.stderr, stderr.String())
	}
	if r := runBin(t, "docker", "", nil, append(withCert, "version", "--format", "{{.Server.APIVersion}}")...); r.code != 0 {
		t.Errorf("version over mutual TLS: exit %d, %s", r.code, r.stderr)
	}
	noCert := []string{"--tlsverify", "--tlscacert", filepath.Join(client, "ca.pem"), "-H", "tcp://" + addr, "version", "--format", "{{.Server.APIVersion}}"}
	if r := runBin(t, "docker", "", []string{"DOCKER_CERT_PATH=" + dir}, noCert...); r.code == 0 || !strings.Contains(r.stderr, "certificate") {
		t.Errorf("a client without a certificate: %+v; want it turned away in the TLS handshake", r)
	}
}
