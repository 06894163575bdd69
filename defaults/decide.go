package defaults

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Violation is one thing the policy refuses.
type Violation struct {
	Rule    Rule   `json:"rule"`
	Arg     string `json:"argument,omitempty"` // as the user typed it
	Message string `json:"message"`
	Hint    string `json:"hint"` // how to allow it
	// Excepted holds the reason of the exception that lifted this violation, if any.
	Excepted string `json:"excepted,omitempty"`
}

// Injection is one setting the policy adds. Flag is docker's run flag name.
type Injection struct {
	Flag   string `json:"flag"`
	Value  string `json:"value"`
	Reason string `json:"reason"`
}

// Decision is the outcome for one request.
type Decision struct {
	Allowed    bool        `json:"allowed"`
	Mode       Mode        `json:"mode"`
	Violations []Violation `json:"violations"`
	// Excepted are violations lifted by a policy exception.
	Excepted []Violation `json:"excepted"`
	Injected []Injection `json:"injected"`
	// Removed are user settings dropped because docker cannot take them as typed (the guide's
	// seccomp=default, which docker reads as a file name).
	Removed []Setting `json:"removed"`
	Notes   []string  `json:"notes"`
}

// Input is everything one decision depends on.
type Input struct {
	Policy  *Policy
	Request Request
	Facts   Facts
	Now     time.Time
	// ReadFile reads a seccomp profile named by the user; nil means profiles are not checked.
	ReadFile func(path string) ([]byte, error)
	// PinFile stores a profile as it was checked and returns the path of that copy, which docker
	// is then given instead of the user's file: a file that changes (or a pipe that says one
	// thing to sdocker and another to docker) cannot swap the profile after the check. nil
	// leaves the user's path (explain).
	PinFile func(data []byte) (string, error)
	// ResolvePath resolves symlinks of a host path on the daemon's host; nil leaves paths as they
	// are (the daemon is remote, or nothing to resolve).
	ResolvePath func(path string) (string, error)
}

// Decide applies the policy to a request. It does no I/O beyond the Input's functions.
func Decide(in Input) Decision {
	d := &decider{in: in, p: in.Policy, r: &in.Request}
	inject := in.Request.Command == "run" || in.Request.Command == "create"
	switch in.Request.Command {
	case "exec":
		d.privileged()
	case "update":
		d.resources(false)
	default:
		d.privileged()
		d.capabilities(inject)
		d.securityOpts(inject)
		d.namespaces()
		d.network(inject)
		d.mounts()
		d.devices()
		d.resources(inject)
		d.logging(inject)
	}
	return d.finish()
}

type decider struct {
	in         Input
	p          *Policy
	r          *Request
	violations []Violation
	injected   []Injection
	removed    []Setting
	notes      []string
}

func (d *decider) refuse(rule Rule, arg, hint, format string, args ...any) {
	d.violations = append(d.violations, Violation{Rule: rule, Arg: arg, Message: fmt.Sprintf(format, args...), Hint: hint})
}

func (d *decider) add(flag, value, reason string) {
	d.injected = append(d.injected, Injection{Flag: flag, Value: value, Reason: reason})
}

func (d *decider) finish() Decision {
	out := Decision{Mode: d.p.Mode, Injected: d.injected, Removed: d.removed, Notes: d.notes}
	for _, v := range d.violations {
		if reason, note := d.exception(v.Rule); reason != "" {
			v.Excepted = reason
			out.Excepted = append(out.Excepted, v)
			continue
		} else if note != "" {
			v.Message += " (" + note + ")"
		}
		out.Violations = append(out.Violations, v)
	}
	out.Allowed = len(out.Violations) == 0 || d.p.Mode == ModeWarn
	return out
}

// exception returns the reason of the first unexpired exception that lifts rule for this image,
// or a note saying that a matching exception has expired.
func (d *decider) exception(rule Rule) (reason, note string) {
	if d.r.Image == "" {
		return "", ""
	}
	for _, e := range d.p.Exceptions {
		if !MatchImage(e.Match, d.r.Image) || !e.allows(rule) {
			continue
		}
		if e.Expires.Expired(d.in.Now) {
			note = fmt.Sprintf("the exception for %s at line %d expired on %s and no longer applies",
				e.Match, e.Line, e.Expires.Format(time.DateOnly))
			continue
		}
		return e.Reason, ""
	}
	return "", note
}

func (e Exception) allows(rule Rule) bool {
	for _, a := range e.Allow {
		if Rule(a) == rule {
			return true
		}
	}
	return false
}

func exceptionHint(rule Rule) string {
	return fmt.Sprintf("add a policy exception for this image with allow: [%s], a reason and an expiry", rule)
}

