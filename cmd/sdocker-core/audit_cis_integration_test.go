package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// What docker-bench-security checks, on a real dockerd configured the way it warns about and
// containers made by plain docker (created ones too: docker-bench sees running ones only).
func TestAuditSeesWhatDockerBenchSees(t *testing.T) {
	t.Parallel()
	// Test daemons run with --iptables=false (startDaemon), and the userland proxy is on by
	// default.
	// The daemon's cgroup parent is made on the host by the first container that starts in it;
	// it is removed once the daemon is gone (this cleanup runs after startDaemon's).
	parent := fmt.Sprintf("sdaudit-%d", time.Now().UnixNano())
	t.Cleanup(func() { removeCgroup(parent) })
	d := startDaemon(t, map[string]any{"log-level": "debug", "cgroup-parent": parent}, false)

	// A container that shares the host's network and PID namespaces, and others that join it.
	d.docker(t, "create", "--name", "hostns", "--network", "host", "--pid", "host", testImage, "sleep")
	d.docker(t, "create", "--name", "joiner", "--network", "container:hostns", "--pid", "container:hostns", testImage, "sleep")
	hostnsID := d.docker(t, "inspect", "--format", "{{.Id}}", "hostns")
	d.docker(t, "create", "--name", "byid", "--network", "container:"+hostnsID[:12], testImage, "sleep")
	// Ports, restart policy, ulimits, propagation, cgroup parent.
	d.docker(t, "create", "--name", "ports", "--network", "bridge", "-p", "80:80", "-p", "127.0.0.1:8080:8080",
		"--restart", "always", "--ulimit", "nofile=1024:2048", testImage, "sleep")
	shared := t.TempDir()
	d.docker(t, "create", "--name", "prop", "--network", "none", "--cgroup-parent", "/sdaudit-custom",
		"--mount", "type=bind,source="+shared+",target=/x,bind-propagation=rshared", "--restart", "on-failure:9", testImage, "sleep")
	// A running container whose process is an SSH daemon (the test program under that name).
	d.docker(t, "create", "--name", "src", "--network", "none", testImage, "sleep")
	usr := filepath.Join(t.TempDir(), "usr")
	if err := os.MkdirAll(filepath.Join(usr, "sbin"), 0o755); err != nil {
		t.Fatal(err)
	}
	d.docker(t, "cp", "src:/ctr", filepath.Join(usr, "sbin", "sshd"))
	d.docker(t, "create", "--name", "sshd", "--network", "none", "--entrypoint", "/usr/sbin/sshd", testImage, "sleep")
	d.docker(t, "cp", usr, "sshd:/usr")
	d.docker(t, "start", "sshd")
	// One that passes the container checks outside the policy.
	d.docker(t, "create", "--name", "tidy", "--network", "none", "--read-only", "--health-cmd", "/ctr status",
		"--restart", "on-failure:3", testImage, "sleep")

	fs, r := runAudit(t, "none", "-H", d.host())
	if r.code != 0 {
		t.Fatalf("audit --fail-on none: %+v", r)
	}
	tests := []struct {
		name, id, target, severity, evidence string
	}{
		{"log level", "CIS-2.3", "daemon", "low", "debug"},
		{"iptables off", "CIS-2.4", "daemon", "medium", "iptables off"},
		{"no default ulimits", "CIS-2.8", "daemon", "info", "no default ulimits"},
		{"daemon cgroup parent", "CIS-2.10", "daemon", "low", parent},
		{"userland proxy", "CIS-2.16", "daemon", "low", "userland proxy is on"},
		{"host network through container:NAME", "CIS-5.10", "container joiner ", "high", "hostns shares the host's namespace"},
		{"host PID through container:NAME", "CIS-5.16", "container joiner ", "high", "shares the host's namespace"},
		{"host network through container:ID-PREFIX", "CIS-5.10", "container byid ", "high", "shares the host's namespace"},
		{"privileged port", "CIS-5.8", "container ports ", "low", "0.0.0.0:80 → 80/tcp"},
		{"published ports", "CIS-5.9", "container ports ", "info", "127.0.0.1:8080 → 8080/tcp"},
		{"all interfaces", "CIS-5.14", "container ports ", "medium", "0.0.0.0:80 → 80/tcp"},
		{"restart always", "CIS-5.15", "container ports ", "low", "RestartPolicy=always"},
		{"restart on-failure:9", "CIS-5.15", "container prop ", "low", "on-failure:9"},
		{"ulimit override", "CIS-5.19", "container ports ", "info", "nofile=1024:2048"},
		{"shared propagation", "CIS-5.20", "container prop ", "high", "rshared"},
		{"cgroup parent", "CIS-5.25", "container prop ", "medium", "/sdaudit-custom"},
		{"writable root filesystem", "CIS-5.13", "container ports ", "low", "ReadonlyRootfs=false"},
		{"no health check", "CIS-5.27", "container ports ", "info", "no health check"},
		{"sshd running", "CIS-5.7", "container sshd ", "medium", "/usr/sbin/sshd sleep"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []auditFinding
			for _, f := range fs {
				if f.ID == tc.id && strings.Contains(f.Target, tc.target) {
					if f.Severity == tc.severity && strings.Contains(f.Evidence, tc.evidence) {
						return
					}
					got = append(got, f)
				}
			}
			t.Fatalf("want a %s %s on %q with %q, got %+v", tc.severity, tc.id, tc.target, tc.evidence, got)
		})
	}
	for _, id := range []string{"CIS-5.13", "CIS-5.15", "CIS-5.27", "CIS-5.7"} {
		if f, ok := findingFor(fs, id, "container tidy "); ok {
			t.Errorf("the tidy container has %s: %+v", id, f)
		}
	}

	// The CLI door refuses what the audit reports, by the same rule.
	if r := sdocker(t, "-H", d.host(), "create", "--network", "container:hostns", testImage, "sleep"); r.code != exitFailure ||
		!strings.Contains(r.stderr, "rule host-namespaces") || !strings.Contains(r.stderr, "hostns shares the host's namespace") {
		t.Errorf("sdocker create --network container:hostns: %+v, want the refusal the audit reports", r)
	}

	// The same audit as a page.
	page := sdocker(t, "audit", "--format", "html", "--fail-on", "none", "-H", d.host())
	if page.code != 0 || !strings.HasPrefix(page.stdout, "<!DOCTYPE html>") || !strings.Contains(page.stdout, "<h2>container joiner (") ||
		strings.Contains(page.stdout, "<script") {
		t.Fatalf("audit --format html: exit %d\n%s%s", page.code, page.stdout, page.stderr)
	}
	if keep := os.Getenv("SDOCKER_AUDIT_HTML"); keep != "" {
		os.WriteFile(keep, []byte(page.stdout), 0o644)
	}
}

// removeCgroup removes an empty cgroup (and the empty ones below it) from every hierarchy.
func removeCgroup(name string) {
	dirs, _ := filepath.Glob(filepath.Join("/sys/fs/cgroup", "*", name))
	if d := filepath.Join("/sys/fs/cgroup", name); fileExists(d) {
		dirs = append(dirs, d)
	}
	for _, d := range dirs {
		subs, _ := filepath.Glob(filepath.Join(d, "*"))
		for _, s := range subs {
			if st, err := os.Stat(s); err == nil && st.IsDir() {
				os.Remove(s)
			}
		}
		os.Remove(d)
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
