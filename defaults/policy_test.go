package defaults_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/profiles/seccomp"

	"sdocker/defaults"
)

func TestEmbeddedDefaultIsValid(t *testing.T) {
	p, err := defaults.Parse(defaults.DefaultPolicyYAML(), "embedded default")
	if err != nil {
		t.Fatal(err)
	}
	if p.Mode != defaults.ModeEnforce || !p.Runtime.Deny.Privileged || p.Runtime.Network.Default != "sdocker" {
		t.Fatalf("unexpected default policy: %+v", p)
	}
	out, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := defaults.Parse(out, "round trip"); err != nil {
		t.Fatalf("marshalled policy does not parse back: %v\n%s", err, out)
	}
}

func TestPolicyErrorsNameTheLine(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"unknown key", "version: 1\nruntime:\n  capabilites: {}\n", "line 3: runtime.capabilites: unknown key (did you mean capabilities?)"},
		{"unknown key far from any", "version: 1\nruntime:\n  speed: 3\n", "line 3: runtime.speed: unknown key (known here: apparmor, binds, builds, capabilities, cgroupns,"},
		{"list for a size", "version: 1\nruntime:\n  resources:\n    memory: [1g]\n", "line 4: runtime.resources.memory: expected a size like 512m or 1g, got a list"},
		{"word for a number", "version: 1\nruntime:\n  resources: {cpus: lots}\n", `line 3: runtime.resources.cpus: expected a number, got "lots"`},
		{"word for a bool", "version: 1\nruntime:\n  no_new_privileges: maybe\n", `line 3: runtime.no_new_privileges: expected true or false, got "maybe"`},
		{"mapping for a list", "version: 1\nexceptions: {match: x}\n", "line 2: exceptions: expected a list of mappings, got a mapping"},
		{"nested typo", "version: 1\nimages:\n  - match: x\n    scan: {ignore_unfixd: true}\n", "line 4: images[0].scan.ignore_unfixd: unknown key (did you mean ignore_unfixed?)"},
		{"every problem", "version: 1\nmdoe: warn\nruntime: {seccmp: default}\n", "line 2: mdoe: unknown key (did you mean mode?)\nline 3: runtime.seccmp: unknown key (did you mean seccomp?)"},
		{"bad mode", "version: 1\nmode: loud\n", `line 2: mode: must be enforce or warn, got "loud"`},
		{"bad version", "version: 2\n", "version: must be 1"},
		{"bad size", "version: 1\nruntime:\n  resources: {memory: lots}\n", `line 3: runtime.resources.memory: expected a size like 512m or 1g, got "lots"`},
		{"bad date", "version: 1\nexceptions:\n  - {match: x, allow: [privileged], reason: r, expires: soon}\n", `line 3: exceptions[0].expires: expected a date like 2027-03-01, got "soon"`},
		{"unknown capability", "version: 1\nruntime:\n  capabilities: {allow: [SYS_FOO]}\n", `unknown capability "SYS_FOO"`},
		{"exception without reason", "version: 1\nexceptions:\n  - {match: x, allow: [privileged]}\n", "exceptions[0] (line 3): reason is required"},
		{"exception unknown rule", "version: 1\nexceptions:\n  - {match: x, allow: [everything], reason: r}\n", `unknown rule "everything" (one of`},
		{"exception rule typo", "version: 1\nexceptions:\n  - {match: x, allow: [privilegd], reason: r}\n", `allow: unknown rule "privilegd" (did you mean privileged?)`},
		{"keyless without identities", "version: 1\nimages:\n  - match: \"**\"\n    signature: {keyless: {roots: /r.pem, identities: []}}\n",
			"images[0] (line 3): signature.keyless.identities: at least one identity is required"},
		{"memory above max", "version: 1\nruntime:\n  resources: {memory: 16g, max_memory: 8g}\n", "line 3: runtime.resources: memory 16g is above max_memory 8g"},
		{"default bridge as default", "version: 1\nruntime:\n  network: {default: bridge}\n", "must be a user-defined network"},
		{"unconfined seccomp", "version: 1\nruntime:\n  seccomp: unconfined\n", "runtime.seccomp"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := defaults.Parse([]byte(tc.yaml), "p.yaml")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
			for _, goName := range []string{"defaults.", "!!", "float64", "int64", "[]", "field "} {
				if strings.Contains(err.Error(), goName) {
					t.Errorf("err %q speaks Go (%q), not the policy's YAML", err, goName)
				}
			}
			if !strings.Contains(err.Error(), "p.yaml") {
				t.Fatalf("err %v does not name the file", err)
			}
		})
	}
}

