package defaults

import (
	"encoding/json"
	"fmt"
	"sort"
	"testing"

	"github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// expandProfile is a copy of Moby's reading of a profile (which builds on Linux only); on this
// host's kernel it must give what Moby's own LoadProfile gives, for the default profile and
// the capability sets containers get.
func TestExpandProfileMatchesMobysReading(t *testing.T) {
	for _, caps := range [][]string{nil, {"CAP_CHOWN", "CAP_SETUID"}, {"CAP_SYS_ADMIN"}, {"CAP_SYS_PTRACE", "CAP_BPF", "CAP_SYS_TIME"}} {
		spec := &specs.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{Bounding: caps}}}
		want, err := seccomp.LoadProfile(string(mobySeccomp), spec)
		if err != nil {
			t.Fatal(err)
		}
		var p seccomp.Seccomp
		if err := json.Unmarshal(mobySeccomp, &p); err != nil {
			t.Fatal(err)
		}
		got, err := expandProfile(&p, caps)
		if err != nil {
			t.Fatal(err)
		}
		if a, b := summary(want), summary(got); a != b {
			t.Errorf("caps %v: Moby reads\n%s\nsdocker reads\n%s", caps, a, b)
		}
	}
}

func summary(p *specs.LinuxSeccomp) string {
	var rules []string
	for _, r := range p.Syscalls {
		names := append([]string{}, r.Names...)
		sort.Strings(names)
		rules = append(rules, fmt.Sprintf("%s %v %d", r.Action, names, len(r.Args)))
	}
	sort.Strings(rules)
	return fmt.Sprintf("%s %v\n%v", p.DefaultAction, p.Architectures, rules)
}
