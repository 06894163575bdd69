package ci

import (
	"context"
	"encoding/binary"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"sdocker/defaults"
	"sdocker/internal/testenv"
)

// serve answers /_ping on a unix socket at path, made with mode and group.
func serve(t *testing.T, path string, mode os.FileMode, gid int) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(path, 0, gid); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("OK")) })}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func statuses(rs []Result) map[string]string {
	out := map[string]string{}
	for _, r := range rs {
		out[r.Check] = r.Status
	}
	return out
}

// A host laid out as sdocker ci setup leaves it passes every check; each thing a job could go
// around, or that stops jobs, fails its own check with a fix.
func TestCheckFindsWhatIsNotSetUp(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("SKIPPED LOUDLY: sockets owned by another group need root (CI runs as root)")
	}
	root := t.TempDir()
	r, _ := Find("github-actions")
	preset, err := defaults.Preset("github-actions")
	if err != nil {
		t.Fatal(err)
	}
	write(t, root+"/etc/passwd", "root:x:0:0::/root:/bin/sh\nrunner:x:1001:1001::/home/runner:/bin/sh\n")
	write(t, root+"/etc/group", "root:x:0:\ndocker:x:999:runner\nrunner:x:1001:\n")
	write(t, root+PolicyPath, string(preset))
	write(t, root+r.Config, "LANG=C.UTF-8\nDOCKER_HOST=unix:///run/sdocker/docker.sock\n")
	serve(t, root+"/run/docker.sock", 0o600, 0)
	serve(t, root+ProxySocket, 0o660, 999)
	if err := os.MkdirAll(root+"/run/sdocker/sockets", 0o700); err != nil {
		t.Fatal(err)
	}
	serve(t, root+PolicedSocket, 0o666, 0)
	in := CheckInput{Runner: r, Root: root}
	ctx := context.Background()
	rs := Check(ctx, in)
	for _, x := range rs {
		if x.Status != "ok" {
			t.Errorf("set up host: %+v", x)
		}
	}

	// The daemon's socket in the runner's group: jobs go around the proxy.
	os.Chown(root+"/run/docker.sock", 0, 999)
	os.Chmod(root+"/run/docker.sock", 0o660)
	if s := statuses(Check(ctx, in)); s["daemon socket"] != "fail" {
		t.Errorf("daemon socket in the docker group: %v", s)
	}
	os.Chmod(root+"/run/docker.sock", 0o600)

	// An ACL entry for the runner (setfacl -m u:runner:rw): owner and group say root's alone.
	os.Chown(root+"/run/docker.sock", 0, 0)
	acl := []byte{2, 0, 0, 0}
	for _, e := range [][3]uint32{{1, 6, 0xffffffff}, {2, 6, 1001}, {4, 0, 0xffffffff}, {0x10, 6, 0xffffffff}, {0x20, 0, 0xffffffff}} {
		acl = binary.LittleEndian.AppendUint16(acl, uint16(e[0]))
		acl = binary.LittleEndian.AppendUint16(acl, uint16(e[1]))
		acl = binary.LittleEndian.AppendUint32(acl, e[2])
	}
	t.Run("acl", func(t *testing.T) {
		if err := syscall.Setxattr(root+"/run/docker.sock", "system.posix_acl_access", acl, 0); err != nil {
			testenv.Missing(t, "no ACL on this filesystem: "+err.Error())
		}
		if s := statuses(Check(ctx, in)); s["daemon socket"] != "fail" {
			t.Errorf("daemon socket with an ACL entry for the runner: %v", s)
		}
	})
	syscall.Removexattr(root+"/run/docker.sock", "system.posix_acl_access")
	os.Chmod(root+"/run/docker.sock", 0o600)

	// The daemon listening on TCP as well, or on another socket the runner reaches.
	write(t, root+"/etc/docker/daemon.json", `{"hosts":["fd://","tcp://0.0.0.0:2375"]}`)
	if s := statuses(Check(ctx, in)); s["daemon listener"] != "fail" {
		t.Errorf("daemon on TCP without TLS: %v", s)
	}
	serve(t, root+"/run/other.sock", 0o660, 999)
	write(t, root+"/etc/docker/daemon.json", `{"hosts":["fd://","unix:///run/other.sock"]}`)
	if s := statuses(Check(ctx, in)); s["daemon listener"] != "fail" {
		t.Errorf("daemon on a second socket in the runner's group: %v", s)
	}
	os.Remove(root + "/etc/docker/daemon.json")
	if s := statuses(Check(ctx, in)); s["daemon listener"] != "" {
		t.Errorf("the daemon on its own socket only: %v", s)
	}

	// containerd's socket in the runner's group: containers with no dockerd in the way.
	serve(t, root+"/run/containerd/containerd.sock", 0o660, 999)
	if s := statuses(Check(ctx, in)); s["daemon listener"] != "fail" {
		t.Errorf("containerd's socket in the runner's group: %v", s)
	}
	os.Chown(root+"/run/containerd/containerd.sock", 0, 0)

	// No daemon socket where the check looks: it cannot say the daemon is out of reach.
	if s := statuses(Check(ctx, CheckInput{Runner: r, Root: root, DaemonSocket: "/run/elsewhere.sock"})); s["daemon socket"] != "fail" {
		t.Errorf("daemon socket missing: %v", s)
	}

	// A policy in warn mode refuses nothing.
	write(t, root+PolicyPath, string(preset)+"mode: warn\n")
	if s := statuses(Check(ctx, in)); s["policy"] != "fail" {
		t.Errorf("warn mode: %v", s)
	}
	write(t, root+PolicyPath, string(preset))

	// The runner not pointed at the proxy; the account not in the proxy socket's group.
	write(t, root+r.Config, "LANG=C.UTF-8\n")
	write(t, root+"/etc/group", "root:x:0:\ndocker:x:999:\nrunner:x:1001:\n")
	s := statuses(Check(ctx, in))
	if s["runner"] != "fail" || s["proxy socket"] != "fail" {
		t.Errorf("runner not wired, account not in docker: %v", s)
	}

	// The default policy: no policed socket for job containers.
	write(t, root+PolicyPath, "version: 1\n")
	rs = Check(ctx, in)
	if s := statuses(rs); s["policy"] != "fail" {
		t.Errorf("default policy: %v", s)
	}
	for _, x := range rs {
		if x.Check == "policy" && !strings.Contains(x.Fix, "sdocker policy preset github-actions") {
			t.Errorf("fix %q", x.Fix)
		}
	}
}

// The setup plan installs the preset, the units, the runner's setting and the check, in order.
func TestPlanForEachRunner(t *testing.T) {
	for _, r := range Runners {
		steps := Plan(SetupInput{Runner: r, Preset: []byte("version: 1\n"), Bin: "/usr/local/bin"})
		if steps[0].Path != PolicyPath || !strings.Contains(steps[len(steps)-1].Argv[2], "check") {
			t.Errorf("%s: first %+v last %+v", r.Name, steps[0], steps[len(steps)-1])
		}
		wired := false
		for _, s := range steps {
			if s.Append && s.Content == r.Wiring && s.Path == r.Config {
				wired = true
			}
		}
		if !wired {
			t.Errorf("%s: the runner is not pointed at the proxy", r.Name)
		}
	}
}
