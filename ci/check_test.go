package ci

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sdocker/defaults"
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
