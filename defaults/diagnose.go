package defaults

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// ContainerState is what a diagnosis reads of a container that exited: its status, the last
// lines of its output and the security settings it ran with, in HostConfig terms.
type ContainerState struct {
	Image    string
	ExitCode int
	// Output are the last lines the container wrote (stdout and stderr).
	Output []string
	// CapAdd and CapDrop are HostConfig.CapAdd and CapDrop (any spelling).
	CapAdd, CapDrop []string
	// NoNewPrivileges: HostConfig.SecurityOpt holds no-new-privileges.
	NoNewPrivileges bool
	Privileged      bool
	// User is the user the container ran as (-u, else the image's USER; "" is root). A
	// non-root process has no capability to lack: only no-new-privileges can explain its
	// failures.
	User string
}

// Diagnosis names what sdocker withheld that explains a failure, the line that shows it, and
// how to allow it.
type Diagnosis struct {
	// Cause is a capability (CHOWN) or "no-new-privileges".
	Cause string `json:"cause"`
	Line  string `json:"line"`
	Hint  string `json:"hint"`
}

// dockerDefaultCapabilities are the capabilities docker grants a container unless told
// otherwise.
var dockerDefaultCapabilities = []string{"CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID",
	"SETUID", "SETFCAP", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE"}

// symptom is an error message a missing capability (or no-new-privileges) produces.
type symptom struct {
	re    *regexp.Regexp
	cause []string
}

// symptoms are compiled when a container's failure is first diagnosed, not when sdocker starts:
// thirteen case-insensitive patterns cost every command a tenth of a millisecond of init.
var symptoms = sync.OnceValue(func() []symptom {
	return []symptom{
		// gosu, su, setpriv: switching to the service user needs both.
		{regexp.MustCompile(`(?i)failed switching to .*operation not permitted|setgroups.*(failed|not permitted)|initgroups.*not permitted|setres?gid.*(failed|not permitted)|cannot set groups`), []string{"SETGID", "SETUID"}},
		{regexp.MustCompile(`(?i)setres?uid.*(failed|not permitted)|cannot set user id|setuid.*operation not permitted`), []string{"SETUID"}},
		{regexp.MustCompile(`(?i)chown.*(operation not permitted|EPERM)|changing ownership.*operation not permitted`), []string{"CHOWN"}},
		{regexp.MustCompile(`(?i)(chmod|changing permissions|utime|setting times).*operation not permitted`), []string{"FOWNER"}},
		{regexp.MustCompile(`(?i)bind\(?\)?.*:([0-9]{1,3}|10[01][0-9]|102[0-3])\b.*(permission denied|EACCES)`), []string{"NET_BIND_SERVICE"}},
		{regexp.MustCompile(`(?i)socket: operation not permitted|raw socket.*(not permitted|denied)|SOCK_RAW.*(not permitted|denied)`), []string{"NET_RAW"}},
		{regexp.MustCompile(`(?i)mknod.*operation not permitted`), []string{"MKNOD"}},
		{regexp.MustCompile(`(?i)chroot.*operation not permitted`), []string{"SYS_CHROOT"}},
		{regexp.MustCompile(`(?i)(kill|signal).*operation not permitted`), []string{"KILL"}},
		{regexp.MustCompile(`(?i)(setcap|cap_set_file|set capabilities).*(failed|not permitted)`), []string{"SETFCAP"}},
		{regexp.MustCompile(`(?i)audit.*(operation not permitted|failed)`), []string{"AUDIT_WRITE"}},
		// Root without DAC_OVERRIDE cannot enter or write what another user owns.
		{regexp.MustCompile(`(?i)(cannot create|cannot open|cannot access|can't create|can't open|mkdir|open|touch|could not open|unable to open).*permission denied`), []string{"DAC_OVERRIDE"}},
	}
})

// noNewPrivileges are the messages of setuid programs that no-new-privileges stops.
var noNewPrivileges = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)no new privileges|effective uid is not 0|nosuid|must be (set)?suid|must be setuid root|setuid root.*required`)
})

// Diagnose reads the last output of a container that exited with a failure and names the
// dropped capability or no-new-privileges that explains it, if one does: only what the
// container did lack is named, with the way to allow it that the policy accepts.
func Diagnose(p *Policy, c ContainerState) []Diagnosis {
	if c.ExitCode == 0 || c.Privileged {
		return nil
	}
	have := effectiveCapabilities(c.CapAdd, c.CapDrop)
	var out []Diagnosis
	seen := map[string]bool{}
	for i := len(c.Output) - 1; i >= 0; i-- { // the last lines first: the failure is at the end
		line := strings.TrimSpace(c.Output[i])
		if line == "" || strings.HasPrefix(line, "docker: Error response from daemon") {
			continue
		}
		if c.NoNewPrivileges && noNewPrivileges().MatchString(line) && !seen["no-new-privileges"] {
			seen["no-new-privileges"] = true
			out = append(out, Diagnosis{Cause: "no-new-privileges", Line: line, Hint: "run it with --security-opt no-new-privileges=false, " +
				"after adding a policy exception for this image with allow: [no-new-privileges], a reason and an expiry"})
			continue
		}
		for _, s := range symptoms() {
			if !rootUser(c.User) || !s.re.MatchString(line) {
				continue
			}
			for _, cap := range s.cause {
				if have[cap] || seen[cap] {
					continue
				}
				seen[cap] = true
				out = append(out, Diagnosis{Cause: cap, Line: line, Hint: capabilityHint(p, cap)})
			}
			break
		}
	}
	return out
}

// capabilityHint says how to give a container cap back, as the policy allows it.
func capabilityHint(p *Policy, cap string) string {
	caps := p.Runtime.Capabilities
	for _, a := range caps.Allow {
		if NormalizeCapability(a) == cap {
			return "run it with --cap-add " + cap
		}
	}
	if caps.Setup != SetupNone && isSetupCapability(cap) {
		return "run it with --cap-add " + cap + " (in the setup set: no policy change needed)"
	}
	return fmt.Sprintf("run it with --cap-add %s, after adding %s to runtime.capabilities.allow in the policy (or %s)",
		cap, cap, exceptionHint(RuleCapabilities))
}

// effectiveCapabilities is what docker grants for HostConfig's CapAdd and CapDrop.
func effectiveCapabilities(add, drop []string) map[string]bool {
	have := map[string]bool{}
	dropAll := false
	for _, c := range drop {
		dropAll = dropAll || NormalizeCapability(c) == "ALL"
	}
	if !dropAll {
		for _, c := range dockerDefaultCapabilities {
			have[c] = true
		}
		for _, c := range drop {
			delete(have, NormalizeCapability(c))
		}
	}
	for _, c := range add {
		if n := NormalizeCapability(c); n == "ALL" {
			for k := range capabilities {
				have[k] = true
			}
		} else {
			have[n] = true
		}
	}
	return have
}
