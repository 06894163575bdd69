package plan

import (
	"sdocker/defaults"
	"sdocker/wrapper"
)

// RunnerHints words a refusal caused by what a CI runner added to the command line (the GitHub
// Actions runner's socket bind, Jenkins' workspace binds…) as the runner's doing, and names
// what changes it: the runner's preset where the same request passes under it (decided again
// here, the preset's policed socket taken as served), else the runner's own setting. It changes
// only words, never whether the request is allowed: anyone can write a runner's command line.
func RunnerHints(inv *wrapper.Invocation, in defaults.Input, d defaults.Decision, getenv func(string) string) defaults.Decision {
	if d.Allowed || len(d.Violations) == 0 || getenv == nil {
		return d
	}
	a := defaults.AttributeRunner(wrapper.RunnerInput(inv, in.Request, getenv))
	if a.Runner == "" || len(a.Added) == 0 {
		return d
	}
	b, err := defaults.Preset(string(a.Runner))
	if err != nil {
		return defaults.RunnerHints(d, a, nil)
	}
	preset, err := defaults.Parse(b, "preset "+string(a.Runner))
	if err != nil {
		return defaults.RunnerHints(d, a, nil)
	}
	under := in
	under.Policy = preset
	under.Facts.PolicedSocket = preset.Runtime.DockerSocket.Policed
	ud := defaults.Decide(under)
	return defaults.RunnerHints(d, a, &ud)
}
