package defaults

import (
	"errors"
	"fmt"
	"net/netip"
	"path"
	"strings"
)

// Rule names a policy rule. Violations carry one, exceptions allow them by name.
type Rule string

// The rules of the runtime policy.
const (
	RulePrivileged      Rule = "privileged"
	RuleCapabilities    Rule = "capabilities"
	RuleNoNewPrivileges Rule = "no-new-privileges"
	RuleSeccomp         Rule = "seccomp"
	RuleAppArmor        Rule = "apparmor"
	RuleSecurityOpt     Rule = "security-opt"
	RuleHostNamespaces  Rule = "host-namespaces"
	RuleMounts          Rule = "mounts"
	RuleDevices         Rule = "devices"
	RuleResources       Rule = "resources"
	RuleNetwork         Rule = "network"
	// RuleLogging is the log rotation the policy adds; only require mode reports it.
	RuleLogging      Rule = "logging"
	RuleRuntime      Rule = "runtime"
	RuleCgroupParent Rule = "cgroup-parent"
	// RulePorts binds published ports to the policy's address (runtime.network.publish_address).
	RulePorts Rule = "ports"
	// RuleDockerSocket gives a container the policed socket in place of the daemon's.
	RuleDockerSocket Rule = "docker-socket"
)

// Rules lists every rule an exception may allow.
var Rules = []Rule{RulePrivileged, RuleCapabilities, RuleNoNewPrivileges, RuleSeccomp, RuleAppArmor,
	RuleSecurityOpt, RuleHostNamespaces, RuleMounts, RuleDevices, RuleResources, RuleNetwork, RuleLogging, RuleRuntime, RuleCgroupParent, RulePorts,
	RuleSwappableMounts, RuleBuildKit}

// Severities accepted by scan.fail_on, from most to least severe.
var Severities = []string{"critical", "high", "medium", "low"}

func (p *Policy) validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if p.Version != 1 {
		bad("version: must be 1, got %d", p.Version)
	}
	switch p.Mode {
	case "":
		p.Mode = ModeEnforce
	case ModeEnforce, ModeWarn:
	default:
		bad("mode: must be enforce or warn, got %q", p.Mode)
	}
	rt := &p.Runtime
	for _, c := range append(append([]string{}, rt.Capabilities.Drop...), rt.Capabilities.Allow...) {
		if !KnownCapability(c) {
			bad("runtime.capabilities: unknown capability %q", c)
		}
	}
	switch rt.Capabilities.Setup {
	case SetupAuto, SetupNone:
	default:
		bad("runtime.capabilities.setup: must be auto or none, got %q", rt.Capabilities.Setup)
	}
	if s := rt.Seccomp; s == "" || s == "unconfined" {
		bad("runtime.seccomp: must be default or a profile path, got %q", s)
	}
	if rt.AppArmor == "unconfined" {
		bad("runtime.apparmor: unconfined is not a profile")
	}
	r := rt.Resources
	if r.MaxMemory > 0 && r.Memory > r.MaxMemory {
		bad("runtime.resources: memory %s is above max_memory %s", r.Memory, r.MaxMemory)
	}
	if r.MaxCPUs > 0 && r.CPUs > r.MaxCPUs {
		bad("runtime.resources: cpus %g is above max_cpus %g", r.CPUs, r.MaxCPUs)
	}
	if r.MaxPids > 0 && r.Pids > r.MaxPids {
		bad("runtime.resources: pids %d is above max_pids %d", r.Pids, r.MaxPids)
	}
	if r.CPUs < 0 || r.MaxCPUs < 0 || r.Pids < 0 || r.MaxPids < 0 {
		bad("runtime.resources: limits cannot be negative")
	}
	switch rt.Network.Default {
	case "host", "bridge", "default":
		bad("runtime.network.default: must be a user-defined network, not %q", rt.Network.Default)
	}
	if a := rt.Network.PublishAddress; a != "" {
		if ip, err := netip.ParseAddr(a); err != nil || ip.Zone() != "" {
			bad("runtime.network.publish_address: %q is not an IP address (like 127.0.0.1)", a)
		}
	}
	if s := rt.DockerSocket.Policed; s != "" && !strings.HasPrefix(s, "/") {
		bad("runtime.docker_socket.policed: %q is not an absolute path", s)
	}
	switch rt.CgroupNS {
	case "", "private":
	default:
		bad("runtime.cgroupns: must be private or empty, got %q", rt.CgroupNS)
	}
	if rt.Logging.MaxFile < 0 {
		bad("runtime.logging.max_file: cannot be negative")
	}
	for _, m := range rt.Deny.Mounts {
		if !strings.HasPrefix(m, "/") {
			bad("runtime.deny.mounts: %q is not an absolute path", m)
		}
	}
	for _, m := range rt.Binds.ReadOnly {
		if !strings.HasPrefix(m, "/") {
			bad("runtime.binds.read_only: %q is not an absolute path", m)
		}
	}
	for _, f := range rt.Binds.HomeFiles {
		if strings.HasPrefix(f, "/") || f == "" || path.Clean(f) != f || strings.HasPrefix(f, "..") {
			bad("runtime.binds.home_files: %q is not a path relative to a home (like .ssh)", f)
		}
	}
	for _, m := range rt.Deny.WritableMounts {
		if !strings.HasPrefix(m, "/") {
			bad("runtime.deny.writable_mounts: %q is not an absolute path", m)
		}
	}
	if ct := p.ContentTrust; ct != nil {
		if err := ct.validate("content_trust."); err != nil {
			bad("%w", err)
		} else if len(ct.Keys) == 0 && ct.Keyless == nil {
			bad("content_trust: name keys or keyless identities (what DOCKER_CONTENT_TRUST=1 and signature.required check against)")
		}
	}
	for i := range p.Images {
		if err := p.Images[i].validate(); err != nil {
			bad("images[%d] (line %d): %w", i, p.Images[i].Line, err)
		} else if sg := p.Images[i].Signature; sg.Required && len(sg.Keys) == 0 && sg.Keyless == nil && p.ContentTrust == nil {
			bad("images[%d] (line %d): signature.required: name keys or keyless identities here or in content_trust, which signatures are checked against", i, p.Images[i].Line)
		}
	}
	for i, e := range p.Exceptions {
		where := fmt.Sprintf("exceptions[%d] (line %d)", i, e.Line)
		for _, dg := range e.Digests {
			if !validDigest(dg) {
				bad("%s: digests: %q is not a sha256 digest (sha256: and 64 hex digits)", where, dg)
			}
		}
		if e.Match == "" {
			bad("%s: match is required", where)
		} else if err := checkPattern(e.Match); err != nil {
			bad("%s: %w", where, err)
		}
		if strings.TrimSpace(e.Reason) == "" {
			bad("%s: reason is required", where)
		}
		if len(e.Allow) == 0 {
			bad("%s: allow names no rule", where)
		}
		for _, a := range e.Allow {
			if !knownRule(Rule(a)) {
				if s := didYouMean(a, ruleNames()); s != "" {
					bad("%s: allow: unknown rule %q (did you mean %s?)", where, a, s)
				} else {
					bad("%s: allow: unknown rule %q (one of %s)", where, a, joinRules(Rules))
				}
			}
		}
	}
	return errors.Join(errs...)
}

