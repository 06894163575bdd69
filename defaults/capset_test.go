package defaults_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"sdocker/defaults"
)

// withoutSetupCaps leaves out the setup set's --cap-add injections, which the tests below check.
func withoutSetupCaps(in []string) []string {
	out := []string{}
	for _, s := range in {
		if !strings.HasPrefix(s, "--cap-add=") {
			out = append(out, s)
		}
	}
	return out
}

func imageUser(u string) defaults.Facts {
	f := defaults.AssumedFacts()
	f.Known = true
	f.Image = &defaults.ImageFacts{User: u}
	return f
}

func TestSetupCapabilitiesFitTheProcess(t *testing.T) {
	setup := defaults.SetupCapabilities
	strict := mustPolicy(t, "version: 1\nruntime: {capabilities: {setup: none}}\n")
	for _, tc := range []struct {
		name   string
		policy *defaults.Policy
		argv   string
		facts  defaults.Facts
		set    string
		given  []string
		from   string
	}{
		{"root image", nil, "run img", imageUser(""), "setup", setup, "the image's USER"},
		{"image USER root", nil, "run img", imageUser("root"), "setup", setup, "the image's USER"},
		{"image USER 0:0", nil, "run img", imageUser("0:0"), "setup", setup, "the image's USER"},
		{"image USER postgres", nil, "run img", imageUser("postgres"), "none", nil, "the image's USER"},
		{"image USER 1000:1000", nil, "run img", imageUser("1000:1000"), "none", nil, "the image's USER"},
		{"image USER 1000 in group 0", nil, "run img", imageUser("1000:0"), "none", nil, "the image's USER"},
		{"-u 1000 over a root image", nil, "run -u 1000 img", imageUser(""), "none", nil, "-u 1000"},
		{"--user=app over a root image", nil, "run --user=app img", imageUser(""), "none", nil, "--user=app"},
		{"-u 0 over a non-root image", nil, "run -u 0 img", imageUser("app"), "setup", setup, "-u 0"},
		{"-u root:staff", nil, "run -u root:staff img", imageUser("app"), "setup", setup, "-u root:staff"},
		{"-u 00 is uid 0", nil, "run -u 00 img", imageUser("app"), "setup", setup, "-u 00"},
		{"-u :1000 keeps the image's user", nil, "run -u :1000 img", imageUser("app"), "none", nil, "the image's USER"},
		{"no daemon asked: assumed root", nil, "run img", defaults.AssumedFacts(), "setup", setup, "assumed"},
		{"setup: none is the strict form", strict, "run img", imageUser(""), "none", nil, "the image's USER"},
		{"--cap-drop ALL typed", nil, "run --cap-drop ALL img", imageUser(""), "none", nil, "the image's USER"},
		{"a dropped one stays dropped", nil, "run --cap-drop chown --cap-drop CAP_KILL img", imageUser(""), "setup",
			[]string{"DAC_OVERRIDE", "FOWNER", "FSETID", "SETUID", "SETGID", "NET_BIND_SERVICE"}, "the image's USER"},
		{"one typed is not added twice", nil, "run --cap-add CHOWN img", imageUser(""), "setup",
			[]string{"DAC_OVERRIDE", "FOWNER", "FSETID", "SETUID", "SETGID", "KILL", "NET_BIND_SERVICE"}, "the image's USER"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.policy
			if p == nil {
				p = mustPolicy(t, "")
			}
			d := decide(t, p, strings.Split(tc.argv, " "), tc.facts)
			if !d.Allowed {
				t.Fatalf("refused: %+v", d.Violations)
			}
			ch := d.Capabilities
			if ch == nil {
				t.Fatal("no capability choice recorded")
			}
			want := tc.given
			if want == nil {
				want = []string{}
			}
			if ch.Set != tc.set || !reflect.DeepEqual(ch.Given, want) || ch.From != tc.from || ch.Why == "" {
				t.Fatalf("choice %+v, want set %s given %v from %q", ch, tc.set, want, tc.from)
			}
			var added []string
			for _, a := range d.Change.Add {
				if a.Field == defaults.FieldCapAdd {
					added = append(added, a.Value)
				}
			}
			if !slices.Equal(added, tc.given) {
				t.Fatalf("injected --cap-add %v, want %v", added, tc.given)
			}
		})
	}
}

func TestCapAddOfTheSetupSetNeedsNoPolicyEdit(t *testing.T) {
	strict := mustPolicy(t, "version: 1\nruntime: {capabilities: {setup: none}}\n")
	for _, tc := range []struct {
		name    string
		policy  *defaults.Policy
		argv    string
		allowed bool
	}{
		{"setup member, non-root image", nil, "run -u 1000 --cap-add CHOWN --cap-add cap_setuid --cap-add setgid img", true},
		{"allow-list member", nil, "run --cap-add NET_BIND_SERVICE img", true},
		{"setup member under setup: none", strict, "run --cap-add CHOWN img", false},
		{"allow-list member under setup: none", strict, "run --cap-add NET_BIND_SERVICE img", true},
		{"NET_ADMIN", nil, "run --cap-add NET_ADMIN img", false},
		{"SYS_ADMIN", nil, "run --cap-add CAP_SYS_ADMIN img", false},
		{"NET_RAW is docker's but not the setup set's", nil, "run --cap-add NET_RAW img", false},
		{"MKNOD", nil, "run --cap-add mknod img", false},
		{"ALL", nil, "run --cap-add ALL img", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.policy
			if p == nil {
				p = mustPolicy(t, "")
			}
			d := decide(t, p, strings.Split(tc.argv, " "), imageUser(""))
			if d.Allowed != tc.allowed {
				t.Fatalf("allowed = %v, want %v (%+v)", d.Allowed, tc.allowed, d.Violations)
			}
		})
	}
}

// The setup set stays inside docker's default set and never holds a capability that reaches
// outside the container.
func TestSetupSetIsSmall(t *testing.T) {
	dockerDefault := []string{"CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID", "SETUID",
		"SETFCAP", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE"}
	never := []string{"SYS_ADMIN", "NET_ADMIN", "SYS_PTRACE", "SYS_MODULE", "DAC_READ_SEARCH", "NET_RAW", "MKNOD",
		"AUDIT_WRITE", "SYS_RAWIO", "SYS_TIME", "BPF", "PERFMON", "SETFCAP", "SETPCAP", "LINUX_IMMUTABLE"}
	for _, c := range defaults.SetupCapabilities {
		if !slices.Contains(dockerDefault, c) || slices.Contains(never, c) {
			t.Errorf("setup capability %s: outside docker's default set or dangerous", c)
		}
	}
}

func TestSetupPolicyValue(t *testing.T) {
	_, err := defaults.Parse([]byte("version: 1\nruntime:\n  capabilities:\n    setup: some\n"), "p.yaml")
	if err == nil || !strings.Contains(err.Error(), "line 4: runtime.capabilities.setup: must be auto or none") {
		t.Fatalf("err = %v", err)
	}
}
