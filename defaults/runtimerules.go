package defaults

import (
	"fmt"
	"slices"
	"strings"
)

// runtimeRules judges the OCI runtime and the cgroup parent a request names.
func (d *decider) runtimeRules() {
	if s := d.r.Runtime; s != nil && s.Value != "" {
		allow := d.p.Runtime.Runtimes.Allow
		if !slices.Contains(allow, s.Value) && s.Value != d.in.Facts.DefaultRuntime {
			d.refuse(RuleRuntime, FieldRuntime, s.From,
				fmt.Sprintf("leave {Runtime} out to use the daemon's default, add %s to runtime.runtimes.allow, or %s", s.Value, exceptionHint(RuleRuntime)),
				"runtime %s is not in the policy's allow-list (%s): another runtime can give the container the host's devices through its environment alone",
				s.Value, strings.Join(allow, ", "))
		}
	}
	if s := d.r.CgroupParent; s != nil && s.Value != "" && d.p.Runtime.Deny.CgroupParent {
		d.refuse(RuleCgroupParent, FieldCgroupParent, s.From, "leave {CgroupParent} out, or "+exceptionHint(RuleCgroupParent),
			"a cgroup parent of the request's choosing places the container outside the limits docker sets for it, or inside another's")
	}
}
