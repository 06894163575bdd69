package main

import (
	"crypto/tls"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Review cases against a real dockerd (started by startDaemon, removed with everything in it).

// Containers that plain docker creates and the audit does not see for what they are.
func TestReviewAuditFindsWhatPlainDockerHides(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, map[string]any{}, false)
	d.docker(t, "volume", "create", "--opt", "type=none", "--opt", "o=bind", "--opt", "device=/", "hostroot")
	d.docker(t, "create", "--name", "unmasked", "--network", "none", "--security-opt", "systempaths=unconfined", testImage, "sleep")
	d.docker(t, "create", "--name", "volroot", "--network", "none", "-v", "hostroot:/host", testImage, "sleep")
	d.docker(t, "create", "--name", "ownsock", "--network", "none", "-v", d.sock+":/var/run/docker.sock", testImage, "sleep")
	d.docker(t, "create", "--name", "capall", "--network", "none", "--cap-add", "ALL", testImage, "sleep")
	// The CLI reads the file and sends the profile inline: the daemon holds only its JSON.
	allowAll := filepath.Join(t.TempDir(), "allow.json")
	if err := os.WriteFile(allowAll, []byte(`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	d.docker(t, "create", "--name", "inlineseccomp", "--network", "none", "--security-opt", "seccomp="+allowAll, testImage, "sleep")
	// An empty profile is no filter at all to the daemon (the container shows Seccomp: 0).
	empty := filepath.Join(t.TempDir(), "empty.json")
	if err := os.WriteFile(empty, []byte(`{}`), 0o644); err != nil {
		t.Fatal(err)
	}
	d.docker(t, "create", "--name", "emptyseccomp", "--network", "none", "--security-opt", "seccomp="+empty, testImage, "sleep")

	fs, _ := runAudit(t, "none", "-H", d.host())
	tests := []struct {
		name, id, target, severity string
	}{
		{"systempaths=unconfined", "SD-SECURITY-OPT", "container unmasked ", ""},
		{"volume bound to the host's /", "CIS-5.6", "container volroot ", ""},
		{"bind of the audited daemon's own socket", "CIS-5.32", "container ownsock ", "critical"},
		{"--cap-add ALL", "CIS-5.4", "container capall ", "critical"},
		{"inline seccomp profile that allows everything", "CIS-5.22", "container inlineseccomp ", "high"},
		{"empty seccomp profile, which turns seccomp off", "CIS-5.22", "container emptyseccomp ", "high"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []auditFinding
			for _, f := range fs {
				if f.ID == tc.id && strings.Contains(f.Target, tc.target) {
					got = append(got, f)
					if tc.severity == "" || f.Severity == tc.severity {
						return
					}
				}
			}
			t.Fatalf("want a %s %s finding for %q, got %+v", tc.severity, tc.id, tc.target, got)
		})
	}
}

// dockerd reads a -H without a scheme as tcp (ParseDaemonHost); the audit does not.
func TestReviewAuditFindsTCPWithoutScheme(t *testing.T) {
	t.Parallel()
	addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	d := startDaemon(t, map[string]any{}, false, "-H", addr)
	if out, err := exec.Command("docker", "-H", "tcp://"+addr, "version", "--format", "{{.Server.Version}}").CombinedOutput(); err != nil {
		t.Fatalf("the daemon does not answer on tcp://%s: %v\n%s", addr, err, out)
	}
	fs, _ := runAudit(t, "none", "-H", d.host())
	if f, ok := findingFor(fs, "CIS-2.7", "daemon"); !ok || f.Severity != "critical" {
		t.Fatalf("dockerd -H %s (plain TCP, verified reachable) not reported as a critical CIS-2.7: %+v", addr, fs)
	}
}

// "tlsverify": false turns TLS on in dockerd (without client verification); the audit says
// the daemon listens "without TLS".
func TestReviewAuditTLSVerifyFalse(t *testing.T) {
	t.Parallel()
	tlsDir := filepath.Join(t.TempDir(), "tls")
	if r := sdocker(t, "tls", "init", "--dir", tlsDir, "--ip", "127.0.0.1"); r.code != 0 {
		t.Fatalf("sdocker tls init: %+v", r)
	}
	d := startDaemon(t, map[string]any{
		"tlsverify": false, "tlscacert": filepath.Join(tlsDir, "ca.pem"),
		"tlscert": filepath.Join(tlsDir, "server-cert.pem"), "tlskey": filepath.Join(tlsDir, "server-key.pem"),
	}, true)
	// The daemon speaks TLS and takes a client without a certificate.
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", strings.TrimPrefix(d.tcp, "tcp://"), &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatalf("TLS handshake with the tlsverify=false daemon: %v", err)
	}
	conn.Close()
	fs, _ := runAudit(t, "none", "-H", d.host())
	f, ok := findingFor(fs, "CIS-2.7", "daemon")
	if !ok {
		t.Fatalf("no CIS-2.7 finding: %+v", fs)
	}
	if strings.Contains(f.Evidence, "without TLS") {
		t.Fatalf("a daemon that speaks TLS (handshake done above) is described as %q", f.Evidence)
	}
}

// `tls init --listen tcp://ADDR` without a port prints DOCKER_HOST=tcp://ADDR: (empty port),
// and any --listen string ends up in "hosts" unchecked.
func TestReviewTLSInitListenWithoutPort(t *testing.T) {
	t.Parallel()
	for _, listen := range []string{"tcp://127.0.0.1", "garbage"} {
		r := sdocker(t, "tls", "init", "--dir", filepath.Join(t.TempDir(), "tls"), "--ip", "127.0.0.1", "--listen", listen)
		if r.code != 0 {
			continue // refused: fine
		}
		for _, line := range strings.Split(r.stdout, "\n") {
			if h, ok := strings.CutPrefix(line, "export DOCKER_HOST="); ok && (strings.HasSuffix(h, ":") || !strings.HasPrefix(h, "tcp://")) {
				t.Errorf("--listen %s accepted, printed DOCKER_HOST=%s", listen, h)
			}
		}
		if listen == "garbage" {
			t.Errorf("--listen garbage accepted:\n%s", r.stdout)
		}
	}
}
