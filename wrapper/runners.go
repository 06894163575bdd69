package wrapper

import "sdocker/defaults"

// RunnerInput gathers what runner attribution (defaults.AttributeRunner) reads from a parsed
// run, create or exec beside its request: the container's environment and labels, working
// directory, entrypoint and command, each with the argument as typed, and the docker
// CLI's own environment (getenv, os.Getenv at the CLI door).
func RunnerInput(inv *Invocation, r defaults.Request, getenv func(string) string) defaults.RunnerInput {
	in := defaults.RunnerInput{Request: r, Getenv: getenv}
	for _, o := range inv.Flags {
		v := defaults.Val[string]{Value: o.Value, From: o.Typed}
		switch o.Flag.Canonical() {
		case "env":
			in.Env = append(in.Env, v)
		case "label":
			in.Labels = append(in.Labels, v)
		case "workdir":
			in.Workdir = &v
		case "entrypoint":
			in.Entrypoint = &v
		}
	}
	if len(inv.Args) > 1 {
		in.Cmd = inv.Args[1:]
	}
	return in
}
