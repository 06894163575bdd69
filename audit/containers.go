package audit

import (
	"fmt"
	"path"
	"strconv"
	"strings"

	"sdocker/defaults"
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
	// Settings the daemon applied by default do not show in SecurityOpt.
	if p := c.AppArmorProfile; p != "" {
		r.SecurityOpt = append(r.SecurityOpt, defaults.Setting{Value: "apparmor=" + p, Typed: "AppArmorProfile=" + p})
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

// containerMounts lists the container's binds from its mounts, HostConfig.Binds and
// HostConfig.Mounts (a created container that never started may lack the first).
func containerMounts(c Container) []defaults.Mount {
	var out []defaults.Mount
	seen := map[string]bool{}
	add := func(typ, src, dst, typed string) {
		if seen[src+"\x00"+dst] {
			return
		}
		seen[src+"\x00"+dst] = true
		out = append(out, defaults.Mount{Type: typ, Source: src, Target: dst, Typed: typed})
	}
	for _, m := range c.Mounts {
		if m.Type == "bind" {
			add("bind", m.Source, m.Destination, "Mounts: "+m.Source+" on "+m.Destination)
		}
	}
	for _, b := range c.HostConfig.Binds {
		parts := strings.Split(b, ":")
		if len(parts) >= 2 && strings.HasPrefix(parts[0], "/") {
			add("bind", parts[0], parts[1], "HostConfig.Binds="+b)
		}
	}
	for _, m := range c.HostConfig.Mounts {
		if m.Type == "bind" {
			add("bind", m.Source, m.Target, "HostConfig.Mounts: "+m.Source+" on "+m.Target)
		}
	}
	return out
}

func containerTarget(c Container) string {
	id := c.ID
	if len(id) > 12 {
		id = id[:12]
	}
	return fmt.Sprintf("container %s (%s, %s, image %s)", strings.TrimPrefix(c.Name, "/"), id, c.State.Status, c.Config.Image)
}

func checkContainers(s *Snapshot, o CheckOptions) []Finding {
	var out []Finding
	facts := defaults.Facts{Known: true, LogDriver: s.Info.LoggingDriver, SeccompBuiltin: true}
	for _, c := range s.Containers {
		target := containerTarget(c)
		d := defaults.Decide(defaults.Input{Policy: o.Policy, Request: ContainerRequest(c, s), Facts: facts, Now: o.Now, ResolvePath: o.ResolvePath})
		for _, v := range d.Violations {
			id, sev := violationID(v)
			out = append(out, finding(id, sev, target, fmt.Sprintf("%s: %s (policy rule %s)", v.Arg, v.Message, v.Rule), containerFix(v.Hint)))
		}
		for _, v := range d.Excepted {
			out = append(out, finding("SD-POLICY-EXCEPTED", Info, target, fmt.Sprintf("%s: %s (policy rule %s), allowed by an exception: %s", v.Arg, v.Message, v.Rule, v.Excepted),
				"review the exception before it expires"))
		}
		seen := map[string]bool{}
		for _, inj := range d.Injected {
			id, sev, evidence := missingID(inj, c)
			if id == "" || seen[id] {
				continue
			}
			seen[id] = true
			out = append(out, finding(id, sev, target, evidence,
				fmt.Sprintf("recreate it with --%s=%s (sdocker run adds it)", inj.Flag, inj.Value)))
		}
	}
	return out
}

func containerFix(hint string) string {
	return "recreate the container without it (with sdocker, which refuses it); or " + hint
}

// violationID maps a policy violation to a check ID and severity.
func violationID(v defaults.Violation) (string, Severity) {
	arg := v.Arg
	switch v.Rule {
	case defaults.RulePrivileged:
		return "CIS-5.5", Critical
	case defaults.RuleCapabilities:
		return "CIS-5.4", High
	case defaults.RuleNoNewPrivileges:
		return "CIS-5.26", Medium
	case defaults.RuleSeccomp:
		return "CIS-5.22", High
	case defaults.RuleAppArmor:
		return "CIS-5.2", High
	case defaults.RuleSecurityOpt:
		return "SD-SECURITY-OPT", High
	case defaults.RuleDevices:
		return "CIS-5.18", High
	case defaults.RuleNetwork:
		return "CIS-5.30", Low
	case defaults.RuleMounts:
		if strings.Contains(v.Message, "docker.sock") || exposesDockerSocket(arg) {
			return "CIS-5.32", Critical
		}
		return "CIS-5.6", High
	case defaults.RuleHostNamespaces:
		switch {
		case strings.HasPrefix(arg, "HostConfig.PidMode"):
			return "CIS-5.16", High
		case strings.HasPrefix(arg, "HostConfig.NetworkMode"):
			return "CIS-5.10", High
		case strings.HasPrefix(arg, "HostConfig.IpcMode"):
			return "CIS-5.17", Medium
		case strings.HasPrefix(arg, "HostConfig.UTSMode"):
			return "CIS-5.21", Medium
		case strings.HasPrefix(arg, "HostConfig.UsernsMode"):
			return "CIS-5.31", Medium
		}
		return "SD-CGROUPNS", Medium
	case defaults.RuleResources:
		switch {
		case strings.HasPrefix(arg, "HostConfig.PidsLimit"):
			return "CIS-5.29", Medium
		case strings.HasPrefix(arg, "HostConfig.NanoCpus"), strings.HasPrefix(arg, "HostConfig.CpuQuota"):
			return "CIS-5.12", Low
		}
		return "CIS-5.11", Medium
	}
	return "SD-POLICY-" + strings.ToUpper(string(v.Rule)), Medium
}

// exposesDockerSocket reports whether a bind, named as ContainerRequest types it, has the
// Docker socket or its directory as its source.
func exposesDockerSocket(typed string) bool {
	src := typed
	switch {
	case strings.HasPrefix(typed, "HostConfig.Binds="):
		src, _, _ = strings.Cut(strings.TrimPrefix(typed, "HostConfig.Binds="), ":")
	case strings.HasPrefix(typed, "Mounts: "), strings.HasPrefix(typed, "HostConfig.Mounts: "):
		src, _, _ = strings.Cut(typed[strings.Index(typed, ": ")+2:], " on ")
	}
	src = path.Clean(src)
	return path.Base(src) == "docker.sock" || src == "/run" || src == "/var/run"
}

// missingID maps a setting the policy would have added to the check it fails: the container
// lacks that hardening.
func missingID(inj defaults.Injection, c Container) (id string, sev Severity, evidence string) {
	switch {
	case inj.Flag == "cap-drop":
		return "CIS-5.4", Medium, "keeps docker's default capabilities (no --cap-drop=ALL)"
	case inj.Flag == "security-opt" && inj.Value == "no-new-privileges":
		return "CIS-5.26", Medium, "processes can gain privileges through setuid binaries (no no-new-privileges, neither on the container nor on the daemon)"
	case inj.Flag == "security-opt" && strings.HasPrefix(inj.Value, "apparmor="):
		return "CIS-5.2", Low, "runs without an AppArmor profile"
	case inj.Flag == "security-opt":
		return "CIS-5.22", Medium, "runs without the policy's seccomp profile"
	case inj.Flag == "memory":
		return "CIS-5.11", Medium, "has no memory limit: it can exhaust the host's memory"
	case inj.Flag == "cpus" || inj.Flag == "cpu-quota":
		return "CIS-5.12", Low, "has no CPU limit"
	case inj.Flag == "pids-limit":
		return "CIS-5.29", Low, "has no process limit: a fork bomb takes the host down"
	case inj.Flag == "network":
		return "CIS-5.30", Low, "is on the default bridge, where every container reaches every other"
	case inj.Flag == "log-opt":
		if c.HostConfig.LogConfig.Type == "local" {
			return "", 0, "" // the local driver rotates by default
		}
		return "SD-LOG-ROTATION", Low, fmt.Sprintf("its %s log is not rotated (no %s)", firstNonEmpty(c.HostConfig.LogConfig.Type, "json-file"),
			path.Base(strings.SplitN(inj.Value, "=", 2)[0]))
	}
	return "", 0, ""
}
