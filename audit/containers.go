package audit

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"

	"sdocker/defaults"
	"sdocker/wrapper"
)

// ContainerRequest describes an existing container as the request that would have created
// it, so the runtime policy can judge it. Typed names the inspect field each setting came
// from ("HostConfig.Privileged=true").
func ContainerRequest(c Container, s *Snapshot) defaults.Request {
	hc := c.HostConfig
	r := defaults.Request{Command: "run", Image: c.Config.Image}
	set := func(field, v string) *defaults.Setting {
		return &defaults.Setting{Value: v, Typed: "HostConfig." + field + "=" + v}
	}
	opt := func(field, v string) *defaults.Setting {
		if v == "" {
			return nil
		}
		return set(field, v)
	}
	if hc.Privileged {
		r.Privileged = set("Privileged", "true")
	}
	for _, v := range hc.CapAdd {
		r.CapAdd = append(r.CapAdd, *set("CapAdd", v))
	}
	for _, v := range hc.CapDrop {
		r.CapDrop = append(r.CapDrop, *set("CapDrop", v))
	}
	// Docker itself adds label=disable to privileged containers and to those that share the
	// host's PID or IPC namespace; those are reported for what they are.
	ownLabel := hc.Privileged || strings.EqualFold(hc.PidMode, "host") || strings.EqualFold(hc.IpcMode, "host")
	for _, v := range hc.SecurityOpt {
		if ownLabel && (v == "label=disable" || v == "label:disable") {
			continue
		}
		r.SecurityOpt = append(r.SecurityOpt, *set("SecurityOpt", v))
	}
	// Settings the daemon applied by default do not show in SecurityOpt: the AppArmor profile
	// (unless the container named one, which AppArmorProfile merely repeats; a privileged
	// container is unconfined by docker itself), and the masked /proc and /sys paths.
	if p := c.AppArmorProfile; p != "" && !hasSecurityOpt(hc.SecurityOpt, "apparmor") && !(hc.Privileged && p == "unconfined") {
		r.SecurityOpt = append(r.SecurityOpt, defaults.Setting{Value: "apparmor=" + p, Typed: "AppArmorProfile=" + p})
	}
	if typed := unmaskedPaths(hc); typed != "" && !hasSecurityOpt(hc.SecurityOpt, "systempaths") {
		r.SecurityOpt = append(r.SecurityOpt, defaults.Setting{Value: "systempaths=unconfined", Typed: typed})
	}
	if s.Config != nil && isTrue(s.Config.NoNewPrivileges) {
		r.SecurityOpt = append(r.SecurityOpt, defaults.Setting{Value: "no-new-privileges", Typed: "dockerd no-new-privileges"})
	}
	r.PID, r.IPC, r.UTS, r.UserNS = opt("PidMode", hc.PidMode), opt("IpcMode", hc.IpcMode), opt("UTSMode", hc.UTSMode), opt("UsernsMode", hc.UsernsMode)
	// On cgroup v1 every container shares the host's cgroup namespace unless it asks for its
	// own, so "host" says nothing about how it was created.
	if s.Info.CgroupVersion == "2" {
		r.CgroupNS = opt("CgroupnsMode", hc.CgroupnsMode)
	}
	switch n := hc.NetworkMode; {
	case (n == "default" || n == "bridge") && s.BridgeICC == "":
		// A daemon without a default bridge (--bridge=none) gives such containers no network.
		r.Network = &defaults.Setting{Value: "none", Typed: "HostConfig.NetworkMode=" + n + " (no default bridge)"}
	case n != "":
		r.Network = set("NetworkMode", n)
	}
	r.Mounts = containerMounts(c)
	// The snapshot holds the daemon's answers about volumes: resolving from it does no I/O and
	// cannot fail.
	_ = wrapper.ResolveVolumes(context.Background(), volumeAnswers(s.Volumes), r.Mounts)
	for _, d := range hc.Devices {
		r.Devices = append(r.Devices, *set("Devices", d.PathOnHost+":"+d.PathInContainer))
	}
	for _, d := range hc.DeviceCgroupRules {
		r.Devices = append(r.Devices, *set("DeviceCgroupRules", d))
	}
	for _, d := range hc.DeviceRequests {
		r.Devices = append(r.Devices, *set("DeviceRequests", firstNonEmpty(d.Driver, "gpu")))
	}
	num := func(field string, v int64) *defaults.Setting {
		if v == 0 {
			return nil // unset: the policy sees a missing limit
		}
		return set(field, strconv.FormatInt(v, 10))
	}
	r.Memory, r.CPUQuota, r.CPUPeriod = num("Memory", hc.Memory), num("CpuQuota", hc.CpuQuota), num("CpuPeriod", hc.CpuPeriod)
	if hc.MemorySwap == -1 {
		r.MemorySwap = set("MemorySwap", "-1")
	}
	if hc.NanoCpus > 0 {
		r.CPUs = set("NanoCpus", strconv.FormatFloat(float64(hc.NanoCpus)/1e9, 'f', -1, 64))
		r.CPUs.Typed = "HostConfig.NanoCpus=" + strconv.FormatInt(hc.NanoCpus, 10)
	}
	if p := hc.PidsLimit; p != nil && *p != 0 {
		r.PidsLimit = set("PidsLimit", strconv.FormatInt(*p, 10))
	}
	if t := hc.LogConfig.Type; t != "" {
		r.LogDriver = set("LogConfig.Type", t)
	}
	for k, v := range hc.LogConfig.Config {
		r.LogOpts = append(r.LogOpts, defaults.Setting{Value: k + "=" + v, Typed: "HostConfig.LogConfig.Config." + k + "=" + v})
	}
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

// unmaskedPaths names the empty MaskedPaths/ReadonlyPaths of a container, or "" when the
// daemon's defaults apply. A privileged container has neither (nil): that is reported as
// privileged.
func unmaskedPaths(hc HostConfig) string {
	var empty []string
	if hc.MaskedPaths != nil && len(hc.MaskedPaths) == 0 {
		empty = append(empty, "HostConfig.MaskedPaths=[]")
	}
	if hc.ReadonlyPaths != nil && len(hc.ReadonlyPaths) == 0 {
		empty = append(empty, "HostConfig.ReadonlyPaths=[]")
	}
	if len(empty) == 0 {
		return ""
	}
	return strings.Join(empty, ", ") + " (--security-opt systempaths=unconfined)"
}

// containerMounts lists the container's binds and named volumes from its mounts,
// HostConfig.Binds and HostConfig.Mounts (a created container that never started may lack
// the first). A volume's Source is its name.
func containerMounts(c Container) []defaults.Mount {
	var out []defaults.Mount
	seen := map[string]bool{}
	add := func(m defaults.Mount) {
		if seen[m.Type+"\x00"+m.Source+"\x00"+m.Target] {
			return
		}
		seen[m.Type+"\x00"+m.Source+"\x00"+m.Target] = true
		out = append(out, m)
	}
	for _, m := range c.Mounts {
		switch m.Type {
		case "bind":
			add(defaults.Mount{Type: "bind", Source: m.Source, Target: m.Destination, Typed: "Mounts: " + m.Source + " on " + m.Destination})
		case "volume":
			add(defaults.Mount{Type: "volume", Source: m.Name, Target: m.Destination, Typed: "Mounts: volume " + m.Name + " on " + m.Destination})
		}
	}
	for _, b := range c.HostConfig.Binds {
		parts := strings.Split(b, ":")
		switch {
		case len(parts) < 2:
		case strings.HasPrefix(parts[0], "/"):
			add(defaults.Mount{Type: "bind", Source: parts[0], Target: parts[1], Typed: "HostConfig.Binds=" + b})
		case parts[0] != "":
			add(defaults.Mount{Type: "volume", Source: parts[0], Target: parts[1], Typed: "HostConfig.Binds=" + b})
		}
	}
	for _, m := range c.HostConfig.Mounts {
		switch m.Type {
		case "bind":
			add(defaults.Mount{Type: "bind", Source: m.Source, Target: m.Target, Typed: "HostConfig.Mounts: " + m.Source + " on " + m.Target})
		case "volume":
			if m.Source != "" {
				add(defaults.Mount{Type: "volume", Source: m.Source, Target: m.Target, Subpath: m.VolumeOptions.Subpath,
					Typed: "HostConfig.Mounts: volume " + m.Source + " on " + m.Target})
			}
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
