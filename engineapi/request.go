// Package engineapi reads Engine API requests in the decision's terms: a container's Config,
// HostConfig and NetworkingConfig, as a create body carries them and as the daemon reports them
// for an existing container, become one defaults.Request, each value naming the JSON field it
// came from. The API door, the daemon door and the audit share it, so that a setting reads the
// same whichever way it reached the daemon.
package engineapi

import (
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"

	"sdocker/defaults"
)

// CreateRequest describes a container create body (or an inspected container's configuration)
// as the decision's request. Unset fields are left to the daemon, as in the body.
func CreateRequest(cfg *container.Config, hc *container.HostConfig, nc *network.NetworkingConfig) defaults.Request {
	r := defaults.Request{Kind: defaults.KindCreate}
	if cfg != nil {
		r.Image = cfg.Image
		if cfg.User != "" {
			r.User = &defaults.Val[string]{Value: cfg.User, From: "User=" + cfg.User}
		}
	}
	if hc == nil {
		hc = &container.HostConfig{}
	}
	str := func(field, v string) *defaults.Val[string] {
		if v == "" {
			return nil
		}
		return &defaults.Val[string]{Value: v, From: "HostConfig." + field + "=" + v}
	}
	if hc.Privileged {
		r.Privileged = &defaults.Val[bool]{Value: true, From: "HostConfig.Privileged=true"}
	}
	for _, c := range hc.CapAdd {
		r.CapAdd = append(r.CapAdd, *str("CapAdd", c))
	}
	for _, c := range hc.CapDrop {
		r.CapDrop = append(r.CapDrop, *str("CapDrop", c))
	}
	for _, o := range hc.SecurityOpt {
		r.SecurityOpt = append(r.SecurityOpt, SecurityOpt(o))
	}
	if from := unmaskedPaths(hc); from != "" {
		r.SecurityOpt = append(r.SecurityOpt, defaults.SecurityOpt{Key: "systempaths", Value: "unconfined", From: from})
	}
	r.PID, r.IPC, r.UTS = str("PidMode", string(hc.PidMode)), str("IpcMode", string(hc.IpcMode)), str("UTSMode", string(hc.UTSMode))
	r.UserNS, r.CgroupNS = str("UsernsMode", string(hc.UsernsMode)), str("CgroupnsMode", string(hc.CgroupnsMode))
	if n := str("NetworkMode", string(hc.NetworkMode)); n != nil {
		r.Networks = append(r.Networks, *n)
	}
	if nc != nil {
		names := make([]string, 0, len(nc.EndpointsConfig))
		for name := range nc.EndpointsConfig {
			if name != string(hc.NetworkMode) {
				names = append(names, name)
			}
		}
		sort.Strings(names)
		for _, name := range names {
			r.Networks = append(r.Networks, defaults.Val[string]{Value: name, From: "NetworkingConfig.EndpointsConfig." + name})
		}
	}
	r.Mounts = Mounts(hc)
	r.Ports, r.PublishAll, r.ExposedPorts = Ports(cfg, hc)
	if n := string(hc.RestartPolicy.Name); n != "" {
		r.RestartPolicy = &defaults.Val[string]{Value: n, From: "HostConfig.RestartPolicy.Name=" + n}
	}
	for _, v := range hc.VolumesFrom {
		r.VolumesFrom = append(r.VolumesFrom, *str("VolumesFrom", v))
	}
	for _, d := range hc.Devices {
		what := d.PathOnHost + ":" + d.PathInContainer
		r.Devices = append(r.Devices, defaults.Device{Field: defaults.FieldDevices, What: what, From: "HostConfig.Devices=" + what})
	}
	for _, d := range hc.DeviceCgroupRules {
		r.Devices = append(r.Devices, defaults.Device{Field: defaults.FieldDevices, What: d, From: "HostConfig.DeviceCgroupRules=" + d})
	}
	for _, d := range hc.DeviceRequests {
		what := firstNonEmpty(d.Driver, "gpu")
		r.Devices = append(r.Devices, defaults.Device{Field: defaults.FieldDevices, What: what, From: "HostConfig.DeviceRequests=" + what})
	}
	num := func(field string, v int64) *defaults.Val[int64] {
		if v == 0 {
			return nil // unset: the daemon applies no limit, and the policy sees a missing one
		}
		return &defaults.Val[int64]{Value: v, From: "HostConfig." + field + "=" + strconv.FormatInt(v, 10)}
	}
	r.Memory, r.MemorySwap = num("Memory", hc.Memory), num("MemorySwap", hc.MemorySwap)
	r.NanoCPUs, r.CPUQuota, r.CPUPeriod = num("NanoCpus", hc.NanoCPUs), num("CpuQuota", hc.CPUQuota), num("CpuPeriod", hc.CPUPeriod)
	if p := hc.PidsLimit; p != nil {
		r.PidsLimit = num("PidsLimit", *p)
	}
	r.ShmSize, r.OomScoreAdj = num("ShmSize", hc.ShmSize), num("OomScoreAdj", int64(hc.OomScoreAdj))
	r.LogDriver = str("LogConfig.Type", hc.LogConfig.Type)
	keys := make([]string, 0, len(hc.LogConfig.Config))
	for k := range hc.LogConfig.Config {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := hc.LogConfig.Config[k]
		r.LogOpts = append(r.LogOpts, defaults.LogOpt{Key: k, Value: v, From: "HostConfig.LogConfig.Config." + k + "=" + v})
	}
	if hc.ReadonlyRootfs {
		r.ReadonlyRootfs = &defaults.Val[bool]{Value: true, From: "HostConfig.ReadonlyRootfs=true"}
	}
	r.Runtime, r.CgroupParent = str("Runtime", hc.Runtime), str("CgroupParent", hc.CgroupParent)
	return r
}

