package wrapper

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"sdocker/defaults"
)

// ResolveDaemonRefs adds to a request what its arguments only name and the daemon knows: the
// binds of containers named by --volumes-from, the host directory behind a named local volume
// created with o=bind, and the host namespace behind --network/--pid/--ipc container:NAME. The
// decision then sees through them as it sees through the flags themselves.
func ResolveDaemonRefs(ctx context.Context, eng Getter, r *defaults.Request) error {
	for _, s := range r.VolumesFrom {
		id := cutMode(s.Value)
		var c inspected
		if err := eng.Get(ctx, "/containers/"+url.PathEscape(id)+"/json", &c); err != nil {
			return fmt.Errorf("inspecting %s for %s: %w", id, s.From, err)
		}
		for _, m := range c.Mounts {
			switch m.Type {
			case "bind":
				r.Mounts = append(r.Mounts, defaults.Mount{Type: "bind", Source: m.Source, Target: m.Destination,
					From: fmt.Sprintf("%s (which binds %s)", s.From, m.Source), Inherited: true})
			case "volume":
				r.Mounts = append(r.Mounts, defaults.Mount{Type: "volume", Source: m.Name, Target: m.Destination,
					From: fmt.Sprintf("%s (which mounts volume %s)", s.From, m.Name), Inherited: true})
			}
		}
	}
	if err := ResolveVolumes(ctx, eng, r.Mounts); err != nil {
		return err
	}
	// A network named by ID (or a prefix of it) may be the default bridge or the host's.
	for i, n := range r.Networks {
		switch strings.ToLower(n.Value) {
		case "", "host", "none", "bridge", "default":
			continue
		}
		if strings.HasPrefix(n.Value, "container:") {
			continue
		}
		var net struct {
			Name, Driver string
			Options      map[string]string
		}
		err := eng.Get(ctx, "/networks/"+url.PathEscape(n.Value), &net)
		if errors.Is(err, ErrNotFound) {
			continue // docker will refuse it, or the policy's network is created
		}
		if err != nil {
			return fmt.Errorf("inspecting network %s for %s: %w", n.Value, n.From, err)
		}
		switch {
		case net.Driver == "host":
			r.Networks[i] = defaults.Val[string]{Value: "host", From: n.From + " (the host's network)"}
		case net.Name == "bridge" || net.Options["com.docker.network.bridge.default_bridge"] == "true":
			r.Networks[i] = defaults.Val[string]{Value: "bridge", From: n.From + " (the default bridge)"}
		default:
			// What the network is, for a network on the host's own segment (macvlan, ipvlan, a
			// host bridge by name), which is refused to join as it is to create.
			r.JoinedNetworks = append(r.JoinedNetworks, defaults.NetworkSpec{Name: net.Name, Driver: net.Driver, Options: net.Options, From: n.From})
		}
	}
	for i := range r.Networks {
		if err := sharedNamespace(ctx, eng, &r.Networks[i], func(c inspected) string { return c.HostConfig.NetworkMode }); err != nil {
			return err
		}
	}
	// A container that shares another's network namespace is on every network that one is on
	// (by its network mode or a network connect since): each is judged as one joined by name.
	for _, n := range r.Networks {
		if !strings.HasPrefix(n.Value, "container:") {
			continue
		}
		if err := sharedNetworks(ctx, eng, r, n); err != nil {
			return err
		}
	}
	if r.PID != nil {
		if err := sharedNamespace(ctx, eng, r.PID, func(c inspected) string { return c.HostConfig.PidMode }); err != nil {
			return err
		}
	}
	if r.IPC != nil {
		if err := sharedNamespace(ctx, eng, r.IPC, func(c inspected) string { return c.HostConfig.IpcMode }); err != nil {
			return err
		}
	}
	return nil
}

// Getter is what the resolvers need of the Engine API: one GET decoded (*Engine has it).
type Getter interface {
	Get(ctx context.Context, path string, out any) error
}

// ResolveVolumes fills the Driver and Options of the named volumes among mounts from the
// daemon (GET /volumes/{name}): a named volume is whatever its driver options say.
func ResolveVolumes(ctx context.Context, api Getter, mounts []defaults.Mount) error {
	for i, m := range mounts {
		// Options typed with --mount apply only when docker creates the volume: an existing
		// volume is what it was created as, whatever the command line says.
		if m.Type != "volume" || m.Source == "" || strings.HasPrefix(m.Source, "/") {
			continue
		}
		var v struct {
			Driver  string
			Options map[string]string
		}
		err := api.Get(ctx, "/volumes/"+url.PathEscape(m.Source), &v)
		if errors.Is(err, ErrNotFound) {
			continue // docker will create an ordinary volume
		}
		if err != nil {
			return fmt.Errorf("inspecting volume %s for %s: %w", m.Source, m.From, err)
		}
		mounts[i].Driver, mounts[i].Options = v.Driver, v.Options
		if len(v.Options) > 0 {
			mounts[i].From = fmt.Sprintf("%s (volume %s, created with %s)", m.From, m.Source, optionList(v.Options))
		}
	}
	return nil
}