func (d *decider) privileged() {
	s := d.r.Privileged
	if s == nil || !d.p.Runtime.Deny.Privileged {
		return
	}
	if on, _ := strconv.ParseBool(s.Value); on {
		hint := "grant only the capabilities it needs with --cap-add, or " + exceptionHint(RulePrivileged)
		d.refuse(RulePrivileged, s.Typed, hint, "privileged mode gives the container every capability and every device of the host")
	}
}

func (d *decider) capabilities(inject bool) {
	caps := d.p.Runtime.Capabilities
	allowed := map[string]bool{}
	for _, c := range caps.Allow {
		allowed[NormalizeCapability(c)] = true
	}
	for _, s := range d.r.CapAdd {
		c := NormalizeCapability(s.Value)
		switch {
		case c == "ALL":
			d.refuse(RuleCapabilities, s.Typed, exceptionHint(RuleCapabilities), "adding ALL capabilities is privileged mode by another name")
		case !capabilities[c]:
			d.refuse(RuleCapabilities, s.Typed, "check the spelling (e.g. NET_BIND_SERVICE)", "unknown capability %q", s.Value)
		case !allowed[c]:
			d.refuse(RuleCapabilities, s.Typed, fmt.Sprintf("add %s to runtime.capabilities.allow, or %s", c, exceptionHint(RuleCapabilities)),
				"capability %s is not in the policy's allow-list (%s)", c, strings.Join(caps.Allow, ", "))
		}
	}
	if !inject {
		return
	}
	have := map[string]bool{}
	for _, s := range d.r.CapDrop {
		have[NormalizeCapability(s.Value)] = true
	}
	for _, c := range caps.Drop {
		n := NormalizeCapability(c)
		if !have[n] && !have["ALL"] {
			d.add("cap-drop", n, "drop capabilities the container does not need (guide §4)")
		}
	}
}

// securityOpt splits a --security-opt value the way docker does: key=value, else key:value.
func securityOpt(v string) (key, value string, hasValue bool) {
	if v == "no-new-privileges" || v == "disable" {
		return v, "", false
	}
	k, val, ok := strings.Cut(v, "=")
	if !ok {
		k, val, ok = strings.Cut(v, ":")
	}
	return k, val, ok
}

func (d *decider) securityOpts(inject bool) {
	rt := d.p.Runtime
	var nnp, seccomp, apparmor bool
	for _, s := range d.r.SecurityOpt {
		k, v, _ := securityOpt(s.Value)
		switch k {
		case "no-new-privileges":
			nnp = true
			if on, err := strconv.ParseBool(orTrue(v)); err == nil && !on && rt.NoNewPrivileges {
				d.refuse(RuleNoNewPrivileges, s.Typed, exceptionHint(RuleNoNewPrivileges), "no-new-privileges cannot be turned off: setuid binaries could gain privileges")
			}
		case "seccomp":
			seccomp = true
			d.seccomp(s, v)
		case "apparmor":
			apparmor = true
			if v == "unconfined" {
				d.refuse(RuleAppArmor, s.Typed, "use a custom AppArmor profile that allows what the container needs, or "+exceptionHint(RuleAppArmor),
					"AppArmor unconfined removes the container's mandatory access control")
			}
		case "disable", "label":
			if k == "disable" || v == "disable" || v == "type:spc_t" || v == "type:unconfined_t" {
				d.refuse(RuleSecurityOpt, s.Typed, "give an SELinux level or type instead, or "+exceptionHint(RuleSecurityOpt),
					"disabling SELinux labelling removes the container's mandatory access control")
			}
		case "systempaths":
			if v == "unconfined" {
				d.refuse(RuleSecurityOpt, s.Typed, exceptionHint(RuleSecurityOpt),
					"systempaths=unconfined unmasks /proc and /sys paths that expose the host kernel")
			}
		}
	}
	if !inject {
		return
	}
	if rt.NoNewPrivileges && !nnp {
		d.add("security-opt", "no-new-privileges", "processes cannot gain privileges through setuid binaries (guide §4)")
	}
	if !seccomp {
		switch {
		case rt.Seccomp != "default":
			d.add("security-opt", "seccomp="+rt.Seccomp, "the policy's seccomp profile (guide §5)")
		case !d.in.Facts.SeccompBuiltin && d.in.Facts.SeccompFile != "":
			d.add("security-opt", "seccomp="+d.in.Facts.SeccompFile,
				"the daemon's default seccomp profile is not the built-in one: Moby's default profile, embedded in sdocker (guide §5)")
		default:
			d.notes = append(d.notes, "seccomp: the daemon applies its built-in default profile; nothing to add")
		}
	}
	if !apparmor && rt.AppArmor != "" {
		switch {
		case d.in.Facts.AppArmor:
			d.add("security-opt", "apparmor="+rt.AppArmor, "AppArmor profile (guide §5)")
		case !d.in.Facts.Known:
			d.notes = append(d.notes, "apparmor: apparmor="+rt.AppArmor+" is added only where the daemon reports AppArmor (no daemon was asked)")
		default:
			d.notes = append(d.notes, "apparmor: the daemon has no AppArmor; "+rt.AppArmor+" not added")
		}
	}
}

