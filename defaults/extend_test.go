package defaults_test

import (
	"reflect"
	"strings"
	"testing"

	"sdocker/defaults"
)

// A policy file's lists of denials and drops extend the default's; replacing one is explicit
// (!replace) and warned about, as is every setting weaker than the default.
func TestPolicyListsExtendTheDefaults(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		argv       string
		rules      []string
		warnings   []string // words each warning must hold, in order
	}{
		{"one more denied mount keeps docker.sock denied", "version: 1\nruntime:\n  deny:\n    mounts: [/srv/secrets]\n",
			"run -v /var/run/docker.sock:/s img", []string{"mounts"}, nil},
		{"and denies the new one", "version: 1\nruntime:\n  deny:\n    mounts: [/srv/secrets]\n",
			"run -v /srv/secrets:/s img", []string{"mounts"}, nil},
		{"dropping NET_RAW keeps ALL dropped", "version: 1\nruntime:\n  capabilities:\n    drop: [NET_RAW]\n",
			"run img", []string{}, nil},
		{"!replace drops the default's entries, with a warning", "version: 1\nruntime:\n  deny:\n    mounts: !replace [/srv/secrets]\n",
			"run -v /var/lib/docker:/s:ro img", []string{}, []string{"line 4: runtime.deny.mounts: !replace drops the default's /var/run/docker.sock"}},
		{"weaker settings are warned about", "version: 1\nmode: warn\nruntime:\n  no_new_privileges: false\n  deny:\n    privileged: false\n",
			"run img", []string{}, []string{"line 2: mode: warn", "line 4: runtime.no_new_privileges: off", "line 6: runtime.deny.privileged: off"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := defaults.Parse([]byte(tc.yaml), "test.yaml")
			if err != nil {
				t.Fatal(err)
			}
			d := decide(t, p, strings.Fields(tc.argv), defaults.AssumedFacts())
			if got := rules(d.Violations); !reflect.DeepEqual(got, tc.rules) {
				t.Errorf("violations %v, want %v", got, tc.rules)
			}
			if tc.name == "dropping NET_RAW keeps ALL dropped" {
				if got := strings.Join(injected(d), " "); !strings.Contains(got, "--cap-drop=ALL") {
					t.Errorf("added %s: ALL is no longer dropped", got)
				}
			}
			if len(p.Warnings()) != len(tc.warnings) {
				t.Fatalf("warnings %q, want %d", p.Warnings(), len(tc.warnings))
			}
			for i, w := range tc.warnings {
				if !strings.HasPrefix(p.Warnings()[i], w) {
					t.Errorf("warning %q, want it to start %q", p.Warnings()[i], w)
				}
			}
		})
	}
}