func optionList(opts map[string]string) string {
	keys := make([]string, 0, len(opts))
	for k := range opts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		keys[i] = "-o " + k + "=" + opts[k]
	}
	return strings.Join(keys, " ")
}

// inspected is the part of GET /containers/{id}/json these checks read.
type inspected struct {
	Mounts []struct {
		Type, Name, Source, Destination string
	}
	HostConfig struct {
		NetworkMode, PidMode, IpcMode string
	}
	NetworkSettings struct {
		Networks map[string]struct{ NetworkID string }
	}
}

// sharedNetworks adds to the networks a request joins those of the container whose network
// namespace it shares (container:NAME, through the containers that share in turn): a container
// on a macvlan network, or connected to one since its create, puts the one that shares its
// namespace on the host's own segment as joining the network would.
func sharedNetworks(ctx context.Context, eng Getter, r *defaults.Request, n defaults.Val[string]) error {
	value, chain := n.Value, ""
	var c inspected
	for hops := 0; ; hops++ {
		id, ok := strings.CutPrefix(value, "container:")
		if !ok {
			break
		}
		if hops == 8 {
			return fmt.Errorf("following %s: more than 8 containers share in turn; name the last one", n.From)
		}
		c = inspected{}
		if err := eng.Get(ctx, "/containers/"+url.PathEscape(id)+"/json", &c); err != nil {
			return fmt.Errorf("inspecting %s for %s: %w", id, n.From, err)
		}
		value, chain = c.HostConfig.NetworkMode, chain+" → "+id
	}
	refs := map[string]string{} // network reference → its name, as the container has it
	for name, ep := range c.NetworkSettings.Networks {
		ref := ep.NetworkID
		if ref == "" {
			ref = name // a container not started yet names its networks only
		}
		refs[ref] = name
	}
	switch strings.ToLower(value) {
	case "", "host", "none", "bridge", "default":
	default:
		if _, ok := c.NetworkSettings.Networks[value]; !ok {
			refs[value] = value
		}
	}
	for ref, name := range refs {
		switch name {
		case "host", "none", "bridge":
			continue // the daemon's own networks, judged by the namespace shared
		}
		var net struct {
			Name, Driver string
			Options      map[string]string
		}
		err := eng.Get(ctx, "/networks/"+url.PathEscape(ref), &net)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("inspecting network %s for %s: %w", name, n.From, err)
		}
		if net.Driver == "host" || net.Name == "bridge" || net.Options["com.docker.network.bridge.default_bridge"] == "true" {
			continue
		}
		r.JoinedNetworks = append(r.JoinedNetworks, defaults.NetworkSpec{Name: net.Name, Driver: net.Driver, Options: net.Options,
			From: fmt.Sprintf("%s (%s is on network %s)", n.From, strings.TrimPrefix(chain, " → "), net.Name)})
	}
	return nil
}

// sharedNamespace follows container:NAME (through the containers that share in turn) and, if it
// ends at the host's namespace, makes the setting say host, naming the chain.
func sharedNamespace(ctx context.Context, eng Getter, s *defaults.Val[string], mode func(inspected) string) error {
	value, chain := s.Value, ""
	for hops := 0; ; hops++ {
		id, ok := strings.CutPrefix(value, "container:")
		if !ok {
			break
		}
		if hops == 8 {
			return fmt.Errorf("following %s: more than 8 containers share in turn; name the last one", s.From)
		}
		var c inspected
		if err := eng.Get(ctx, "/containers/"+url.PathEscape(id)+"/json", &c); err != nil {
			return fmt.Errorf("inspecting %s for %s: %w", id, s.From, err)
		}
		value, chain = mode(c), chain+" → "+id
	}
	if value == "host" && s.Value != "host" {
		*s = defaults.Val[string]{Value: "host", From: fmt.Sprintf("%s (%s shares the host's namespace)", s.From, strings.TrimPrefix(chain, " → "))}
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

// ResolveHostPath resolves the symlinks of a host path as the daemon will when it creates the
// bind: through the deepest part that exists (the daemon creates a missing rest with MkdirAll,
// following the symlinks above it).
func ResolveHostPath(p string) (string, error) {
	if strings.Contains(p, "..") {
		// As the kernel does: symlinks first, then "..", component by component.
		if r, err := filepath.EvalSymlinks(p); err == nil {
			return r, nil
		}
	}
	rest := ""
	for dir := filepath.Clean(p); ; dir = filepath.Dir(dir) {
		r, err := filepath.EvalSymlinks(dir)
		if err == nil {
			return filepath.Join(r, rest), nil
		}
		if !errors.Is(err, os.ErrNotExist) || dir == "/" {
			return "", err
		}
		rest = filepath.Join(filepath.Base(dir), rest)
	}
}
