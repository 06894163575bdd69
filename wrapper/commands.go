package wrapper

import (
	"context"
	"fmt"
	"net/url"
	"path"
	"strings"

	"github.com/moby/moby/api/types/plugin"

	"sdocker/defaults"
)

// StartInput is what re-checking a container's mounts at start needs.
type StartInput struct {
	// Typed is the argument as the user typed it (the container's name or ID).
	Typed string
	// Swappable says who other than root can replace a host path (Swappable); nil when the
	// daemon is on another host, whose directories sdocker cannot see: every host source is
	// then taken to be swappable.
	Swappable func(string) (string, error)
	// SwappableByOthers, where set, takes Swappable's place for a container without a restart
	// policy: the start mounts its sources at once, as run does, so the starting user's own
	// directories are theirs to change as at run (SwappableByOthers, SwappableByOthersThan).
	// With a restart policy the daemon mounts them again later on its own: Swappable counts.
	SwappableByOthers func(string) (string, error)
}

// inspectedStart is the part of GET /containers/{id}/json the start re-check reads.
type inspectedStart struct {
	Name   string
	Config struct{ Image string }
	// Mounts are what the daemon will mount, with the sources it stored at create.
	Mounts []struct {
		Type, Name, Source, Destination, Driver string
		RW                                      bool
	}
	HostConfig struct {
		RestartPolicy struct{ Name string }
	}
}

// StartRequest describes what the daemon will mount when it starts an existing container:
// its binds and volumes as stored, named volumes read from the daemon (a local volume that
// binds a host directory is a bind of it), and who could replace each host source.
func StartRequest(ctx context.Context, eng Getter, in StartInput) (defaults.Request, error) {
	var c inspectedStart
	if err := eng.Get(ctx, "/containers/"+url.PathEscape(in.Typed)+"/json", &c); err != nil {
		return defaults.Request{}, fmt.Errorf("inspecting container %s to check its mounts: %w", in.Typed, err)
	}
	r := defaults.Request{Kind: defaults.KindStart, Image: c.Config.Image}
	if p := c.HostConfig.RestartPolicy.Name; defaults.RestartsOnItsOwn(p) {
		r.RestartPolicy = &defaults.Val[string]{Value: p, From: fmt.Sprintf("%s's restart policy %s", in.Typed, p)}
	}
	for _, m := range c.Mounts {
		switch m.Type {
		case "bind":
			r.Mounts = append(r.Mounts, defaults.Mount{Type: "bind", Source: m.Source, Target: m.Destination, ReadOnly: !m.RW,
				From: fmt.Sprintf("%s (which binds %s on %s)", in.Typed, m.Source, m.Destination)})
		case "volume":
			r.Mounts = append(r.Mounts, defaults.Mount{Type: "volume", Source: m.Name, Target: m.Destination, Driver: m.Driver, ReadOnly: !m.RW,
				From: fmt.Sprintf("%s (which mounts volume %s on %s)", in.Typed, m.Name, m.Destination)})
		}
	}
	if err := ResolveVolumes(ctx, eng, r.Mounts); err != nil {
		return r, err
	}
	swap := in.Swappable
	if r.RestartPolicy == nil && in.SwappableByOthers != nil {
		swap = in.SwappableByOthers
	}
	return r, MarkSwappable(r.Mounts, swap)
}

// MarkSwappable fills each host source's Swappable: a bind's source, and the device of a local
// volume that binds one. A path that cannot be walked is swappable (fail closed).
func MarkSwappable(mounts []defaults.Mount, swappable func(string) (string, error)) error {
	for i, m := range mounts {
		src := HostSource(m)
		if src == "" {
			continue
		}
		if swappable == nil {
			mounts[i].Swappable = "the daemon is on another host, whose directories sdocker cannot examine"
			continue
		}
		who, err := swappable(src)
		if err != nil {
			who = "it cannot be examined: " + err.Error()
		}
		mounts[i].Swappable = who
	}
	return nil
}

// HostSource is the host path a mount binds (a bind's source, a local volume's bound device
// and subpath), or "".
func HostSource(m defaults.Mount) string {
	switch {
	case m.Type == "bind" && strings.HasPrefix(m.Source, "/"):
		return m.Source
	case m.Type == "volume" && (m.Driver == "" || m.Driver == "local") && strings.HasPrefix(m.Options["device"], "/"):
		for _, o := range strings.Split(m.Options["o"], ",") {
			if o == "bind" || o == "rbind" {
				return path.Join(m.Options["device"], m.Subpath)
			}
		}
	}
	return ""
}

// WithContainerMounts completes an update that sets a restart policy with the container's
// mounts, which the daemon will make again each time it restarts the container on its own.
func WithContainerMounts(ctx context.Context, eng Getter, r defaults.Request, container string, swappable func(string) (string, error)) (defaults.Request, error) {
	if r.RestartPolicy == nil {
		return r, nil
	}
	s, err := StartRequest(ctx, eng, StartInput{Typed: container, Swappable: swappable})
	if err != nil {
		return r, err
	}
	r.Mounts = append(r.Mounts, s.Mounts...)
	return r, nil
}

