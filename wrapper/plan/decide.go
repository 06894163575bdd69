package plan

import (
	"context"
	"fmt"
	"strings"
	"time"

	"sdocker/defaults"
	"sdocker/wrapper"
	"sdocker/wrapper/argv"
)

// decide works out a run, create, exec or update: the request as the daemon will hold it, the
// decision, and for run and create the image gate and the policy's network.
func (pl *Plan) decide(ctx context.Context, env Env, daemon *onceDaemon) error {
	inv, p, ep, eng := pl.Invocation, pl.Policy, pl.Endpoint, pl.Engine
	req, err := wrapper.Request(inv, wrapper.RequestInput{Cwd: env.Cwd, ReadFile: env.ReadFile})
	if err != nil {
		return err
	}
	in := defaults.Input{Policy: p, Request: req, Now: time.Now()}
	if ep.Local() {
		in.ResolvePath, in.Host = wrapper.ResolveHostPath, wrapper.LocalHostFS()
		in.Homes, in.Exists = wrapper.HostHomes(), wrapper.HostPathExists
	}
	creates := inv.Command == "run" || inv.Command == "create"
	if creates {
		if in.Facts, err = daemonFacts(ctx, eng); err != nil {
			return err
		}
		if sock, ok := strings.CutPrefix(ep.Host, "unix://"); ok {
			in.Facts.DaemonSockets = []string{sock}
		}
		if ep.Local() {
			in.Facts.PolicedSocket = wrapper.PolicedSocket(p.Runtime.DockerSocket.Policed)
		}
		if in.Facts.Image, err = wrapper.InspectImage(ctx, daemon, in.Request.Image); err != nil {
			return err
		}
		if err := wrapper.ResolveDaemonRefs(ctx, eng, &in.Request); err != nil {
			return err
		}
		if in.Request.RestartPolicy != nil {
			// The daemon will mount these again on its own: who could swap them matters.
			if err := wrapper.MarkSwappable(in.Request.Mounts, swapCheck(ep)); err != nil {
				return err
			}
		} else if ep.Local() {
			// Between this check and the daemon's mount, another user must not be able to swap
			// a source for a link (the user's own directories are theirs to change).
			if err := wrapper.MarkSwappable(in.Request.Mounts, wrapper.SwappableByOthers); err != nil {
				return err
			}
		}
	}
	d := defaults.Decide(in)
	if inv.Command == "update" && d.Allowed {
		// Each container's current limits complete what the flags change.
		for _, c := range inv.Args {
			one := in
			if one.Request, err = wrapper.WithCurrentLimits(ctx, eng, in.Request, c); err != nil {
				return err
			}
			if one.Request, err = wrapper.WithContainerMounts(ctx, eng, one.Request, c, swapCheck(ep)); err != nil {
				return err
			}
			if d = defaults.Decide(one); !d.Allowed {
				break
			}
		}
	}
	if creates {
		d = RunnerHints(inv, in, d, env.Getenv)
	}
	pl.Input, pl.Decision = in, d
	if err := Report(env.Out, d); err != nil {
		LogDecision(env.Out, p, inv, d, "")
		return err
	}
	ed, err := wrapper.EditFor(inv, d, wrapper.PinProfile)
	if err != nil {
		return err
	}
	if creates {
		if ed.Image, err = pl.checkImage(ctx, env, daemon); err != nil {
			LogDecision(env.Out, p, inv, defaults.Decision{Mode: d.Mode, Violations: []defaults.Violation{{Rule: "image-gate", Field: defaults.FieldImage, From: inv.Image()}}}, "")
			return err
		}
		if ed.Image == "" {
			ed.Image = d.Change.Image // a content-bound exception: exactly the image judged
		}
	}
	LogDecision(env.Out, p, inv, d, ed.Image)
	for _, a := range d.Change.Add {
		if a.Field == defaults.FieldNetworkMode && p.Runtime.Network.Create {
			pl.Networks = append(pl.Networks, a.Value)
		}
	}
	pl.Edit, pl.Argv = ed, wrapper.Render(inv, ed)
	pl.Foreground = inv.Command == "run" && !FlagSet(inv, "detach")
	return nil
}

// daemonFacts asks the daemon what the decision needs to know, afresh for every command: facts
// read back from a file the user can write could be made to say what weakens the decision (a
// built-in seccomp default, another default runtime, a log driver that needs no rotation).
// GET /info costs the daemon about 10 ms, a fiftieth of a container start, and is asked once
// per command (the Engine keeps its answer for the scan gate).
func daemonFacts(ctx context.Context, eng *wrapper.Engine) (defaults.Facts, error) {
	info, err := eng.Info(ctx)
	if err != nil {
		return defaults.Facts{}, fmt.Errorf("asking the daemon for its security options: %w", err)
	}
	return wrapper.FactsFromInfo(info), nil
}

// swapCheck walks host paths where the daemon shares sdocker's host; nil for another host.
func swapCheck(ep wrapper.Endpoint) func(string) (string, error) {
	if ep.Local() {
		return wrapper.Swappable
	}
	return nil
}

func resolver(ep wrapper.Endpoint) func(string) (string, error) {
	if ep.Local() {
		return wrapper.ResolveHostPath
	}
	return nil
}

// FlagSet reports whether a boolean docker flag (by canonical name) is on in the invocation.
func FlagSet(inv *wrapper.Invocation, name string) bool {
	on := false
	for _, o := range inv.Flags {
		if o.Flag.Canonical() == name {
			on = o.Value == "" || argv.IsTrue(o.Value)
		}
	}
	return on
}

// FlagValue returns the last value of a docker flag (by canonical name), or "".
func FlagValue(inv *wrapper.Invocation, name string) string {
	v := ""
	for _, o := range inv.Flags {
		if o.Flag.Canonical() == name {
			v = o.Value
		}
	}
	return v
}
