package plan

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/moby/moby/api/types/plugin"

	"sdocker/defaults"
	"sdocker/wrapper"
)

// decideMore works out the commands beyond run, create, exec, update and pull (see
// wrapper/argv's commands.go): what each would make the daemon do, decided, and the command
// line docker gets when they are allowed.
func (pl *Plan) decideMore(ctx context.Context, env Env) error {
	inv, p, ep, eng := pl.Invocation, pl.Policy, pl.Endpoint, pl.Engine
	swap := swapCheck(ep)
	others := swap
	if swap != nil {
		others = wrapper.SwappableByOthers // the user's own directories stay theirs, as at run
	}
	var reqs []defaults.Request
	var err error
	switch inv.Command {
	case "start", "restart":
		reqs, err = startRequests(ctx, eng, inv, swap, others)
	case "network connect":
		reqs, err = connectRequest(ctx, eng, inv)
	case "volume create":
		reqs = []defaults.Request{wrapper.VolumeCreateRequest(inv)}
	case "network create":
		reqs = []defaults.Request{wrapper.NetworkCreateRequest(inv)}
	case "cp":
		// A copy mounts the container's binds and volumes as a start does: re-checked alike.
		if c := wrapper.CopyContainer(inv); c != "" {
			copied := *inv
			copied.Args = []string{c}
			reqs, err = startRequests(ctx, eng, &copied, others, others)
		}
	case "build", "buildx build":
		if inv.Command == "build" {
			// docker hands the command line to buildx where BuildKit builds: read it as the
			// builder will.
			if inv, err = inv.AsBuilder(env.BuildKit()); err != nil {
				return err
			}
		}
		var r defaults.Request
		if r, err = wrapper.Request(inv, wrapper.RequestInput{Cwd: env.Cwd, ReadFile: env.ReadFile}); err == nil {
			// --network by ID, or container:NAME of a container on the host's network.
			err = wrapper.ResolveDaemonRefs(ctx, eng, &r)
		}
		reqs = []defaults.Request{r}
	case "plugin install", "plugin upgrade", "plugin create", "plugin enable", "plugin set":
		reqs, err = pluginRequests(ctx, eng, inv)
	case "buildx":
		reqs = []defaults.Request{{Kind: defaults.KindBuildKit, BuildKit: "docker " + wrapper.Quote(inv.Argv)}}
	default:
		// Fail closed: a command wrapper/argv decides is never passed through unplanned.
		return fmt.Errorf("sdocker decides %q but has no plan for it", inv.Command)
	}
	if err != nil {
		return err
	}
	var edit wrapper.Edit
	policed := "" // the policed socket a container of a named image may hold (start, cp)
	if ep.Local() {
		policed = wrapper.PolicedSocket(p.Runtime.DockerSocket.Policed)
	}
	for _, r := range reqs {
		in := defaults.Input{Policy: p, Request: r, Now: time.Now(), ResolvePath: resolver(ep)}
		in.Facts.PolicedSocket = policed
		if ep.Local() {
			in.Host, in.Homes, in.Exists = wrapper.LocalHostFS(), wrapper.HostHomes(), wrapper.HostPathExists
			if r.Kind == defaults.KindStart {
				// The policed socket run and create gave the container in place of the daemon's.
				in.Facts.PolicedSocket = wrapper.PolicedSocket(p.Runtime.DockerSocket.Policed)
			}
		}
		d := defaults.Decide(in)
		if err := Report(env.Out, d); err != nil {
			return err
		}
		if r.Kind == defaults.KindBuild {
			// --memory and --cpu-quota: the legacy builder's flags, which buildx reads too
			// (as --resource) for the builder's RUN steps.
			if edit, err = wrapper.EditFor(inv, d, nil); err != nil {
				return err
			}
		}
	}
	pl.Edit, pl.Argv = edit, wrapper.Render(inv, edit)
	return nil
}

