package defaults

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Violation is one thing the policy refuses (or, in require mode, a setting the policy would
// add that the request lacks). Message and Hint may name settings as {Field} (e.g.
// "{NetworkMode}"): each door words them in its own terms with Word.
type Violation struct {
	Rule  Rule  `json:"rule"`
	Field Field `json:"field"`
	// From is the argument as the user typed it, or the API field it came from.
	From    string `json:"argument,omitempty"`
	Message string `json:"message"`
	Hint    string `json:"hint"` // how to allow it
	// Missing: the request lacks a setting the policy adds (require mode).
	Missing bool `json:"missing,omitempty"`
	// Want is the addition a Missing violation is about.
	Want *Addition `json:"-"`
	// Excepted holds the reason of the exception that lifted this violation, if any.
	Excepted string `json:"excepted,omitempty"`
}

// Addition is one setting the policy adds, in the daemon's terms.
type Addition struct {
	Field Field `json:"field"`
	Rule  Rule  `json:"rule"`
	// Value is the setting's value: a capability (CapDrop), a security option
	// ("no-new-privileges", "apparmor=docker-default", "seccomp=PATH" for the policy's profile
	// file), a network (NetworkMode), a log option "key=value" (LogConfig).
	Value string `json:"value,omitempty"`
	// Int is the number of Memory (bytes), NanoCpus, CpuQuota and PidsLimit.
	Int int64 `json:"int,omitempty"`
	// Profile is a seccomp profile applied by its bytes (SecurityOpt): the user's own profile
	// as it was checked, or Moby's default where the daemon's default is not the built-in one.
	// A door hands the daemon these bytes, so a file that changes after the check cannot swap
	// the profile.
	Profile []byte `json:"-"`
	// Replaces is the From of the user's setting this addition takes the place of (the user's
	// seccomp profile, pinned as checked), or "".
	Replaces string `json:"replaces,omitempty"`
	// Mount is the mount a FieldMounts addition makes (a policed socket in place of the
	// daemon's, Replaces naming the mount it takes the place of).
	Mount *Mount `json:"mount,omitempty"`
	// Port is the binding a FieldPortBindings addition makes: the user's binding on the policy's
	// address (Replaces naming the argument it takes the place of), or an exposed port bound
	// in place of PublishAllPorts.
	Port *Port `json:"port,omitempty"`
	// Grant: the addition gives something back (a capability of the setup set) rather than
	// hardening; require mode does not ask for it.
	Grant  bool   `json:"grant,omitempty"`
	Reason string `json:"reason"`
}

// Change is what the policy sets on an allowed request, for each door to apply in its own way
// (the CLI renders flags, the API door changes the body).
type Change struct {
	// Image, where set, is the image (by ID) the decision was made for: a content-bound
	// exception applied, so a door must create the container from exactly that image.
	Image string     `json:"image,omitempty"`
	Add   []Addition `json:"add"`
	// Remove are the From of user settings dropped because they mean the default already (the
	// guide's seccomp=default, which docker reads as a file name).
	Remove []string `json:"remove"`
}

// Decision is the outcome for one request.
type Decision struct {
	Allowed    bool        `json:"allowed"`
	Mode       Mode        `json:"mode"`
	Violations []Violation `json:"violations"`
	// Excepted are violations lifted by a policy exception.
	Excepted []Violation `json:"excepted"`
	Change   Change      `json:"change"`
	Notes    []string    `json:"notes"`
	// Capabilities says which capabilities were given back after the drop, and why (run and
	// create only).
	Capabilities *CapabilityChoice `json:"capabilities,omitempty"`
}

// Input is everything one decision depends on.
type Input struct {
	Policy  *Policy
	Request Request
	Facts   Facts
	Now     time.Time
	// Require judges the request as it stands (the authorization plugin, the audit): what the
	// policy would add but the request lacks is a violation. Otherwise the decision injects it.
	Require bool
	// ResolvePath resolves symlinks of a host path on the daemon's host; nil leaves paths as they
	// are (the daemon is remote, or nothing to resolve).
	ResolvePath func(path string) (string, error)
	// Host answers what the kernel makes of host paths (inodes, mounts); its zero value asks
	// nothing.
	Host HostFS
	// Homes are the home directories of the daemon's host (from its /etc/passwd, see
	// HomesFromPasswd); /root and /home/* are homes whether listed or not.
	Homes []Home
	// Exists reports whether a host path exists on the daemon's host, for binds of a directory
	// that contains a home's credentials; nil assumes every such path exists.
	Exists func(path string) bool
}

// Decide applies the policy to a request. It does no I/O beyond the Input's functions.
func Decide(in Input) Decision {
	d := &decider{in: in, p: in.Policy, r: &in.Request}
	switch in.Request.Kind {
	case KindExec:
		d.privileged()
	case KindUpdate:
		d.resources()
	case KindStart, KindConnect, KindBuild, KindPlugin, KindService, KindBuildKit, KindVolume, KindNetwork:
		d.decideMore()
	default:
		d.privileged()
		d.capabilities()
		d.securityOpts()
		d.namespaces()
		d.network()
		d.ports()
		d.mounts()
		d.devices()
		d.resources()
		d.logging()
		d.runtimeRules()
		if !d.r.RestartsOnItsOwn() {
			d.swappable() // what the door marked: sources another user can swap
		}
	}
	d.restartPolicy()
	return d.finish()
}

type decider struct {
	in         Input
	p          *Policy
	r          *Request
	violations []Violation
	change     Change
	notes      []string
	capChoice  *CapabilityChoice
}

// creates reports whether settings are added: only to a container being created.
func (d *decider) creates() bool { return d.r.Kind == KindCreate }

func (d *decider) refuse(rule Rule, field Field, from, hint, format string, args ...any) {
	d.violations = append(d.violations, Violation{Rule: rule, Field: field, From: from, Message: fmt.Sprintf(format, args...), Hint: hint})
}

func (d *decider) add(a Addition) { d.change.Add = append(d.change.Add, a) }

func (d *decider) note(format string, args ...any) {
	d.notes = append(d.notes, fmt.Sprintf(format, args...))
}

func (d *decider) finish() Decision {
	out := Decision{Mode: d.p.Mode, Change: d.change, Notes: d.notes, Capabilities: d.capChoice}
	violations := d.violations
	if d.in.Require {
		for _, a := range d.change.Add {
			// A grant gives something back; an addition that replaces the request's own setting
			// (its seccomp profile, pinned as checked) is already in the request.
			if !a.Grant && a.Replaces == "" {
				violations = append(violations, missing(a))
			}
		}
	}
	for _, v := range violations {
		if reason, note := d.exception(v.Rule); reason != "" {
			v.Excepted = reason
			out.Excepted = append(out.Excepted, v)
			continue
		} else if note != "" {
			v.Message += " (" + note + ")"
		}
		out.Violations = append(out.Violations, v)
	}
	out.Change = d.change // an exception bound to content pins the image
	out.Allowed = len(out.Violations) == 0 || d.p.Mode == ModeWarn
	return out
}

// missing is the violation of a request that lacks an addition (require mode).
func missing(a Addition) Violation {
	return Violation{Rule: a.Rule, Field: a.Field, Missing: true, Want: &a, From: "{" + string(a.Field) + "}",
		Message: fmt.Sprintf("{%s} lacks %s, which the policy adds: %s", a.Field, a.Describe(), a.Reason),
		Hint:    fmt.Sprintf("create the container through sdocker, which adds it, or set {%s} to %s", a.Field, a.Describe())}
}

// Describe renders an addition's value for people ("ALL", "1073741824 bytes", "seccomp=<profile>").
func (a Addition) Describe() string {
	switch {
	case a.Profile != nil:
		return "seccomp=<profile>"
	case a.Field == FieldMemory:
		return ByteSize(a.Int).String()
	case a.Field == FieldNanoCPUs:
		return fmt.Sprintf("%g CPUs", float64(a.Int)/1e9)
	case a.Value == "":
		return fmt.Sprint(a.Int)
	}
	return a.Value
}

// Word replaces the {Field} names in a violation's message or hint with a door's words for them;
// braces around anything that is not a Field are left as they are.
func Word(s string, name func(Field) string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			return b.String() + s
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return b.String() + s
		}
		if f := Field(s[i+1 : i+j]); f.known() {
			b.WriteString(s[:i] + name(f))
		} else {
			b.WriteString(s[:i+j+1])
		}
		s = s[i+j+1:]
	}
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
		if len(e.Digests) > 0 {
			img := d.in.Facts.Image
			if img == nil {
				note = fmt.Sprintf("the exception for %s at line %d applies to given digests only, and the image is not on the daemon to be compared: pull it first", e.Match, e.Line)
				continue
			}
			if !slices.ContainsFunc(img.Digests(), func(dg string) bool { return slices.Contains(e.Digests, dg) }) {
				note = fmt.Sprintf("the exception for %s at line %d applies to given digests only, and this image (%s) is not one of them", e.Match, e.Line, img.ID)
				continue
			}
			// Docker is handed what was judged: the image by its ID, not a name that may move.
			d.change.Image = img.ID
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
	if s == nil || !d.p.Runtime.Deny.Privileged || !s.Value {
		return
	}
	hint := "grant only the capabilities it needs with {CapAdd}, or " + exceptionHint(RulePrivileged)
	if runsDaemon(d.r.Image) {
		hint = daemonHint + exceptionHint(RulePrivileged)
	}
	d.refuse(RulePrivileged, FieldPrivileged, s.From, hint, "privileged mode gives the container every capability and every device of the host")
}

