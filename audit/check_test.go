package audit

import (
	"bytes"
	"encoding/json"
	"os"
	"slices"
	"testing"
	"time"

	"sdocker/defaults"
	"sdocker/wrapper"
)

var testNow = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

// loadSnapshot reads a snapshot fixture: the answers of a daemon plus what the host showed.
func loadSnapshot(t *testing.T, name string) *Snapshot {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var s Snapshot
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return &s
}

func check(t *testing.T, s *Snapshot) Report {
	t.Helper()
	p, err := defaults.Parse(defaults.DefaultPolicyYAML(), "embedded default")
	if err != nil {
		t.Fatal(err)
	}
	return Check(s, CheckOptions{Policy: p, Now: testNow})
}

func TestRenderGolden(t *testing.T) {
	r := check(t, loadSnapshot(t, "weak-snapshot.json"))
	for _, format := range Formats {
		t.Run(format, func(t *testing.T) {
			var b bytes.Buffer
			if err := Render(&b, r, format, "test"); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, "weak."+format, b.Bytes())
		})
	}
}

func TestWeakSnapshotFindings(t *testing.T) {
	r := check(t, loadSnapshot(t, "weak-snapshot.json"))
	tests := []struct {
		name     string
		id       string
		severity Severity
		target   string
	}{
		{"tcp without tls", "CIS-2.7", Critical, "daemon"},
		{"no log rotation", "SD-LOG-ROTATION", Medium, "daemon"},
		{"icc on the default bridge", "CIS-2.2", Medium, "daemon"},
		{"no daemon-wide no-new-privileges", "CIS-2.14", Medium, "daemon"},
		{"insecure registry", "CIS-2.5", High, "daemon"},
		{"world-writable daemon.json", "CIS-3.18", High, "daemon"},
		{"world-writable socket", "CIS-3.16", Critical, "host"},
		{"docker group members", "CIS-1.1.2", Medium, "host"},
		{"DOCKER_HOST without TLS", "SD-DOCKER-HOST", High, "host"},
		{"old upstream runc", "SD-CVE-2024-21626", Critical, "runc"},
		{"privileged container", "CIS-5.5", Critical, "container priv (1111111111aa, created, image sdocker-test/busybox:1)"},
		{"host pid", "CIS-5.16", High, "container hostpid (2222222222bb, running, image sdocker-test/busybox:1)"},
		{"docker.sock bind", "CIS-5.32", Critical, "container sock (3333333333cc, running, image sdocker-test/busybox:1)"},
		{"default bridge", "CIS-5.30", Low, "container sock (3333333333cc, running, image sdocker-test/busybox:1)"},
		{"no memory limit", "CIS-5.11", Medium, "container sock (3333333333cc, running, image sdocker-test/busybox:1)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, f := range r.Findings {
				if f.ID == tc.id && f.Target == tc.target {
					if f.Severity != tc.severity {
						t.Fatalf("%s on %s: severity %s, want %s", tc.id, tc.target, f.Severity, tc.severity)
					}
					return
				}
			}
			t.Fatalf("no %s finding on %s", tc.id, tc.target)
		})
	}
	for _, f := range r.Findings {
		if f.ID == "SD-SECURITY-OPT" {
			t.Errorf("label=disable that docker adds itself reported: %+v", f)
		}
	}
}

func TestHardenedSnapshotIsClean(t *testing.T) {
	r := check(t, loadSnapshot(t, "hardened-snapshot.json"))
	if got := r.AtLeast(Low); len(got) > 0 {
		t.Fatalf("hardened setup has findings: %+v", got)
	}
}

func TestConfigUnknown(t *testing.T) {
	s := &Snapshot{Endpoint: wrapper.Endpoint{Host: "tcp://10.0.0.1:2375"}, ConfigNote: "remote"}
	r := check(t, s)
	var tcp, unknown bool
	for _, f := range r.Findings {
		tcp = tcp || f.ID == "CIS-2.7" && f.Severity == Critical
		unknown = unknown || f.ID == "SD-DAEMON-CONFIG"
	}
	if !tcp || !unknown {
		t.Fatalf("want a critical CIS-2.7 from the endpoint and SD-DAEMON-CONFIG, got %+v", r.Findings)
	}
}

func TestAffectedBy(t *testing.T) {
	fixed := []string{"1.2.8", "1.3.3", "1.4.0-rc.3"}
	tests := []struct {
		name, have string
		affected   bool
	}{
		{"older line", "1.1.12", true},
		{"same line before fix", "1.2.7", true},
		{"same line fixed", "1.2.8", false},
		{"pre-release before fix", "1.4.0-rc.2", true},
		{"pre-release with fix", "1.4.0-rc.3", false},
		{"release after pre-release fix", "1.4.0", false},
		{"newer line", "1.5.0", false},
		{"v prefix", "v1.3.2", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := parseVersion(tc.have)
			if err != nil {
				t.Fatal(err)
			}
			if _, got := affectedBy(v, fixed); got != tc.affected {
				t.Fatalf("affectedBy(%s) = %v, want %v", tc.have, got, tc.affected)
			}
		})
	}
}