// SecurityOpt reads one HostConfig.SecurityOpt entry as the daemon does: a seccomp value other
// than unconfined and builtin is the profile itself, as JSON.
func SecurityOpt(o string) defaults.SecurityOpt {
	k, v := defaults.SplitSecurityOpt(o)
	s := defaults.SecurityOpt{Key: k, Value: v, From: "HostConfig.SecurityOpt=" + o}
	if k == "seccomp" && v != "unconfined" && v != "builtin" {
		s.Profile = []byte(v)
		s.From = fmt.Sprintf("HostConfig.SecurityOpt=seccomp=<profile of %d bytes>", len(v))
	}
	return s
}

// defaultMaskedPaths and defaultReadonlyPaths are the paths dockerd masks and makes read-only
// in every container that is not privileged (moby's oci defaults, as 20.10 has them; later
// versions add to them). A list given in a create body replaces the daemon's.
var (
	defaultMaskedPaths = []string{"/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
		"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware"}
	defaultReadonlyPaths = []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}
)

// unmaskedPaths names MaskedPaths/ReadonlyPaths that leave out a path the daemon's defaults
// cover, or "" when the defaults apply (nil lists) or are kept: the daemon uses a given list in
// place of its own, so ["/proc/bus"] leaves /proc/sys writable (kernel.core_pattern is the
// host's) and /proc/kcore readable, as --security-opt systempaths=unconfined does, which the
// CLI sends as empty lists. A read-only path may be masked instead. A privileged container
// has neither (nil), and is judged as privileged.
func unmaskedPaths(hc *container.HostConfig) string {
	masked, readonly := map[string]bool{}, map[string]bool{}
	for _, p := range hc.MaskedPaths {
		masked[path.Clean(p)] = true
	}
	for _, p := range hc.ReadonlyPaths {
		readonly[path.Clean(p)] = true
	}
	var open []string
	if hc.MaskedPaths != nil {
		for _, p := range defaultMaskedPaths {
			if !masked[p] {
				open = append(open, "HostConfig.MaskedPaths leaves "+p+" unmasked")
				break
			}
		}
	}
	if hc.ReadonlyPaths != nil {
		for _, p := range defaultReadonlyPaths {
			if !readonly[p] && !masked[p] {
				open = append(open, "HostConfig.ReadonlyPaths leaves "+p+" writable")
				break
			}
		}
	}
	if len(open) == 0 {
		return ""
	}
	return strings.Join(open, ", ") + " (as --security-opt systempaths=unconfined)"
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
