package audit

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"

	"github.com/moby/moby/api/types/container"

	"sdocker/defaults"
	"sdocker/engineapi"
	"sdocker/wrapper"
)

// ContainerRequest describes an existing container as the request that would have created
// it, read as the API door reads a create body (engineapi), so the runtime policy judges it the
// same way. From names the inspect field each setting came from ("HostConfig.Privileged=true").
func ContainerRequest(c Container, s *Snapshot) defaults.Request {
	hc := c.HostConfig
	// Docker itself adds label=disable to privileged containers and to those that share the
	// host's PID or IPC namespace; those are reported for what they are.
	if hc.Privileged || strings.EqualFold(string(hc.PidMode), "host") || strings.EqualFold(string(hc.IpcMode), "host") {
		var opts []string
		for _, v := range hc.SecurityOpt {
			if v != "label=disable" && v != "label:disable" {
				opts = append(opts, v)
			}
		}
		hc.SecurityOpt = opts
	}
	// On cgroup v1 every container shares the host's cgroup namespace unless it asks for its
	// own, so "host" says only that it did not ask: the policy's private namespace is missing.
	if s.Info.CgroupVersion != "2" && hc.CgroupnsMode == "host" {
		hc.CgroupnsMode = ""
	}
	if hasSecurityOpt(hc.SecurityOpt, "systempaths") {
		hc.MaskedPaths, hc.ReadonlyPaths = nil, nil // named already
	}
	r := engineapi.CreateRequest(&container.Config{Image: c.Config.Image, User: c.Config.User}, &hc, nil)
	// Settings the daemon applied by default do not show in SecurityOpt: the AppArmor profile
	// (unless the container named one, which AppArmorProfile merely repeats; a privileged
	// container is unconfined by docker itself).
	if p := c.AppArmorProfile; p != "" && !hasSecurityOpt(hc.SecurityOpt, "apparmor") && !(hc.Privileged && p == "unconfined") {
		r.SecurityOpt = append(r.SecurityOpt, defaults.SecurityOpt{Key: "apparmor", Value: p, From: "AppArmorProfile=" + p})
	}
	if s.Config != nil && isTrue(s.Config.NoNewPrivileges) {
		r.SecurityOpt = append(r.SecurityOpt, defaults.SecurityOpt{Key: "no-new-privileges", From: "dockerd no-new-privileges"})
	}
	if n := hc.NetworkMode; (n == "default" || n == "bridge") && s.BridgeICC == "" {
		// A daemon without a default bridge (--bridge=none) gives such containers no network.
		r.Networks = []defaults.Val[string]{{Value: "none", From: "HostConfig.NetworkMode=" + string(n) + " (no default bridge)"}}
	}
	r.Mounts = containerMounts(c, r.Mounts)
	// The snapshot holds the daemon's answers about volumes: resolving from it does no I/O and
	// cannot fail.
	_ = wrapper.ResolveVolumes(context.Background(), volumeAnswers(s.Volumes), r.Mounts)
	return r
}

// hasSecurityOpt reports whether opts has a security option named key (key=… or key:…).
func hasSecurityOpt(opts []string, key string) bool {
	for _, o := range opts {
		if k, _, _ := strings.Cut(strings.ReplaceAll(o, ":", "="), "="); k == key {
			return true
		}
	}
	return false
}

// containerMounts lists the container's binds and named volumes from its mounts,
// HostConfig.Binds and HostConfig.Mounts (a created container that never started may lack
// the first). A volume's Source is its name.
func containerMounts(c Container, fromConfig []defaults.Mount) []defaults.Mount {
	var out []defaults.Mount
	seen := map[string]bool{}
	add := func(m defaults.Mount) {
		if seen[m.Type+"\x00"+m.Source+"\x00"+m.Target] {
			return
		}
		seen[m.Type+"\x00"+m.Source+"\x00"+m.Target] = true
		out = append(out, m)
	}
	// The configuration says how each was asked for (read-only, propagation); the container's
	// mounts add what a created container that never started may lack.
	for _, m := range fromConfig {
		add(m)
	}
	for _, m := range c.Mounts {
		switch m.Type {
		case "bind":
			add(defaults.Mount{Type: "bind", Source: m.Source, Target: m.Destination, Propagation: m.Propagation,
				From: "Mounts: " + m.Source + " on " + m.Destination})
		case "volume":
			add(defaults.Mount{Type: "volume", Source: m.Name, Target: m.Destination, From: "Mounts: volume " + m.Name + " on " + m.Destination})
		}
	}
	return out
}

// volumeAnswers answers GET /volumes/{name} from a snapshot's volumes.
type volumeAnswers map[string]Volume

func (v volumeAnswers) Get(_ context.Context, p string, out any) error {
	name, err := url.PathUnescape(strings.TrimPrefix(p, "/volumes/"))
	vol, ok := v[name]
	if err != nil || !ok || !strings.HasPrefix(p, "/volumes/") {
		return wrapper.ErrNotFound
	}
	data, err := json.Marshal(vol)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, out)
}