func orTrue(v string) string {
	if v == "" {
		return "true"
	}
	return v
}

func (d *decider) seccomp(s Setting, v string) {
	switch v {
	case "unconfined":
		d.refuse(RuleSeccomp, s.Typed, "use a profile that allows the syscalls the container needs, or "+exceptionHint(RuleSeccomp),
			"seccomp unconfined lets the container make every system call")
	case "default", "builtin":
		// The guide's seccomp=default: docker reads it as a file name and fails, and a 20.10
		// daemon refuses "builtin". The daemon applies its default profile when none is given.
		d.removed = append(d.removed, s)
		d.notes = append(d.notes, fmt.Sprintf("seccomp: %s means the default profile, which the daemon applies when none is named; it is not forwarded", s.Typed))
	default:
		if d.in.ReadFile == nil {
			return
		}
		hint := "start from Moby's default profile and allow only what the container needs, or " + exceptionHint(RuleSeccomp)
		data, err := d.in.ReadFile(v)
		if err != nil {
			d.refuse(RuleSeccomp, s.Typed, "give a readable profile file", "reading seccomp profile %s to check it: %v", v, err)
			return
		}
		if why := permissiveSeccomp(data); why != "" {
			d.refuse(RuleSeccomp, s.Typed, hint, "seccomp profile %s %s: unconfined by another name", v, why)
			return
		}
		if d.in.PinFile == nil {
			return
		}
		pinned, err := d.in.PinFile(data)
		if err != nil {
			d.refuse(RuleSeccomp, s.Typed, "retry, or check the cache directory", "keeping the checked copy of seccomp profile %s: %v", v, err)
			return
		}
		d.removed = append(d.removed, s)
		d.add("security-opt", "seccomp="+pinned, "the profile "+v+" as checked: docker reads this copy, so the file cannot change in between")
	}
}

func (d *decider) namespaces() {
	if !d.p.Runtime.Deny.HostNamespaces {
		return
	}
	type ns struct {
		name string
		s    *Setting
	}
	all := []ns{{"PID", d.r.PID}, {"IPC", d.r.IPC}, {"UTS", d.r.UTS}, {"user", d.r.UserNS}, {"cgroup", d.r.CgroupNS}}
	for _, n := range d.r.AllNetworks() {
		all = append(all, ns{"network", &n})
	}
	for _, n := range all {
		if n.s != nil && strings.EqualFold(n.s.Value, "host") {
			d.refuse(RuleHostNamespaces, n.s.Typed, "leave it out to get the container's own namespace, or "+exceptionHint(RuleHostNamespaces),
				"the host's %s namespace lets the container see and touch the host", n.name)
		}
	}
}

func (d *decider) network(inject bool) {
	net := d.p.Runtime.Network
	if nets := d.r.AllNetworks(); len(nets) > 0 {
		for _, s := range nets {
			switch strings.ToLower(s.Value) {
			case "bridge", "default":
				if !net.AllowDefaultBridge {
					d.refuse(RuleNetwork, s.Typed, fmt.Sprintf("leave --network out to use %q, or name another user-defined network", net.Default),
						"the default bridge lets every container reach every other one (guide §8)")
				}
			}
		}
		return
	}
	if inject && net.Default != "" {
		d.add("network", net.Default, "a user-defined bridge network instead of the default bridge (guide §8)")
	}
}

func (d *decider) devices() {
	if !d.p.Runtime.Deny.Devices {
		return
	}
	for _, s := range d.r.Devices {
		d.refuse(RuleDevices, s.Typed, exceptionHint(RuleDevices), "host devices give the container direct access to hardware and kernel drivers")
	}
}

func (d *decider) logging(inject bool) {
	lg := d.p.Runtime.Logging
	if !inject || (lg.MaxSize == "" && lg.MaxFile == 0) {
		return
	}
	driver := d.in.Facts.LogDriver
	if d.r.LogDriver != nil {
		driver = d.r.LogDriver.Value
	} else if !d.in.Facts.Known {
		d.notes = append(d.notes, "logging: the daemon's default log driver is taken to be "+driver+" (no daemon was asked)")
	}
	if driver != "json-file" && driver != "local" {
		return
	}
	have := map[string]bool{}
	for _, s := range d.r.LogOpts {
		k, _, _ := strings.Cut(s.Value, "=")
		have[k] = true
	}
	if lg.MaxSize != "" && !have["max-size"] {
		d.add("log-opt", "max-size="+lg.MaxSize, "rotate the "+driver+" log (guide §6)")
	}
	if lg.MaxFile > 0 && !have["max-file"] {
		d.add("log-opt", "max-file="+strconv.Itoa(lg.MaxFile), "rotate the "+driver+" log (guide §6)")
	}
}