// ConnectRequest describes docker network connect NETWORK CONTAINER: the container joins the
// network, which the daemon may know by ID or a prefix of it (ResolveDaemonRefs reads it).
func ConnectRequest(inv *Invocation) (defaults.Request, error) {
	if len(inv.Args) < 2 {
		return defaults.Request{}, &UsageError{Msg: "docker network connect needs a network and a container"}
	}
	typed := inv.Args[0]
	return defaults.Request{Kind: defaults.KindConnect, Networks: []defaults.Val[string]{{Value: typed, From: "network connect " + typed}}}, nil
}

// PluginSettings reads the KEY=VALUE settings of plugin install, upgrade and set as the daemon
// applies them: NAME.source sets a mount's host path, NAME.path a device's; environment
// variables and args change nothing the daemon grants. Settings become privileges to judge.
func PluginSettings(args []string) []defaults.PluginPrivilege {
	var out []defaults.PluginPrivilege
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			continue
		}
		switch {
		case strings.HasSuffix(k, ".source"):
			out = append(out, defaults.PluginPrivilege{Name: "mount", Value: []string{v}})
		case strings.HasSuffix(k, ".path"):
			out = append(out, defaults.PluginPrivilege{Name: "device", Value: []string{v}})
		}
	}
	return out
}

// PluginConfigPrivileges computes the privileges a plugin's config asks for, as moby does when
// it lists them for install (computePrivileges), with the settings the daemon holds for it.
func PluginConfigPrivileges(cfg plugin.Config, settings *plugin.Settings) []defaults.PluginPrivilege {
	var out []defaults.PluginPrivilege
	if t := cfg.Network.Type; t != "" && t != "null" && t != "bridge" {
		out = append(out, defaults.PluginPrivilege{Name: "network", Value: []string{t}})
	}
	if cfg.IpcHost {
		out = append(out, defaults.PluginPrivilege{Name: "host ipc namespace", Value: []string{"true"}})
	}
	if cfg.PidHost {
		out = append(out, defaults.PluginPrivilege{Name: "host pid namespace", Value: []string{"true"}})
	}
	mounts, devices := cfg.Mounts, cfg.Linux.Devices
	if settings != nil {
		mounts, devices = settings.Mounts, settings.Devices
	}
	for _, m := range mounts {
		if m.Source != nil && *m.Source != "" {
			out = append(out, defaults.PluginPrivilege{Name: "mount", Value: []string{*m.Source}})
		}
	}
	for _, d := range devices {
		if d.Path != nil && *d.Path != "" {
			out = append(out, defaults.PluginPrivilege{Name: "device", Value: []string{*d.Path}})
		}
	}
	if cfg.Linux.AllowAllDevices {
		out = append(out, defaults.PluginPrivilege{Name: "allow-all-devices", Value: []string{"true"}})
	}
	if len(cfg.Linux.Capabilities) > 0 {
		out = append(out, defaults.PluginPrivilege{Name: "capabilities", Value: cfg.Linux.Capabilities})
	}
	return out
}

// VolumeCreateRequest describes `docker volume create` as the volume a container would mount:
// its driver and options, judged as a mount is (a local volume that binds or mounts the host is
// the host by another name), so that no such volume exists for a later run or create to use.
func VolumeCreateRequest(inv *Invocation) defaults.Request {
	m := defaults.Mount{Type: "volume", From: "docker " + Quote(inv.Argv)}
	m.Source, m.Driver, m.Options = driverCreate(inv, "local")
	return defaults.Request{Kind: defaults.KindVolume, Mounts: []defaults.Mount{m}}
}

// NetworkCreateRequest describes docker network create: the network's driver and options.
func NetworkCreateRequest(inv *Invocation) defaults.Request {
	n := &defaults.NetworkSpec{From: "docker " + Quote(inv.Argv)}
	n.Name, n.Driver, n.Options = driverCreate(inv, "bridge")
	return defaults.Request{Kind: defaults.KindNetwork, NetworkCreate: n}
}

// driverCreate reads `volume create` and `network create` alike: the name, --driver (the
// default where not given) and each --opt KEY=VALUE.
func driverCreate(inv *Invocation, driver string) (name, drv string, opts map[string]string) {
	if len(inv.Args) > 0 {
		name = inv.Args[0]
	}
	drv = driver
	for _, o := range inv.Flags {
		switch o.Flag.Canonical() {
		case "driver":
			drv = o.Value
		case "opt":
			k, v, _ := strings.Cut(o.Value, "=")
			if opts == nil {
				opts = map[string]string{}
			}
			opts[k] = v
		}
	}
	return name, drv, opts
}

// CopyContainer is the container a docker cp copies to or from (CONTAINER:PATH, as docker reads
// its arguments: a path that is absolute or starts with "." is local), or "".
func CopyContainer(inv *Invocation) string {
	for _, a := range inv.Args {
		if strings.HasPrefix(a, "/") || strings.HasPrefix(a, ".") || a == "-" {
			continue
		}
		if c, _, ok := strings.Cut(a, ":"); ok && c != "" {
			return c
		}
	}
	return ""
}
