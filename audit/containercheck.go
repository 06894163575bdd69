package audit

import (
	"fmt"
	"path"
	"strings"

	"sdocker/defaults"
	"sdocker/wrapper"
)

func containerTarget(c Container) string {
	id := c.ID
	if len(id) > 12 {
		id = id[:12]
	}
	return fmt.Sprintf("container %s (%s, %s, image %s)", strings.TrimPrefix(c.Name, "/"), id, c.State.Status, c.Config.Image)
}

// daemonFacts are what the decision needs to know of the audited daemon, from its info.
func daemonFacts(i DaemonInfo) defaults.Facts {
	f := defaults.Facts{Known: true, LogDriver: i.LoggingDriver, SeccompBuiltin: true}
	_, f.AppArmor = i.securityOption("apparmor")
	if sc, ok := i.securityOption("seccomp"); ok {
		switch sc["profile"] {
		case "default", "builtin", "":
		default:
			f.SeccompBuiltin = false
		}
	}
	return f
}

func checkContainers(s *Snapshot, o CheckOptions) []Finding {
	var out []Finding
	facts := daemonFacts(s.Info)
	facts.PolicedSocket = o.Policy.Runtime.DockerSocket.Policed // the proxy's, given in place of the daemon's
	socks := daemonSockets(s)
	for _, c := range s.Containers {
		target := containerTarget(c)
		req := ContainerRequest(c, s)
		if err := resolveShared(&req, s); err != nil {
			out = append(out, finding("SD-SHARED-NAMESPACE", High, target, err.Error(),
				"inspect the container it shares with (docker inspect); recreate this one with namespaces of its own"))
		}
		out = append(out, checkRuntime(c, target)...)
		// A bind of the audited daemon's own socket (or of a directory holding it) is root on
		// the host whatever the socket is called and whatever the policy's deny list says.
		sockBinds := map[string]bool{}
		for _, m := range req.Mounts {
			if sock, ok := bindsSocket(m, socks, o.ResolvePath); ok {
				sockBinds[m.From] = true
				out = append(out, finding("CIS-5.32", Critical, target,
					fmt.Sprintf("%s: the container can reach the daemon's socket %s, and so is root on the host", m.From, sock),
					"recreate the container without this bind; a container that must drive docker should talk to a proxy that allows only what it needs"))
			}
		}
		// Require mode: what the policy would add but the container lacks is a violation too.
		d := defaults.Decide(defaults.Input{Policy: o.Policy, Request: req, Facts: facts, Now: o.Now, ResolvePath: o.ResolvePath, Require: true})
		seen := map[string]bool{}
		for _, v := range d.Violations {
			if v.Missing {
				id, sev, evidence := missingID(v, c)
				if id == "" || seen[id] {
					continue
				}
				seen[id] = true
				out = append(out, finding(id, sev, target, evidence, "recreate it with "+addedArg(v)+" (sdocker run adds it)"))
				continue
			}
			if v.Rule == defaults.RuleMounts && sockBinds[v.From] || v.Rule == defaults.RulePorts {
				continue // reported above; ports on every address are CIS-5.14's
			}
			id, sev := violationID(v, req)
			v = wrapper.Words(v)
			out = append(out, finding(id, sev, target, fmt.Sprintf("%s: %s (policy rule %s)", v.From, v.Message, v.Rule), containerFix(v.Hint)))
		}
		for _, v := range d.Excepted {
			v = wrapper.Words(v)
			out = append(out, finding("SD-POLICY-EXCEPTED", Info, target, fmt.Sprintf("%s: %s (policy rule %s), allowed by an exception: %s", v.From, v.Message, v.Rule, v.Excepted),
				"review the exception before it expires"))
		}
	}
	return out
}

// addedArg is the docker flag that adds what a missing violation is about.
func addedArg(v defaults.Violation) string {
	if v.Want == nil {
		return wrapper.Words(defaults.Violation{From: v.From, Missing: true}).From
	}
	injs, err := wrapper.Injections(defaults.Change{Add: []defaults.Addition{*v.Want}}, func([]byte) (string, error) { return "PROFILE", nil })
	if err != nil || len(injs) == 0 {
		return string(v.Field)
	}
	return "--" + injs[0].Flag + "=" + injs[0].Value
}

func containerFix(hint string) string {
	return "recreate the container without it (with sdocker, which refuses it); or " + hint
}

// daemonSockets are the unix sockets of the audited daemon: the one the audit talks to, and
// those its configuration listens on.
func daemonSockets(s *Snapshot) []string {
	var out []string
	add := func(p string) {
		if p != "" {
			out = append(out, canonicalPath(p))
		}
	}
	if p, ok := strings.CutPrefix(s.Endpoint.Host, "unix://"); ok {
		add(p)
	}
	if s.Host.Socket != nil {
		add(s.Host.Socket.Path)
	}
	if s.Config != nil {
		for _, h := range s.Config.Hosts {
			if p, ok := strings.CutPrefix(h, "unix://"); ok {
				add(p)
			}
		}
	}
	return out
}