func TestPartialPolicyKeepsDefaults(t *testing.T) {
	p, err := defaults.Parse([]byte("version: 1\nmode: warn\nruntime:\n  resources: {memory: 2g}\n"), "p.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if p.Mode != defaults.ModeWarn || p.Runtime.Resources.Memory.String() != "2g" || p.Runtime.Resources.Pids != 512 || !p.Runtime.Deny.Privileged {
		t.Fatalf("partial policy did not keep the defaults: %+v", p.Runtime)
	}
}

func TestLoadOrder(t *testing.T) {
	dir := t.TempDir()
	xdg := filepath.Join(dir, "xdg")
	os.MkdirAll(filepath.Join(xdg, "sdocker"), 0o755)
	os.WriteFile(filepath.Join(xdg, "sdocker", "policy.yaml"), []byte("version: 1\nmode: warn\n"), 0o644)
	explicit := filepath.Join(dir, "explicit.yaml")
	os.WriteFile(explicit, []byte("version: 1\n"), 0o644)
	t.Setenv("XDG_CONFIG_HOME", xdg)
	t.Setenv("SDOCKER_POLICY", "")
	if p, err := defaults.Load(""); err != nil || p.Mode != defaults.ModeWarn || !strings.HasSuffix(p.Source, "sdocker/policy.yaml") {
		t.Fatalf("XDG policy not used: %v %+v", err, p)
	}
	t.Setenv("SDOCKER_POLICY", explicit)
	if p, err := defaults.Load(""); err != nil || p.Source != explicit {
		t.Fatalf("SDOCKER_POLICY not used: %v", err)
	}
	if _, err := defaults.Load(filepath.Join(dir, "missing.yaml")); err == nil {
		t.Fatal("a missing explicit policy must be an error")
	}
	t.Setenv("SDOCKER_POLICY", "")
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "empty"))
	if p, err := defaults.Load(""); err != nil || (p.Source != "embedded default" && p.Source != "/etc/sdocker/policy.yaml") {
		t.Fatalf("fallback: %v %+v", err, p)
	}
}

func TestEmbeddedSeccompIsMobysDefault(t *testing.T) {
	want, err := json.MarshalIndent(seccomp.DefaultProfile(), "", "\t")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(bytes.TrimSpace(defaults.MobySeccompProfile()), want) {
		t.Fatal("defaults/seccomp_default.json is not the module's DefaultProfile: run go generate ./defaults")
	}
}

func TestMobysProfileIsNotPermissive(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "moby.json")
	os.WriteFile(path, defaults.MobySeccompProfile(), 0o644)
	p, _ := defaults.Parse(defaults.DefaultPolicyYAML(), "embedded default")
	d := defaults.Decide(defaults.Input{Policy: p, Request: defaults.Request{Kind: defaults.KindCreate, Image: "img",
		SecurityOpt: []defaults.SecurityOpt{{Key: "seccomp", Value: path, Profile: defaults.MobySeccompProfile(), From: "--security-opt seccomp=" + path}}},
		Facts: defaults.AssumedFacts()})
	if !d.Allowed {
		t.Fatalf("Moby's own default profile was refused: %+v", d.Violations)
	}
}

func TestMatchImage(t *testing.T) {
	for _, tc := range []struct {
		pattern, ref string
		want         bool
	}{
		{"**", "busybox", true},
		{"busybox", "busybox:1.36", true},
		{"busybox", "docker.io/library/busybox", true},
		{"docker.io/library/*", "busybox", true},
		{"myorg/*", "myorg/app:1", true},
		{"myorg/*", "myorg/team/app:1", false},
		{"myorg/**", "myorg/team/app:1", true},
		{"registry.example.com/team/**", "registry.example.com/team/a/b:2", true},
		{"registry.example.com/team/**", "registry.example.com/other/a:2", false},
		{"registry.example.com/tools/dind:*", "registry.example.com/tools/dind:24", true},
		{"registry.example.com/tools/dind:24-*", "registry.example.com/tools/dind:25", false},
		{"127.0.0.1:5000/app", "127.0.0.1:5000/app@sha256:abc", true},
		{"localhost/**", "localhost/x/y", true},
	} {
		if got := defaults.MatchImage(tc.pattern, tc.ref); got != tc.want {
			t.Errorf("MatchImage(%q, %q) = %v, want %v", tc.pattern, tc.ref, got, tc.want)
		}
	}
}