// startRequests re-checks, for each container named, what the daemon will mount when it starts
// it: the decision of its binds and volumes as they resolve now, and who could swap them.
// A container without a restart policy is mounted at once, as at run: others' swaps count, the
// user's own do not; with one, anyone's but root's.
func startRequests(ctx context.Context, eng *wrapper.Engine, inv *wrapper.Invocation, swap, others func(string) (string, error)) ([]defaults.Request, error) {
	var out []defaults.Request
	for _, c := range inv.Args {
		r, err := wrapper.StartRequest(ctx, eng, wrapper.StartInput{Typed: c, Swappable: swap, SwappableByOthers: others})
		if errors.Is(err, wrapper.ErrNotFound) {
			continue // docker says so itself
		}
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// connectRequest reads network connect NETWORK CONTAINER: the network as the daemon knows it
// (an ID or a prefix of one can name the default bridge or the host's network), judged with
// the image of the container that joins it.
func connectRequest(ctx context.Context, eng *wrapper.Engine, inv *wrapper.Invocation) ([]defaults.Request, error) {
	r, err := wrapper.ConnectRequest(inv)
	if err != nil {
		return nil, err
	}
	if err := wrapper.ResolveDaemonRefs(ctx, eng, &r); err != nil {
		return nil, err
	}
	var c struct{ Config struct{ Image string } }
	if err := eng.Get(ctx, "/containers/"+url.PathEscape(inv.Args[1])+"/json", &c); err == nil {
		r.Image = c.Config.Image
	}
	return []defaults.Request{r}, nil
}

// pluginRequests describes what a plugin command would grant: the privileges of a remote
// plugin as the daemon computes them (install, upgrade), of a plugin data directory's
// config.json (create), of an installed plugin with its settings (enable), and the mounts and
// devices that KEY=VALUE settings point elsewhere (install, upgrade, set).
func pluginRequests(ctx context.Context, eng *wrapper.Engine, inv *wrapper.Invocation) ([]defaults.Request, error) {
	args := inv.Args
	var ref, from string
	var privs []defaults.PluginPrivilege
	switch inv.Command {
	case "plugin install", "plugin upgrade":
		i := 0
		if inv.Command == "plugin upgrade" {
			i = 1 // PLUGIN [REMOTE]
		}
		if len(args) <= i && inv.Command == "plugin install" || len(args) == 0 {
			return nil, nil // docker prints its usage
		}
		if len(args) <= i {
			// upgrade PLUGIN alone upgrades from the plugin's own reference.
			var pl plugin.Plugin
			if err := eng.Get(ctx, "/plugins/"+url.PathEscape(args[0])+"/json", &pl); err != nil {
				return nil, fmt.Errorf("inspecting plugin %s: %w", args[0], err)
			}
			ref = pl.PluginReference
		} else {
			ref = args[i]
		}
		from = "plugin " + ref
		var remote []defaults.PluginPrivilege
		if err := eng.Get(ctx, "/plugins/privileges?remote="+url.QueryEscape(ref), &remote); err != nil {
			return nil, fmt.Errorf("asking the daemon which privileges plugin %s asks for: %w", ref, err)
		}
		privs = append(remote, wrapper.PluginSettings(args[i+1:])...)
	case "plugin create":
		if len(args) < 2 {
			return nil, nil
		}
		ref, from = args[0], "config.json of "+args[1]
		data, err := os.ReadFile(filepath.Join(args[1], "config.json"))
		if err != nil {
			return nil, &wrapper.UsageError{Msg: fmt.Sprintf("reading the plugin's config: %v", err)}
		}
		var cfg plugin.Config
		if err := json.Unmarshal(data, &cfg); err != nil {
			return nil, &wrapper.UsageError{Msg: fmt.Sprintf("reading %s: %v", filepath.Join(args[1], "config.json"), err)}
		}
		privs = wrapper.PluginConfigPrivileges(cfg, nil)
	case "plugin enable", "plugin set":
		if len(args) == 0 {
			return nil, nil
		}
		var pl plugin.Plugin
		if err := eng.Get(ctx, "/plugins/"+url.PathEscape(args[0])+"/json", &pl); err != nil {
			if errors.Is(err, wrapper.ErrNotFound) {
				return nil, nil // docker says so itself
			}
			return nil, fmt.Errorf("inspecting plugin %s: %w", args[0], err)
		}
		ref, from = firstNonEmpty(pl.PluginReference, pl.Name), "plugin "+args[0]
		if inv.Command == "plugin enable" {
			privs = wrapper.PluginConfigPrivileges(pl.Config, &pl.Settings)
		} else {
			privs = wrapper.PluginSettings(args[1:])
		}
	}
	r, err := defaults.PluginRequest(ref, from, privs)
	if err != nil {
		return nil, err
	}
	return []defaults.Request{r}, nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
