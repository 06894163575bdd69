package defaults_test

// Third adversarial review: requests that were allowed, and that docker and the daemon then ran
// as the policy refuses (each measured against the 20.10 daemon).

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"sdocker/defaults"
)

func attackProfile(t *testing.T, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "profile.json")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func wantRefused(t *testing.T, d defaults.Decision, rule string, argv []string) {
	t.Helper()
	for _, v := range d.Violations {
		if string(v.Rule) == rule {
			return
		}
	}
	t.Errorf("%q: allowed (violations %v), want refused by rule %s", argv, rules(d.Violations), rule)
}

// F1: a profile that sdocker's profile type cannot decode, but the daemon's can, is allowed
// without being judged (judgeSeccomp returns "" on a decoding error). The 20.10 daemon ignores
// the fields it does not know and applies {"defaultAction":"SCMP_ACT_ALLOW"}: unconfined.
func TestAttackSeccompUndecodableProfileIsJudged(t *testing.T) {
	p := mustPolicy(t, "")
	for _, body := range []string{
		`{"defaultAction":"SCMP_ACT_ALLOW","listenerPath":1}`,
		`{"defaultAction":"SCMP_ACT_ALLOW","flags":1}`,
		`{"defaultAction":"SCMP_ACT_ALLOW","defaultErrnoRet":"x"}`,
	} {
		argv := []string{"run", "--security-opt", "seccomp=" + attackProfile(t, []byte(body)), "img"}
		wantRefused(t, decide(t, p, argv, defaults.Facts{}), "seccomp", argv)
	}
}

// F2: argument conditions are compared by their presence, not by what they let through: Moby's
// clone rule (flags & namespace-mask == 0) rewritten with a mask of 0 matches every clone, so
// CLONE_NEWUSER|CLONE_NEWNET are allowed (measured: a container made a user+net namespace).
func TestAttackSeccompTriviallyTrueArgsOpenClone(t *testing.T) {
	data, err := os.ReadFile("seccomp_default.json")
	if err != nil {
		t.Fatal(err)
	}
	var prof map[string]any
	if err := json.Unmarshal(data, &prof); err != nil {
		t.Fatal(err)
	}
	for _, r := range prof["syscalls"].([]any) {
		rule := r.(map[string]any)
		names := rule["names"].([]any)
		if len(names) == 1 && names[0] == "clone" && rule["args"] != nil {
			for _, a := range rule["args"].([]any) {
				a.(map[string]any)["value"] = 0
			}
		}
	}
	out, _ := json.Marshal(prof)
	argv := []string{"run", "--security-opt", "seccomp=" + attackProfile(t, out), "img"}
	wantRefused(t, decide(t, mustPolicy(t, ""), argv, defaults.Facts{}), "seccomp", argv)
}

// F5: writable binds of root-owned host state outside the deny list: dpkg's maintainer
// scripts, systemd's runtime directory and sockets, cron's spool, D-Bus. Each is root on the
// host (a postinst, a unit, a crontab, a systemd-run over D-Bus as uid 0).
func TestAttackWritableRootStateOutsideDenyList(t *testing.T) {
	p := mustPolicy(t, "")
	for _, src := range []string{"/var/lib/dpkg", "/run/systemd", "/var/spool/cron", "/run/dbus", "/var/lib/apt", "/var/lib/systemd"} {
		argv := []string{"run", "-v", src + ":/x", "img"}
		wantRefused(t, decide(t, p, argv, defaults.Facts{}), "mounts", argv)
	}
}

// F7: registry ports written with leading zeros name the same registry (docker dials
// 127.0.0.1:5999 for 127.0.0.1:05999) but escape the rule written for it.
func TestAttackRegistryPortLeadingZeros(t *testing.T) {
	for _, c := range []struct{ pattern, ref string }{
		{"127.0.0.1:5000/**", "127.0.0.1:05000/evil:latest"},
		{"registry.example.com/team/**", "registry.example.com:0443/team/api:1"},
		{"registry.example.com/team/**", "registry.example.com:00443/team/api:1"},
	} {
		if !defaults.MatchImage(c.pattern, c.ref) {
			t.Errorf("MatchImage(%q, %q) = false: docker pulls %s from the registry the rule names", c.pattern, c.ref, c.ref)
		}
	}
}
