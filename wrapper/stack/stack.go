// Package stack reads a compose file for docker stack deploy with docker's own loader and
// describes each service as the decision's request. It is linked only by the sdocker-stack
// helper: the loader's JSON-schema package costs about 5 ms at every start, which the core,
// started for every decided command, does not pay.
package stack

import (
	"fmt"
	"path/filepath"
	"sort"

	"github.com/docker/cli/cli/compose/loader"
	composetypes "github.com/docker/cli/cli/compose/types"
	"github.com/docker/cli/opts"

	"sdocker/defaults"
)

// Input is a compose file for docker stack deploy, as read once: sdocker judges these
// bytes and hands docker the same bytes.
type Input struct {
	// Name is the file as typed ("-" for stdin); Data its contents.
	Name string
	Data []byte
	// WorkingDir resolves relative paths, as docker does: the file's directory, or the
	// current directory for stdin.
	WorkingDir string
	// Environment interpolates ${VAR}, as docker does with its own environment.
	Environment map[string]string
}

// Requests reads a compose file with docker's own loader (the one docker stack deploy
// uses) and describes each service as the decision's request: what its tasks would get.
func Requests(in Input) ([]defaults.Request, error) {
	dict, err := loader.ParseYAML(in.Data)
	if err != nil {
		return nil, fmt.Errorf("reading compose file %s: %w", in.Name, err)
	}
	cfg, err := loader.Load(composetypes.ConfigDetails{WorkingDir: in.WorkingDir, Environment: in.Environment,
		ConfigFiles: []composetypes.ConfigFile{{Filename: in.Name, Config: dict}}})
	if err != nil {
		return nil, fmt.Errorf("reading compose file %s: %w", in.Name, err)
	}
	var out []defaults.Request
	for _, s := range cfg.Services {
		out = append(out, serviceConfigRequest(in.Name, s, cfg))
	}
	return out, nil
}

func serviceConfigRequest(file string, s composetypes.ServiceConfig, cfg *composetypes.Config) defaults.Request {
	at := func(key, v string) string { return fmt.Sprintf("%s: services.%s.%s: %s", file, s.Name, key, v) }
	str := func(key, v string) *defaults.Val[string] {
		if v == "" {
			return nil
		}
		return &defaults.Val[string]{Value: v, From: at(key, v)}
	}
	r := defaults.Request{Kind: defaults.KindService, Image: s.Image}
	if s.Privileged {
		r.Privileged = &defaults.Val[bool]{Value: true, From: at("privileged", "true")}
	}
	for _, c := range s.CapAdd {
		r.CapAdd = append(r.CapAdd, *str("cap_add", c))
	}
	for _, o := range s.SecurityOpt {
		k, v := defaults.SplitSecurityOpt(o)
		r.SecurityOpt = append(r.SecurityOpt, defaults.SecurityOpt{Key: k, Value: v, From: at("security_opt", o)})
	}
	r.PID, r.IPC, r.UserNS = str("pid", s.Pid), str("ipc", s.Ipc), str("userns_mode", s.UserNSMode)
	r.CgroupParent = str("cgroup_parent", s.CgroupParent)
	if n := str("network_mode", s.NetworkMode); n != nil {
		r.Networks = append(r.Networks, *n)
	}
	names := make([]string, 0, len(s.Networks))
	for n := range s.Networks {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		// An external network is the daemon's, by its own name ("host" behind any key); the
		// others the stack creates as overlays.
		if nc, ok := cfg.Networks[n]; ok && nc.External.External {
			real := n
			if nc.Name != "" {
				real = nc.Name
			}
			r.Networks = append(r.Networks, defaults.Val[string]{Value: real, From: at("networks", n+" (external network "+real+")")})
		}
	}
	for _, v := range s.Volumes {
		m := defaults.Mount{Type: v.Type, Source: v.Source, Target: v.Target, ReadOnly: v.ReadOnly, From: at("volumes", v.Source+":"+v.Target)}
		if v.Bind != nil {
			m.Propagation = v.Bind.Propagation
		}
		if v.Type == "volume" {
			if vc, ok := cfg.Volumes[v.Source]; ok && !vc.External.External {
				m.Driver, m.Options = vc.Driver, vc.DriverOpts
			} else if ok && vc.Name != "" {
				m.Source = vc.Name // the daemon's volume, read from it (ResolveVolumes)
			}
			if v.Volume != nil {
				m.Subpath = v.Volume.Subpath
			}
		}
		if v.Type == "bind" && !filepath.IsAbs(m.Source) {
			continue // the loader has made every bind source absolute
		}
		r.Mounts = append(r.Mounts, m)
	}
	for _, d := range s.Devices {
		r.Devices = append(r.Devices, defaults.Device{Field: defaults.FieldDevices, What: d, From: at("devices", d)})
	}
	if l := s.Deploy.Resources.Limits; l != nil {
		if l.MemoryBytes != 0 {
			r.Memory = &defaults.Val[int64]{Value: int64(l.MemoryBytes), From: at("deploy.resources.limits.memory", fmt.Sprint(int64(l.MemoryBytes)))}
		}
		if l.NanoCPUs != "" {
			if n, err := opts.ParseCPUs(l.NanoCPUs); err == nil {
				r.NanoCPUs = &defaults.Val[int64]{Value: n, From: at("deploy.resources.limits.cpus", l.NanoCPUs)}
			}
		}
		if l.Pids != 0 {
			r.PidsLimit = &defaults.Val[int64]{Value: l.Pids, From: at("deploy.resources.limits.pids", fmt.Sprint(l.Pids))}
		}
	}
	return r
}