// bindsSocket reports whether a bind's source, before or after resolving its symlinks, is one
// of the daemon's sockets or a directory above one (but not /, which is reported as the
// host's whole filesystem), and names that socket.
func bindsSocket(m defaults.Mount, socks []string, resolve func(string) (string, error)) (string, bool) {
	if m.Type != "bind" || !strings.HasPrefix(m.Source, "/") {
		return "", false
	}
	srcs := []string{canonicalPath(m.Source)}
	if resolve != nil {
		if r, err := resolve(m.Source); err == nil {
			srcs = append(srcs, canonicalPath(r))
		}
	}
	for _, src := range srcs {
		for _, sock := range socks {
			if src == sock || src != "/" && strings.HasPrefix(sock, src+"/") {
				return sock, true
			}
		}
	}
	return "", false
}

// canonicalPath cleans a host path and spells /var/run as /run (the same directory).
func canonicalPath(p string) string {
	p = path.Clean("/" + p)
	if p == "/var/run" || strings.HasPrefix(p, "/var/run/") {
		p = "/run" + strings.TrimPrefix(p, "/var/run")
	}
	return p
}

// violationID maps a policy violation of req to a check ID and severity, by rule and field.
func violationID(v defaults.Violation, req defaults.Request) (string, Severity) {
	switch v.Rule {
	case defaults.RulePrivileged:
		return "CIS-5.5", Critical
	case defaults.RuleCapabilities:
		for _, c := range req.CapAdd {
			if c.From == v.From && defaults.NormalizeCapability(c.Value) == "ALL" {
				return "CIS-5.4", Critical // every capability: privileged mode by another name
			}
		}
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
	case defaults.RuleCgroupParent:
		return "CIS-5.25", Medium
	case defaults.RuleRuntime:
		return "SD-RUNTIME", High
	case defaults.RuleMounts:
		if v.Field == defaults.FieldMountPropagation {
			return "CIS-5.20", High
		}
		if strings.Contains(v.Message, "docker.sock") || exposesDockerSocket(v.From) {
			return "CIS-5.32", Critical
		}
		return "CIS-5.6", High
	case defaults.RuleHostNamespaces:
		switch v.Field {
		case defaults.FieldPidMode:
			return "CIS-5.16", High
		case defaults.FieldNetworkMode:
			return "CIS-5.10", High
		case defaults.FieldIpcMode:
			return "CIS-5.17", Medium
		case defaults.FieldUTSMode:
			return "CIS-5.21", Medium
		case defaults.FieldUsernsMode:
			return "CIS-5.31", Medium
		}
		return "SD-CGROUPNS", Medium
	case defaults.RuleResources:
		switch v.Field {
		case defaults.FieldPidsLimit:
			return "CIS-5.29", Medium
		case defaults.FieldNanoCPUs, defaults.FieldCPUQuota:
			return "CIS-5.12", Low
		}
		return "CIS-5.11", Medium
	}
	return "SD-POLICY-" + strings.ToUpper(string(v.Rule)), Medium
}

// exposesDockerSocket reports whether a bind, named as ContainerRequest types it, has a socket
// called docker.sock or its usual directory as its source.
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

// missingID maps a setting the policy would have added (a missing violation) to the check the
// container fails: it lacks that hardening.
func missingID(v defaults.Violation, c Container) (id string, sev Severity, evidence string) {
	value := ""
	if v.Want != nil {
		value = v.Want.Value
	}
	switch {
	case v.Field == defaults.FieldCapDrop:
		return "CIS-5.4", Medium, "keeps docker's default capabilities (no --cap-drop=ALL)"
	case v.Field == defaults.FieldSecurityOpt && value == "no-new-privileges":
		return "CIS-5.26", Medium, "processes can gain privileges through setuid binaries (no no-new-privileges, neither on the container nor on the daemon)"
	case v.Field == defaults.FieldSecurityOpt && strings.HasPrefix(value, "apparmor="):
		return "CIS-5.2", Low, "runs without an AppArmor profile"
	case v.Field == defaults.FieldSecurityOpt:
		return "CIS-5.22", Medium, "runs without the policy's seccomp profile"
	case v.Field == defaults.FieldMemory:
		return "CIS-5.11", Medium, "has no memory limit: it can exhaust the host's memory"
	case v.Field == defaults.FieldNanoCPUs || v.Field == defaults.FieldCPUQuota:
		return "CIS-5.12", Low, "has no CPU limit"
	case v.Field == defaults.FieldPidsLimit:
		return "CIS-5.29", Low, "has no process limit: a fork bomb takes the host down"
	case v.Field == defaults.FieldNetworkMode:
		return "CIS-5.30", Low, "is on the default bridge, where every container reaches every other"
	case v.Field == defaults.FieldCgroupnsMode:
		return "SD-CGROUPNS", Low, "shares the host's cgroup namespace, so it sees the host's cgroup tree"
	case v.Field == defaults.FieldLogConfig:
		if c.HostConfig.LogConfig.Type == "local" {
			return "", 0, "" // the local driver rotates by default
		}
		return "SD-LOG-ROTATION", Low, fmt.Sprintf("its %s log is not rotated (no %s)", firstNonEmpty(c.HostConfig.LogConfig.Type, "json-file"),
			path.Base(strings.SplitN(value, "=", 2)[0]))
	}
	return "", 0, ""
}
