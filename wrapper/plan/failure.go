package plan

import (
	"sdocker/defaults"
	"sdocker/wrapper/argv"
)

// Withheld is a reading of a failed container's output: a capability or no-new-privileges that
// explains the failure.
type Withheld struct {
	defaults.Diagnosis
	// DroppedAs is the argument, as typed, that dropped the capability where the user dropped it
	// themselves; "" where the policy withheld it.
	DroppedAs string
}

// Withheld reads the last output lines of the plan's container, which exited with code,
// against what the container ran without: what the plan's decision dropped or set, and what
// the user typed.
func (pl *Plan) Withheld(output []string, code int) []Withheld {
	in, d := pl.Input, pl.Decision
	state := defaults.ContainerState{ExitCode: code, Output: output}
	for _, a := range d.Change.Add {
		switch {
		case a.Field == defaults.FieldCapAdd:
			state.CapAdd = append(state.CapAdd, a.Value)
		case a.Field == defaults.FieldCapDrop:
			state.CapDrop = append(state.CapDrop, a.Value)
		case a.Field == defaults.FieldSecurityOpt && a.Value == "no-new-privileges":
			state.NoNewPrivileges = true
		}
	}
	if c := d.Capabilities; c != nil {
		state.User = c.User
		if c.User == "root" {
			state.User = ""
		}
	}
	// What the user typed counts too.
	for _, s := range in.Request.CapAdd {
		state.CapAdd = append(state.CapAdd, s.Value)
	}
	typed := map[string]string{} // capabilities the user dropped by name, as typed
	for _, s := range in.Request.CapDrop {
		state.CapDrop = append(state.CapDrop, s.Value)
		typed[defaults.NormalizeCapability(s.Value)] = s.From
	}
	for _, s := range in.Request.SecurityOpt {
		if s.Key == "no-new-privileges" && (s.Value == "" || argv.IsTrue(s.Value)) {
			state.NoNewPrivileges = true
		}
	}
	var out []Withheld
	for _, x := range defaults.Diagnose(in.Policy, state) {
		out = append(out, Withheld{Diagnosis: x, DroppedAs: typed[x.Cause]})
	}
	return out
}
