package defaults

import (
	"fmt"
	"slices"
)

// RunnerHints rewrites the violations of d that a value the runner added caused (a.Added), so
// a CI user reads that the runner added it, not the job's author, and what changes it: the
// runner's preset where it lifts the violation, else the runner's own setting, else the hint
// the violation had. underPreset is the same request decided under the runner's preset (sdocker
// policy preset RUNNER); nil where the door did not decide it, and the preset is then named as
// the way to try. d itself is not changed.
func RunnerHints(d Decision, a Attribution, underPreset *Decision) Decision {
	if a.Runner == "" || len(a.Added) == 0 {
		return d
	}
	out := d
	out.Violations = slices.Clone(d.Violations)
	for i, v := range out.Violations {
		added, ok := a.AddedBy(v.From)
		if !ok {
			continue
		}
		preset := fmt.Sprintf("sdocker policy preset %s", a.Runner)
		v.Message = fmt.Sprintf("%s (%s added %s, not the job's author: %s)", v.Message, a.Runner.title(), v.From, added.Why)
		switch {
		case underPreset != nil && !refuses(*underPreset, v):
			v.Hint = fmt.Sprintf("use the policy made for hosts that run %s, which allows what the runner adds: %s > /etc/sdocker/policy.yaml", a.Runner.title(), preset)
		case underPreset != nil && added.Setting != "":
			v.Hint = fmt.Sprintf("%s (even the runner's preset, %s, refuses it); or %s", added.Setting, preset, v.Hint)
		case underPreset != nil:
			v.Hint = fmt.Sprintf("%s (the runner adds it, and even its preset, %s, refuses it)", v.Hint, preset)
		case added.Setting != "":
			v.Hint = fmt.Sprintf("try the policy made for hosts that run %s (%s), or %s; or %s", a.Runner.title(), preset, added.Setting, v.Hint)
		default:
			v.Hint = fmt.Sprintf("try the policy made for hosts that run %s (%s); or %s", a.Runner.title(), preset, v.Hint)
		}
		out.Violations[i] = v
	}
	return out
}

// refuses reports whether d has a violation of v's rule for v's argument.
func refuses(d Decision, v Violation) bool {
	for _, w := range d.Violations {
		if w.Rule == v.Rule && w.From == v.From {
			return true
		}
	}
	return false
}