func (d *decider) capabilities() {
	caps := d.p.Runtime.Capabilities
	allowed := map[string]bool{}
	for _, c := range caps.Allow {
		allowed[NormalizeCapability(c)] = true
	}
	for _, s := range d.r.CapAdd {
		c := NormalizeCapability(s.Value)
		switch {
		case c == "ALL":
			d.refuse(RuleCapabilities, FieldCapAdd, s.From, exceptionHint(RuleCapabilities), "adding ALL capabilities is privileged mode by another name")
		case !capabilities[c]:
			d.refuse(RuleCapabilities, FieldCapAdd, s.From, "check the spelling (e.g. NET_BIND_SERVICE)", "unknown capability %q", s.Value)
		case !allowed[c] && !(caps.Setup != SetupNone && isSetupCapability(c)):
			d.refuse(RuleCapabilities, FieldCapAdd, s.From, fmt.Sprintf("add %s to runtime.capabilities.allow, or %s", c, exceptionHint(RuleCapabilities)),
				"capability %s is in neither the policy's allow-list (%s) nor the setup set", c, strings.Join(caps.Allow, ", "))
		}
	}
	if !d.creates() {
		return
	}
	have := map[string]bool{}
	for _, s := range d.r.CapDrop {
		have[NormalizeCapability(s.Value)] = true
	}
	for _, c := range caps.Drop {
		n := NormalizeCapability(c)
		if !have[n] && !have["ALL"] {
			d.add(Addition{Field: FieldCapDrop, Rule: RuleCapabilities, Value: n, Reason: "drop capabilities the container does not need (guide §4)"})
		}
		if n == "ALL" {
			d.setupCapabilities()
		}
	}
}

