package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDaemonDoorBadInput(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "daemon.json")
	os.WriteFile(cfg, []byte(`{"hosts": ["tcp://0.0.0.0:2375"]}`), 0o644)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"authz on tcp", []string{"authz", "--listen", "tcp://127.0.0.1:9"}, "give a unix socket"},
		{"authz timeout", []string{"authz", "--listen", "unix:///tmp/x.sock", "--timeout", "0s"}, "--timeout 0s"},
		{"authz unknown class", []string{"authz", "--listen", "unix:///tmp/x.sock", "--insecure-allow", "builds"}, "known classes are plugins and swarm"},
		{"harden both modes", []string{"daemon", "harden", "--dry-run", "--write"}, "give one of them"},
		{"harden tcp without tls", []string{"daemon", "harden", "--config", cfg}, "without TLS verification"},
		{"harden missing tls files", []string{"daemon", "harden", "--tls", t.TempDir()}, "sdocker tls init --dir"},
		{"daemon alone", []string{"daemon"}, "needs a command (harden)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errb, code := runInProcess(t, tc.args...)
			lines := strings.Split(strings.TrimSpace(errb), "\n")
			if code != exitFailure || len(lines) != 1 || !strings.HasPrefix(errb, "sdocker: ") || !strings.Contains(errb, tc.want) || out != "" {
				t.Fatalf("exit %d, stdout %q, stderr %q; want 125 and one line saying %q", code, out, errb, tc.want)
			}
		})
	}
}

func TestHardenWritesWithABackup(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "daemon.json")
	os.WriteFile(cfg, []byte(`{"debug": true}`), 0o644)
	out, errb, code := runInProcess(t, "daemon", "harden", "--config", cfg)
	if code != 0 || !strings.Contains(out, `+   "no-new-privileges": true`) || !strings.Contains(out, "Nothing written") {
		t.Fatalf("harden without --write: %d %q %q", code, out, errb)
	}
	if data, _ := os.ReadFile(cfg); string(data) != `{"debug": true}` {
		t.Fatalf("harden without --write changed the file: %s", data)
	}
	out, errb, code = runInProcess(t, "daemon", "harden", "--config", cfg, "--write")
	if code != 0 || !strings.Contains(out, "Restart dockerd") || !strings.Contains(out, "icc: ") {
		t.Fatalf("harden --write: %d %q %q", code, out, errb)
	}
	backups, _ := filepath.Glob(cfg + ".sdocker-backup-*")
	if len(backups) != 1 {
		t.Fatalf("backups: %v", backups)
	}
	if out, _, _ := runInProcess(t, "daemon", "harden", "--config", cfg); !strings.Contains(out, "already has every setting") {
		t.Fatalf("second harden: %q", out)
	}
}

func TestNotifyReady(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "notify")
	l, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := notifyReady(sock); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	n, _ := l.Read(buf)
	if string(buf[:n]) != "READY=1" {
		t.Fatalf("systemd got %q", buf[:n])
	}
	if err := notifyReady(""); err != nil {
		t.Fatal(err)
	}
}