func TestDistBuild(t *testing.T) {
	tests := []struct {
		name, v string
		dist    bool
	}{
		{"debian engine", "20.10.24+dfsg1", true},
		{"debian runc package", "1.1.5+ds1-1+deb12u1", true},
		{"ubuntu", "1.7.12-0ubuntu4", true},
		{"fedora", "1.7.13-1.fc39", true},
		{"upstream", "27.1.1", false},
		{"hex commit", "a1deb234", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := distBuild(tc.v); got != tc.dist {
				t.Fatalf("distBuild(%q) = %v", tc.v, got)
			}
		})
	}
}

func TestParseDockerdArgs(t *testing.T) {
	cfg, file, err := ParseDockerdArgs([]string{"-H", "unix:///run/d.sock", "--host=tcp://127.0.0.1:2376", "--tlsverify",
		"--log-opt", "max-size=10m", "--icc=false", "-D", "--config-file", "/x/daemon.json", "--no-new-privileges"})
	if err != nil {
		t.Fatal(err)
	}
	want := DaemonConfig{Hosts: []string{"unix:///run/d.sock", "tcp://127.0.0.1:2376"}, TLSVerify: ptr(true),
		ICC: ptr(false), NoNewPrivileges: ptr(true), LogOpts: map[string]string{"max-size": "10m"}, Debug: ptr(true)}
	gotJSON, _ := json.Marshal(cfg)
	wantJSON, _ := json.Marshal(want)
	if string(gotJSON) != string(wantJSON) || file != "/x/daemon.json" {
		t.Fatalf("got %s %q\nwant %s", gotJSON, file, wantJSON)
	}
}

func TestExposesDockerSocket(t *testing.T) {
	tests := []struct {
		name, typed string
		want        bool
	}{
		{"bind of the socket", "HostConfig.Binds=/var/run/docker.sock:/var/run/docker.sock", true},
		{"bind of its directory", "HostConfig.Binds=/run:/host-run:ro", true},
		{"mount of the socket", "Mounts: /run/docker.sock on /sock", true},
		{"api mount", "HostConfig.Mounts: /srv/docker.sock on /d.sock", true},
		{"another directory", "HostConfig.Binds=/etc:/etc", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := exposesDockerSocket(tc.typed); got != tc.want {
				t.Fatalf("exposesDockerSocket(%q) = %v", tc.typed, got)
			}
		})
	}
}

func TestParseDockerdArgsLikePflag(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		hosts []string
	}{
		{"attached shorthand", []string{"-Htcp://0.0.0.0:2375"}, []string{"tcp://0.0.0.0:2375"}},
		{"shorthand with =", []string{"-H=tcp://0.0.0.0:2375"}, []string{"tcp://0.0.0.0:2375"}},
		{"cluster ending in -H", []string{"-DH", "unix:///run/d.sock"}, []string{"unix:///run/d.sock"}},
		{"unknown boolean before -H", []string{"--cri-containerd", "--some-new-bool", "-H", ":2375"}, []string{":2375"}},
		{"unknown flag with a value", []string{"--some-new-flag", "value", "-H", "fd://"}, []string{"fd://"}},
		{"known value flag", []string{"--data-root", "/x", "--host", "tcp://1.2.3.4:2376"}, []string{"tcp://1.2.3.4:2376"}},
		{"end of flags", []string{"--", "-H", "tcp://0.0.0.0:2375"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, _, err := ParseDockerdArgs(tc.args)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(cfg.Hosts, tc.hosts) {
				t.Fatalf("hosts %q, want %q", cfg.Hosts, tc.hosts)
			}
		})
	}
}

func TestTCPHost(t *testing.T) {
	tests := []struct {
		host string
		tcp  bool
	}{
		{"tcp://0.0.0.0:2375", true},
		{"0.0.0.0:2375", true},
		{":2375", true},
		{"unix:///var/run/docker.sock", false},
		{"fd://", false},
		{"", false},
	}
	for _, tc := range tests {
		t.Run(tc.host, func(t *testing.T) {
			if _, got := tcpHost(tc.host); got != tc.tcp {
				t.Fatalf("tcpHost(%q) = %v", tc.host, got)
			}
		})
	}
}

func TestBindsSocket(t *testing.T) {
	socks := []string{"/run/engine.sock", "/tmp/sda1/d.sock"}
	tests := []struct {
		name, source string
		want         bool
	}{
		{"the socket", "/run/engine.sock", true},
		{"through /var/run", "/var/run/engine.sock", true},
		{"its directory", "/tmp/sda1", true},
		{"a sibling", "/tmp/sda1/other", false},
		{"the root (reported as such)", "/", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, got := bindsSocket(defaults.Mount{Type: "bind", Source: tc.source}, socks, nil); got != tc.want {
				t.Fatalf("bindsSocket(%s) = %v", tc.source, got)
			}
		})
	}
}
