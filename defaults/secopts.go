package defaults

import (
	"strconv"
	"strings"
)

// SplitSecurityOpt splits a security option the way docker does: key=value, else key:value;
// "no-new-privileges" and "disable" stand alone.
func SplitSecurityOpt(v string) (key, value string) {
	if v == "no-new-privileges" || v == "disable" {
		return v, ""
	}
	k, val, ok := strings.Cut(v, "=")
	if !ok {
		k, val, _ = strings.Cut(v, ":")
	}
	return k, val
}

func (d *decider) securityOpts() {
	rt := d.p.Runtime
	var nnp, seccomp, apparmor bool
	for _, s := range d.r.SecurityOpt {
		switch s.Key {
		case "no-new-privileges":
			nnp = true
			if on, err := strconv.ParseBool(orTrue(s.Value)); err == nil && !on && rt.NoNewPrivileges {
				d.refuse(RuleNoNewPrivileges, FieldSecurityOpt, s.From, exceptionHint(RuleNoNewPrivileges), "no-new-privileges cannot be turned off: setuid binaries could gain privileges")
			}
		case "seccomp":
			seccomp = true
			d.seccomp(s)
		case "apparmor":
			apparmor = true
			if s.Value == "unconfined" {
				d.refuse(RuleAppArmor, FieldSecurityOpt, s.From, "use a custom AppArmor profile that allows what the container needs, or "+exceptionHint(RuleAppArmor),
					"AppArmor unconfined removes the container's mandatory access control")
			}
		case "disable", "label":
			if v := s.Value; s.Key == "disable" || v == "disable" || v == "type:spc_t" || v == "type:unconfined_t" {
				d.refuse(RuleSecurityOpt, FieldSecurityOpt, s.From, "give an SELinux level or type instead, or "+exceptionHint(RuleSecurityOpt),
					"disabling SELinux labelling removes the container's mandatory access control")
			}
		case "systempaths":
			if s.Value == "unconfined" {
				d.refuse(RuleSecurityOpt, FieldSecurityOpt, s.From, exceptionHint(RuleSecurityOpt),
					"systempaths=unconfined unmasks /proc and /sys paths that expose the host kernel")
			}
		}
	}
	if !d.creates() {
		return
	}
	if rt.NoNewPrivileges && !nnp {
		d.add(Addition{Field: FieldSecurityOpt, Rule: RuleNoNewPrivileges, Value: "no-new-privileges", Reason: "processes cannot gain privileges through setuid binaries (guide §4)"})
	}
	if !seccomp {
		switch {
		case rt.Seccomp != "default":
			d.add(Addition{Field: FieldSecurityOpt, Rule: RuleSeccomp, Value: "seccomp=" + rt.Seccomp, Reason: "the policy's seccomp profile (guide §5)"})
		case !d.in.Facts.SeccompBuiltin:
			d.add(Addition{Field: FieldSecurityOpt, Rule: RuleSeccomp, Profile: MobySeccompProfile(),
				Reason: "the daemon's default seccomp profile is not the built-in one: Moby's default profile, embedded in sdocker (guide §5)"})
		default:
			d.note("seccomp: the daemon applies its built-in default profile; nothing to add")
		}
	}
	if !apparmor && rt.AppArmor != "" {
		switch {
		case d.in.Facts.AppArmor:
			d.add(Addition{Field: FieldSecurityOpt, Rule: RuleAppArmor, Value: "apparmor=" + rt.AppArmor, Reason: "AppArmor profile (guide §5)"})
		case !d.in.Facts.Known:
			d.note("apparmor: apparmor=%s is added only where the daemon reports AppArmor (no daemon was asked)", rt.AppArmor)
		default:
			d.note("apparmor: the daemon has no AppArmor; %s not added", rt.AppArmor)
		}
	}
}

func orTrue(v string) string {
	if v == "" {
		return "true"
	}
	return v
}

func (d *decider) seccomp(s SecurityOpt) {
	switch {
	case s.Value == "unconfined":
		d.refuse(RuleSeccomp, FieldSecurityOpt, s.From, "use a profile that allows the syscalls the container needs, or "+exceptionHint(RuleSeccomp),
			"seccomp unconfined lets the container make every system call")
	case s.Profile == nil && (s.Value == "default" || s.Value == "builtin"):
		// The guide's seccomp=default: docker reads it as a file name and fails, and a 20.10
		// daemon refuses "builtin". The daemon applies its default profile when none is given.
		d.change.Remove = append(d.change.Remove, s.From)
		d.note("seccomp: %s means the default profile, which the daemon applies when none is named; it is not forwarded", s.From)
	case s.Profile != nil:
		name := profileName(s)
		if why := judgeSeccomp(s.Profile, d.heldCapabilities()); why != "" {
			d.refuse(RuleSeccomp, FieldSecurityOpt, s.From, "start from Moby's default profile and allow only what the container needs, or "+exceptionHint(RuleSeccomp),
				"seccomp profile %s %s: unconfined by another name", name, why)
			return
		}
		if d.creates() {
			d.add(Addition{Field: FieldSecurityOpt, Rule: RuleSeccomp, Profile: s.Profile, Replaces: s.From,
				Reason: "the profile " + name + " as checked: the daemon gets this copy, so the file cannot change in between"})
		}
	}
}

// profileName names a seccomp profile for messages: its file, or "inline" for JSON in a body.
func profileName(s SecurityOpt) string {
	if strings.HasPrefix(strings.TrimSpace(s.Value), "{") {
		return "(inline JSON)"
	}
	return s.Value
}
