package wrapper

import (
	"encoding/csv"
	"path/filepath"
	"strings"

	"sdocker/defaults"
)

// Request describes a parsed run/create/exec/update for the decision. Relative bind sources
// ("./data:/data") are made absolute against cwd, as docker does.
func Request(inv *Invocation, cwd string) defaults.Request {
	r := defaults.Request{Command: inv.Command, Image: inv.Image()}
	if inv.Command == "exec" || inv.Command == "update" {
		r.Image = ""
	}
	one := func(o Occurrence) *defaults.Setting { return &defaults.Setting{Value: o.Value, Typed: o.Typed} }
	for _, o := range inv.Flags {
		s := defaults.Setting{Value: o.Value, Typed: o.Typed}
		switch o.Flag.Canonical() {
		case "privileged":
			r.Privileged = one(o)
		case "cap-add":
			r.CapAdd = append(r.CapAdd, s)
		case "cap-drop":
			r.CapDrop = append(r.CapDrop, s)
		case "security-opt":
			r.SecurityOpt = append(r.SecurityOpt, s)
		case "pid":
			r.PID = one(o)
		case "ipc":
			r.IPC = one(o)
		case "uts":
			r.UTS = one(o)
		case "userns":
			r.UserNS = one(o)
		case "cgroupns":
			r.CgroupNS = one(o)
		case "network":
			// Several --network flags attach several networks; any of them may be "host".
			if r.Network == nil || strings.EqualFold(o.Value, "host") {
				r.Network = one(o)
			}
		case "volume":
			if m, ok := volumeMount(o, cwd); ok {
				r.Mounts = append(r.Mounts, m)
			}
		case "mount":
			r.Mounts = append(r.Mounts, mountFlag(o, cwd))
		case "use-api-socket":
			if on(o.Value) {
				r.Mounts = append(r.Mounts, defaults.Mount{Type: "api-socket", Typed: o.Typed})
			}
		case "volumes-from":
			r.VolumesFrom = append(r.VolumesFrom, s)
		case "device", "device-cgroup-rule", "gpus":
			r.Devices = append(r.Devices, s)
		case "memory":
			r.Memory = one(o)
		case "memory-swap":
			r.MemorySwap = one(o)
		case "cpus":
			r.CPUs = one(o)
		case "cpu-quota":
			r.CPUQuota = one(o)
		case "cpu-period":
			r.CPUPeriod = one(o)
		case "pids-limit":
			r.PidsLimit = one(o)
		case "log-driver":
			r.LogDriver = one(o)
		case "log-opt":
			r.LogOpts = append(r.LogOpts, s)
		}
	}
	return r
}

func on(v string) bool { return v == "1" || strings.EqualFold(v, "t") || strings.EqualFold(v, "true") }

// volumeMount reads -v SRC:DST[:OPTS]. A single part is an anonymous volume; a source that is
// not a path is a named volume.
func volumeMount(o Occurrence, cwd string) (defaults.Mount, bool) {
	parts := strings.SplitN(o.Value, ":", 3)
	if len(parts) < 2 {
		return defaults.Mount{}, false
	}
	src := parts[0]
	m := defaults.Mount{Type: "volume", Source: src, Target: parts[1], Typed: o.Typed}
	if strings.HasPrefix(src, ".") && !filepath.IsAbs(src) {
		src = filepath.Join(cwd, src)
	}
	if filepath.IsAbs(src) {
		m.Type, m.Source = "bind", src
	}
	return m, true
}

// mountFlag reads --mount's CSV the way docker does (quoted fields, case-insensitive keys). A
// local volume with o=bind and a device is a bind of that host path in disguise.
func mountFlag(o Occurrence, cwd string) defaults.Mount {
	m := defaults.Mount{Type: "volume", Typed: o.Typed}
	fields, err := csv.NewReader(strings.NewReader(strings.TrimSpace(o.Value))).Read()
	if err != nil {
		return m // docker refuses it too
	}
	volOpts := map[string]string{}
	subpath := ""
	for _, field := range fields {
		key, val, _ := strings.Cut(field, "=")
		switch strings.ToLower(key) {
		case "type":
			m.Type = strings.ToLower(val)
		case "source", "src":
			m.Source = val
			if strings.HasPrefix(val, ".") && !filepath.IsAbs(val) {
				m.Source = filepath.Join(cwd, val)
			}
		case "target", "dst", "destination":
			m.Target = val
		case "volume-opt":
			k, v, _ := strings.Cut(val, "=")
			volOpts[k] = v
		case "volume-subpath":
			subpath = val
		}
	}
	switch m.Type {
	case "bind":
	case "volume":
		if dev := volOpts["device"]; dev != "" && isBindOpt(volOpts["o"]) {
			m.Type, m.Source = "bind", filepath.Join(dev, subpath)
		}
	default:
		m.Source = ""
	}
	return m
}

func isBindOpt(o string) bool {
	for _, opt := range strings.Split(o, ",") {
		if opt == "bind" || opt == "rbind" {
			return true
		}
	}
	return false
}
