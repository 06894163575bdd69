package audit

import (
	"bytes"
	"strings"
	"testing"
)

// The CIS checks docker-bench-security makes, on a snapshot that fails each of them once.
func TestCISSnapshotFindings(t *testing.T) {
	r := check(t, loadSnapshot(t, "cis-snapshot.json"))
	tests := []struct {
		name, id     string
		severity     Severity
		target, want string // want: a part of the evidence
	}{
		{"debug logging", "CIS-2.3", Low, "daemon", "debug level"},
		{"iptables off", "CIS-2.4", Medium, "daemon", "iptables off"},
		{"no default ulimits", "CIS-2.8", Info, "daemon", "no default ulimits"},
		{"daemon cgroup parent", "CIS-2.10", Low, "daemon", `"/docker-all"`},
		{"devicemapper base size", "CIS-2.11", Low, "daemon", "dm.basesize=50G"},
		{"userland proxy", "CIS-2.16", Low, "daemon", "userland proxy is on"},
		{"host network itself", "CIS-5.10", High, "container hostnet ", "HostConfig.NetworkMode=host"},
		{"host network through a container", "CIS-5.10", High, "container joiner ", "shares the host's namespace"},
		{"host PID through a container named by name", "CIS-5.16", High, "container joiner ", "HostConfig.PidMode=container:hostnet (hostnet shares the host's namespace)"},
		{"a container the snapshot lacks", "SD-SHARED-NAMESPACE", High, "container orphan ", "0123456789abcdef"},
		{"privileged port", "CIS-5.8", Low, "container ports ", "0.0.0.0:80 → 80/tcp"},
		{"published ports", "CIS-5.9", Info, "container ports ", "127.0.0.1:8080 → 80/tcp"},
		{"privileged ports in a range", "CIS-5.8", Low, "container ports ", "10.0.0.5:1000-1100 → 9000/udp"},
		{"every exposed port with -P", "CIS-5.14", Medium, "container sshd ", "every port the image exposes (22/tcp)"},
		{"all interfaces, v4", "CIS-5.14", Medium, "container ports ", "0.0.0.0:80 → 80/tcp"},
		{"all interfaces, v6", "CIS-5.14", Medium, "container ports ", "[::]:8443 → 443/tcp"},
		{"restart always", "CIS-5.15", Low, "container ports ", "RestartPolicy=always"},
		{"restart on failure 10 times", "CIS-5.15", Low, "container sshd ", "on-failure:10"},
		{"unlimited ulimit", "CIS-5.19", Low, "container ports ", "nofile=unlimited:unlimited"},
		{"shared propagation", "CIS-5.20", High, "container prop ", "rshared"},
		{"cgroup parent", "CIS-5.25", Medium, "container prop ", "HostConfig.CgroupParent=/custom"},
		{"inline seccomp that allows everything", "CIS-5.22", High, "container seccomp ", "seccomp=<profile of"},
		{"writable root filesystem", "CIS-5.13", Low, "container seccomp ", "ReadonlyRootfs=false"},
		{"health check off", "CIS-5.27", Info, "container seccomp ", "Test=[NONE]"},
		{"sshd processes", "CIS-5.7", Medium, "container sshd ", `"sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups", "sshd: alice <script>`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []Finding
			for _, f := range findingsOf(r, tc.id, tc.target) {
				if f.Severity == tc.severity && strings.Contains(f.Evidence, tc.want) && f.Fix != "" && f.Title != f.ID {
					return
				}
				got = append(got, f)
			}
			t.Fatalf("no %s %s on %q with evidence %q; got %+v", tc.severity, tc.id, tc.target, tc.want, got)
		})
	}
	// What is not there: the hardened containers pass the checks they pass.
	absent := []struct{ name, id, target string }{
		{"a health check is given", "CIS-5.27", "container ports "},
		{"a read-only root filesystem", "CIS-5.13", "container ports "},
		{"no ports", "CIS-5.9", "container joiner "},
		{"-P with nothing exposed", "CIS-5.9", "container prop "},
		{"ssh daemon named only in an argument", "CIS-5.7", "container joiner "},
		{"host network publishes nothing", "CIS-5.9", "container hostnet "},
	}
	for _, tc := range absent {
		t.Run(tc.name, func(t *testing.T) {
			if got := findingsOf(r, tc.id, tc.target); len(got) > 0 {
				t.Fatalf("unexpected %s on %q: %+v", tc.id, tc.target, got)
			}
		})
	}
}

func TestCISRenderGolden(t *testing.T) {
	r := check(t, loadSnapshot(t, "cis-snapshot.json"))
	for _, format := range Formats {
		t.Run(format, func(t *testing.T) {
			var b bytes.Buffer
			if err := Render(&b, r, format, "test"); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, "cis."+format, b.Bytes())
		})
	}
}

func TestIsSSHDaemon(t *testing.T) {
	tests := []struct {
		name, cmd string
		want      bool
	}{
		{"openssh listener", "sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups", true},
		{"openssh session", "sshd: alice@pts/0", true},
		{"openssh 9.8 session", "sshd-session: alice [priv]", true},
		{"by path", "/usr/sbin/sshd -D -e", true},
		{"dropbear", "/usr/sbin/dropbear -F -E", true},
		{"named as an argument", "/bin/sleep sshd", false},
		{"another program", "/usr/bin/sshd-keygen-wrapper", false},
		{"empty", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := isSSHDaemon(tc.cmd); got != tc.want {
				t.Fatalf("isSSHDaemon(%q) = %v", tc.cmd, got)
			}
		})
	}
}

// docker-bench-security passes a container that names no-new-privileges=false (it looks for
// the words) and one with label=disable (any security option passes its 5.2); the audit reads
// them for what they do, also where the daemon sets no-new-privileges for everyone else.
func TestSecurityOptsReadForWhatTheyDo(t *testing.T) {
	tests := []struct {
		name, opt, id string
		daemonNNP     bool
	}{
		{"no-new-privileges=false", "no-new-privileges=false", "CIS-5.26", false},
		{"no-new-privileges:false", "no-new-privileges:false", "CIS-5.26", false},
		{"no-new-privileges=false over the daemon's default", "no-new-privileges=false", "CIS-5.26", true},
		{"label=disable", "label=disable", "SD-SECURITY-OPT", false},
		{"label:disable", "label:disable", "SD-SECURITY-OPT", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := reviewContainer(t, nil, map[string]any{"SecurityOpt": []string{tc.opt}})
			s := hardenedWith(t, c)
			s.Config.NoNewPrivileges = ptr(tc.daemonNNP)
			r := check(t, s)
			if got := findingsOf(r, tc.id, "container rvw "); len(got) == 0 {
				t.Fatalf("--security-opt %s not reported as %s: %+v", tc.opt, tc.id, r.AtLeast(Low))
			}
		})
	}
}
