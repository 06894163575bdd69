package main

import (
	"context"
	"fmt"
	"time"

	"sdocker/defaults"
	"sdocker/wrapper"
)

// forwardSwarm decides service create, service update and stack deploy where swarm is active;
// elsewhere docker refuses them itself ("This node is not a swarm manager").
func forwardSwarm(ctx context.Context, e env, p *defaults.Policy, inv *wrapper.Invocation, eng *wrapper.Engine) error {
	var info struct {
		Swarm struct{ LocalNodeState string }
	}
	if err := eng.Get(ctx, "/info", &info); err != nil {
		return fmt.Errorf("asking the daemon whether swarm is active: %w", err)
	}
	if info.Swarm.LocalNodeState != "active" {
		return execDocker(e, inv.Argv)
	}
	var reqs []defaults.Request
	var sf *stackFile
	switch inv.Command {
	case "stack deploy":
		var err error
		if sf, err = readStack(e, inv); err != nil {
			return err
		}
		if reqs, err = stackRequests(ctx, e.getenv, sf); err != nil {
			return err
		}
	default:
		r, err := wrapper.ServiceRequest(inv, cwd())
		if err != nil {
			return err
		}
		reqs = []defaults.Request{r}
	}
	var edit wrapper.Edit
	for i := range reqs {
		// Networks by ID (the host's, the default bridge) and existing volumes are the daemon's.
		if err := wrapper.ResolveDaemonRefs(ctx, eng, &reqs[i]); err != nil {
			return err
		}
	}
	for _, r := range reqs {
		// A service's tasks run on any node of the swarm: host paths are judged by name, not
		// resolved on this host.
		d := defaults.Decide(defaults.Input{Policy: p, Request: r, Now: time.Now()})
		if err := report(e, d); err != nil {
			return err
		}
		if inv.Command == "service create" {
			var notes []string
			if edit, notes = wrapper.ServiceEdit(d); len(notes) > 0 {
				for _, n := range notes {
					fmt.Fprintln(e.stderr, "sdocker: note: "+n)
				}
			}
		}
	}
	if inv.Command == "stack deploy" {
		return execStack(e, inv, sf)
	}
	return execDocker(e, wrapper.Render(inv, edit))
}