func (d *decider) namespaces() {
	if !d.p.Runtime.Deny.HostNamespaces {
		return
	}
	type ns struct {
		name  string
		field Field
		s     *Val[string]
	}
	all := []ns{{"PID", FieldPidMode, d.r.PID}, {"IPC", FieldIpcMode, d.r.IPC}, {"UTS", FieldUTSMode, d.r.UTS},
		{"user", FieldUsernsMode, d.r.UserNS}, {"cgroup", FieldCgroupnsMode, d.r.CgroupNS}}
	for i := range d.r.Networks {
		all = append(all, ns{"network", FieldNetworkMode, &d.r.Networks[i]})
	}
	for _, n := range all {
		if n.s != nil && strings.EqualFold(n.s.Value, "host") {
			d.refuse(RuleHostNamespaces, n.field, n.s.From, "leave it out to get the container's own namespace, or "+exceptionHint(RuleHostNamespaces),
				"the host's %s namespace lets the container see and touch the host", n.name)
		}
	}
	if d.creates() && d.r.CgroupNS == nil && d.p.Runtime.CgroupNS != "" {
		d.add(Addition{Field: FieldCgroupnsMode, Rule: RuleHostNamespaces, Value: d.p.Runtime.CgroupNS,
			Reason: "a cgroup namespace of its own: the host's cgroup tree stays out of the container"})
	}
}

func (d *decider) network() {
	net := d.p.Runtime.Network
	d.joinedNetworks()
	if len(d.r.Networks) > 0 {
		for _, s := range d.r.Networks {
			switch strings.ToLower(s.Value) {
			case "bridge", "default":
				if !net.AllowDefaultBridge {
					d.refuse(RuleNetwork, FieldNetworkMode, s.From, fmt.Sprintf("leave {NetworkMode} out to use %q, or name another user-defined network", net.Default),
						"the default bridge lets every container reach every other one (guide §8)")
				}
			}
		}
		return
	}
	if d.creates() && net.Default != "" {
		d.add(Addition{Field: FieldNetworkMode, Rule: RuleNetwork, Value: net.Default, Reason: "a user-defined bridge network instead of the default bridge (guide §8)"})
	}
}

func (d *decider) devices() {
	if !d.p.Runtime.Deny.Devices {
		return
	}
	for _, s := range d.r.Devices {
		d.refuse(RuleDevices, s.Field, s.From, exceptionHint(RuleDevices), "host devices give the container direct access to hardware and kernel drivers")
	}
}

func (d *decider) logging() {
	lg := d.p.Runtime.Logging
	if !d.creates() || (lg.MaxSize == "" && lg.MaxFile == 0) {
		return
	}
	driver := d.in.Facts.LogDriver
	if d.r.LogDriver != nil && d.r.LogDriver.Value != "" {
		driver = d.r.LogDriver.Value // an empty --log-driver= is the daemon's default
	} else if !d.in.Facts.Known {
		d.note("logging: the daemon's default log driver is taken to be %s (no daemon was asked)", driver)
	}
	if driver != "json-file" && driver != "local" {
		return
	}
	have := map[string]bool{}
	for _, o := range d.r.LogOpts {
		have[o.Key] = true
	}
	reason := "rotate the " + driver + " log (guide §6)"
	if lg.MaxSize != "" && !have["max-size"] {
		d.add(Addition{Field: FieldLogConfig, Rule: RuleLogging, Value: "max-size=" + lg.MaxSize, Reason: reason})
	}
	if lg.MaxFile > 0 && !have["max-file"] {
		d.add(Addition{Field: FieldLogConfig, Rule: RuleLogging, Value: fmt.Sprintf("max-file=%d", lg.MaxFile), Reason: reason})
	}
}
