package wrapper

import (
	"encoding/csv"
	"path/filepath"
	"regexp"
	"strings"

	"sdocker/defaults"
	"sdocker/wrapper/argv"
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
			// Several --network flags attach several networks; each is checked.
			n := defaults.Setting{Value: networkTarget(o.Value), Typed: o.Typed}
			r.Networks = append(r.Networks, n)
			if r.Network == nil {
				r.Network = &n
			}
		case "volume":
			if m, ok := volumeMount(o, cwd); ok {
				r.Mounts = append(r.Mounts, m)
			}
		case "mount":
			r.Mounts = append(r.Mounts, mountFlag(o, cwd))
		case "use-api-socket":
			if argv.IsTrue(o.Value) {
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

// volumeMount reads -v SRC:DST[:OPTS]. A single part is an anonymous volume; a source that is
// not a path is a named volume.
// longNetworkSyntax is docker's test for --network's key=value form (opts.NetworkOpt).
var longNetworkSyntax = regexp.MustCompile(`\w+=\w+(,\w+=\w+)*`)

// networkTarget reads the network a --network value names, as docker does: the value itself,
// or, in the key=value form ("name=host,alias=web"), its name field, lower-cased.
func networkTarget(v string) string {
	if !longNetworkSyntax.MatchString(v) {
		return v
	}
	fields, err := csv.NewReader(strings.NewReader(v)).Read()
	if err != nil {
		return v // docker refuses it too
	}
	target := ""
	for _, f := range fields {
		if k, val, ok := strings.Cut(strings.ToLower(f), "="); ok && strings.TrimSpace(k) == "name" {
			target = strings.TrimSpace(val)
		}
	}
	return target
}

func volumeMount(o Occurrence, cwd string) (defaults.Mount, bool) {
	parts := strings.SplitN(o.Value, ":", 3)
	if len(parts) < 2 {
		return defaults.Mount{}, false
	}
	src := parts[0]
	m := defaults.Mount{Type: "volume", Source: src, Target: parts[1], Typed: o.Typed}
	if len(parts) == 3 {
		for _, opt := range strings.Split(parts[2], ",") {
			m.ReadOnly = m.ReadOnly || opt == "ro"
		}
	}
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
	for _, field := range fields {
		key, val, hasVal := strings.Cut(field, "=")
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
		case "volume-driver":
			m.Driver = val
		case "volume-opt":
			k, v, _ := strings.Cut(val, "=")
			if m.Options == nil {
				m.Options = map[string]string{}
			}
			m.Options[k] = v
		case "volume-subpath":
			m.Subpath = val
		case "readonly", "ro":
			m.ReadOnly = !hasVal || argv.IsTrue(val)
		}
	}
	if m.Type != "bind" && m.Type != "volume" {
		m.Source = ""
	}
	return m
}

// EditFor turns a decision into the CLI door's argv changes: each injected setting becomes a
// "--flag=value" argument, each removed setting drops the occurrence that carried it.
func EditFor(inv *Invocation, d defaults.Decision) Edit {
	var ed Edit
	for _, inj := range d.Injected {
		ed.Add = append(ed.Add, "--"+inj.Flag+"="+inj.Value)
	}
	for _, rm := range d.Removed {
		for _, o := range inv.Flags {
			if o.Typed == rm.Typed && o.Value == rm.Value {
				ed.Remove = append(ed.Remove, o)
			}
		}
	}
	return ed
}