func ruleNames() []string {
	names := make([]string, len(Rules))
	for i, r := range Rules {
		names[i] = string(r)
	}
	return names
}

func (r *ImageRule) validate() error {
	if r.Match == "" {
		return errors.New("match is required")
	}
	if err := checkPattern(r.Match); err != nil {
		return err
	}
	if err := r.Signature.validate("signature."); err != nil {
		return err
	}
	sc := &r.Scan
	if sc.FailOn != "" {
		if !knownSeverity(sc.FailOn) {
			return fmt.Errorf("scan.fail_on: must be one of %s, got %q", strings.Join(Severities, ", "), sc.FailOn)
		}
		sc.Required = true
	}
	if sc.AllPlatforms {
		sc.Required = true // asking every platform to pass asks for a scan
	}
	switch sc.OnError {
	case "", "refuse", "allow":
	default:
		return fmt.Errorf("scan.on_error: must be refuse or allow, got %q", sc.OnError)
	}
	for j, ig := range sc.Ignore {
		if ig.ID == "" {
			return fmt.Errorf("scan.ignore[%d]: id is required", j)
		}
	}
	return nil
}

// validate checks a signature requirement; where prefixes messages ("signature.").
func (s *Signature) validate(where string) error {
	switch s.KeysMode {
	case "", "all", "any":
	default:
		return fmt.Errorf("%skeys_mode: must be all or any, got %q", where, s.KeysMode)
	}
	switch s.UnverifiableLocal {
	case "", "refuse", "allow":
	default:
		return fmt.Errorf("%sunverifiable_local: must be refuse or allow, got %q", where, s.UnverifiableLocal)
	}
	if k := s.Keyless; k != nil {
		if err := k.validate(where + "keyless"); err != nil {
			return err
		}
	}
	if err := s.validateAttestations(where); err != nil {
		return err
	}
	if len(s.Keys) > 0 || s.Keyless != nil {
		s.Required = true
	}
	return nil
}

func checkPattern(p string) error {
	if _, err := path.Match(strings.ReplaceAll(p, "**", "*"), ""); err != nil {
		return fmt.Errorf("bad pattern %q: %w", p, err)
	}
	return nil
}

func knownRule(r Rule) bool {
	for _, k := range Rules {
		if k == r {
			return true
		}
	}
	return false
}

func knownSeverity(s string) bool {
	for _, k := range Severities {
		if strings.EqualFold(k, s) {
			return true
		}
	}
	return false
}

func joinRules(rs []Rule) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = string(r)
	}
	return strings.Join(s, ", ")
}

// validDigest reports whether d is sha256: and 64 lower-case hex digits.
func validDigest(d string) bool {
	hex, ok := strings.CutPrefix(d, "sha256:")
	if !ok || len(hex) != 64 {
		return false
	}
	for _, c := range hex {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
