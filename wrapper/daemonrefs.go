package wrapper

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"sdocker/defaults"
)

// ResolveDaemonRefs adds to a request what its arguments only name and the daemon knows: the
// binds of containers named by --volumes-from, the host directory behind a named local volume
// created with o=bind, and the host namespace behind --network/--pid/--ipc container:NAME. The
// decision then sees through them as it sees through the flags themselves.
func ResolveDaemonRefs(ctx context.Context, eng *Engine, r *defaults.Request) error {
	for _, s := range r.VolumesFrom {
		id := cutMode(s.Value)
		var c inspected
		if err := eng.Get(ctx, "/containers/"+url.PathEscape(id)+"/json", &c); err != nil {
			return fmt.Errorf("inspecting %s for %s: %w", id, s.Typed, err)
		}
		for _, m := range c.Mounts {
			if m.Type == "bind" {
				r.Mounts = append(r.Mounts, defaults.Mount{Type: "bind", Source: m.Source, Target: m.Destination,
					Typed: fmt.Sprintf("%s (which binds %s)", s.Typed, m.Source)})
			}
		}
	}
	for _, m := range append([]defaults.Mount(nil), r.Mounts...) {
		if m.Type != "volume" || m.Source == "" || strings.HasPrefix(m.Source, "/") {
			continue
		}
		var v struct {
			Driver  string
			Options map[string]string
		}
		err := eng.Get(ctx, "/volumes/"+url.PathEscape(m.Source), &v)
		if errors.Is(err, ErrNotFound) {
			continue // docker will create an ordinary volume
		}
		if err != nil {
			return fmt.Errorf("inspecting volume %s for %s: %w", m.Source, m.Typed, err)
		}
		if dev := v.Options["device"]; v.Driver == "local" && dev != "" && isBindOpt(v.Options["o"]) {
			r.Mounts = append(r.Mounts, defaults.Mount{Type: "bind", Source: filepath.Clean(dev), Target: m.Target,
				Typed: fmt.Sprintf("%s (volume %s binds %s)", m.Typed, m.Source, dev)})
		}
	}
	for _, ns := range []struct {
		s    **defaults.Setting
		mode func(inspected) string
	}{
		{&r.Network, func(c inspected) string { return c.HostConfig.NetworkMode }},
		{&r.PID, func(c inspected) string { return c.HostConfig.PidMode }},
		{&r.IPC, func(c inspected) string { return c.HostConfig.IpcMode }},
	} {
		if err := sharedNamespace(ctx, eng, ns.s, ns.mode); err != nil {
			return err
		}
	}
	return nil
}

// inspected is the part of GET /containers/{id}/json these checks read.
type inspected struct {
	Mounts     []ContainerMount
	HostConfig struct {
		NetworkMode, PidMode, IpcMode string
	}
}

// sharedNamespace follows container:NAME (through a few containers that share in turn) and, if
// it ends at the host's namespace, makes the setting say host, naming the chain.
func sharedNamespace(ctx context.Context, eng *Engine, sp **defaults.Setting, mode func(inspected) string) error {
	s := *sp
	if s == nil {
		return nil
	}
	value, chain := s.Value, ""
	for hops := 0; hops < 8; hops++ {
		id, ok := strings.CutPrefix(value, "container:")
		if !ok {
			break
		}
		var c inspected
		if err := eng.Get(ctx, "/containers/"+url.PathEscape(id)+"/json", &c); err != nil {
			return fmt.Errorf("inspecting %s for %s: %w", id, s.Typed, err)
		}
		value, chain = mode(c), chain+" → "+id
	}
	if value == "host" && s.Value != "host" {
		*sp = &defaults.Setting{Value: "host", Typed: fmt.Sprintf("%s (%s shares the host's namespace)", s.Typed, strings.TrimPrefix(chain, " → "))}
	}
	return nil
}

// cutMode strips the :ro or :rw of a --volumes-from value.
func cutMode(v string) string {
	if i := strings.LastIndex(v, ":"); i >= 0 {
		switch v[i+1:] {
		case "ro", "rw":
			return v[:i]
		}
	}
	return v
}
