package audit

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var hardenDefaults = HardenOptions{AuthzPlugin: "sdocker", LogMaxSize: "10m", LogMaxFile: "3"}

func TestHardenKeepsTheUsersKeys(t *testing.T) {
	current := []byte(`{"debug": true, "data-root": "/srv/docker", "log-opts": {"max-size": "50m", "labels": "app"},
		"authorization-plugins": ["other"], "icc": true, "max-concurrent-downloads": 10}`)
	res, err := Harden(current, hardenDefaults)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "harden-merged.json", res.Config)
	checkGolden(t, "harden-merged.diff", []byte(LineDiff(res.Before, res.Config)))
	var keys []string
	for _, c := range res.Changes {
		keys = append(keys, c.Key)
	}
	if got := strings.Join(keys, ","); got != "authorization-plugins,icc,live-restore,log-opts,no-new-privileges,userland-proxy" {
		t.Errorf("changes: %s", got)
	}
	for _, c := range res.Changes {
		if want := c.Key != "live-restore" && c.Key != "authorization-plugins"; c.Restart != want {
			t.Errorf("%s: restart %v, want %v", c.Key, c.Restart, want)
		}
	}
	// Hardened once, hardened for good: a second run changes nothing.
	again, err := Harden(res.Config, hardenDefaults)
	if err != nil || len(again.Changes) != 0 {
		t.Errorf("second harden: %+v, %v", again.Changes, err)
	}
}

func TestHardenRefusesTCPWithoutTLS(t *testing.T) {
	tlsFiles := TLSFilesIn("/etc/docker/tls")
	for _, tc := range []struct {
		name    string
		current string
		o       HardenOptions
		insec   bool
		hosts   string
	}{
		{"tcp host", `{"hosts": ["tcp://0.0.0.0:2375"]}`, hardenDefaults, true, ""},
		{"host without scheme", `{"hosts": ["0.0.0.0:2375"]}`, hardenDefaults, true, ""},
		{"tls without verification", `{"hosts": ["tcp://0.0.0.0:2376"], "tls": true, "tlsverify": false}`, hardenDefaults, true, ""},
		{"listen without tls", `{}`, HardenOptions{Listen: "tcp://0.0.0.0:2376"}, true, ""},
		{"tcp host fixed by tls", `{"hosts": ["tcp://0.0.0.0:2376"]}`, HardenOptions{TLS: &tlsFiles}, false, "tcp://0.0.0.0:2376"},
		{"listen with tls keeps the socket", `{}`, HardenOptions{TLS: &tlsFiles, Listen: "tcp://0.0.0.0:2376"}, false, "unix:///var/run/docker.sock,tcp://0.0.0.0:2376"},
		{"unix only", `{"hosts": ["unix:///var/run/docker.sock"]}`, hardenDefaults, false, "unix:///var/run/docker.sock"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Harden([]byte(tc.current), tc.o)
			if got := errors.Is(err, ErrInsecureTCP); got != tc.insec {
				t.Fatalf("error %v, want insecure TCP %v", err, tc.insec)
			}
			if tc.insec {
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			cfg, _, err := loadJSON(res.Config)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(cfg.Hosts, ","); got != tc.hosts {
				t.Errorf("hosts %s, want %s", got, tc.hosts)
			}
			if tc.o.TLS != nil && (cfg.TLSVerify == nil || !*cfg.TLSVerify) {
				t.Error("tlsverify not set")
			}
		})
	}
}

func TestHardenOfABrokenFile(t *testing.T) {
	if _, err := Harden([]byte(`{"icc": `), hardenDefaults); err == nil {
		t.Fatal("a broken daemon.json was merged")
	}
	if _, err := Harden([]byte(`[]`), hardenDefaults); err == nil {
		t.Fatal("a daemon.json that is not an object was merged")
	}
}

func TestWriteWithBackup(t *testing.T) {
	dir := t.TempDir()
	path, backup := filepath.Join(dir, "daemon.json"), filepath.Join(dir, "daemon.json.bak")
	if err := os.WriteFile(path, []byte(`{"debug":true}`), 0o666); err != nil {
		t.Fatal(err)
	}
	os.Chmod(path, 0o666)
	if err := WriteWithBackup(path, backup, []byte("{}\n")); err != nil {
		t.Fatal(err)
	}
	old, _ := os.ReadFile(backup)
	now, _ := os.ReadFile(path)
	fi, _ := os.Stat(path)
	if string(old) != `{"debug":true}` || string(now) != "{}\n" || fi.Mode().Perm() != 0o644 {
		t.Fatalf("backup %q, new %q, mode %v", old, now, fi.Mode())
	}
}

// loadJSON reads a daemon.json as the audit does.
func loadJSON(data []byte) (DaemonConfig, bool, error) {
	var cfg DaemonConfig
	err := json.Unmarshal(data, &cfg)
	return cfg, true, err
}
