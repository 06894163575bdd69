package defaults

import (
	"encoding/json"
	"fmt"
	"path"
	"strings"
)

func (d *decider) mounts() {
	deny := d.p.Runtime.Deny.Mounts
	for _, m := range d.r.Mounts {
		if m.Type == "api-socket" {
			d.refuse(RuleMounts, m.Typed, "talk to the daemon from outside the container, or "+exceptionHint(RuleMounts),
				"the Docker API socket inside a container is root on the host")
			continue
		}
		if m.Source == "" || !strings.HasPrefix(m.Source, "/") {
			continue // a named or anonymous volume
		}
		src := canonicalHostPath(m.Source)
		resolved := src
		if d.in.ResolvePath != nil {
			if r, err := d.in.ResolvePath(src); err == nil {
				resolved = canonicalHostPath(r)
			}
		}
		for _, denied := range deny {
			dp := canonicalHostPath(denied)
			rel := exposure(src, dp)

			via := ""
			if rel == "" && resolved != src {
				rel, via = exposure(resolved, dp), fmt.Sprintf(" (it resolves to %s)", resolved)
			}
			if rel != "" {
				d.refuse(RuleMounts, m.Typed, "bind a narrower directory, or "+exceptionHint(RuleMounts),
					"host path %s%s %s", m.Source, via, rel)
				break
			}
		}
	}
	for _, s := range d.r.VolumesFrom {
		if !d.in.Facts.Known {
			d.notes = append(d.notes, fmt.Sprintf("volumes: %s inherits another container's mounts, which are checked only against a daemon", s.Typed))
		}
	}
}

// canonicalHostPath cleans a host path and spells /var/run as /run (the same directory).
func canonicalHostPath(p string) string {
	p = path.Clean("/" + p)
	if p == "/var/run" || strings.HasPrefix(p, "/var/run/") {
		p = "/run" + strings.TrimPrefix(p, "/var/run")
	}
	return p
}

// exposure says how binding src exposes the denied path, or "" when it does not: src is the
// denied path, inside it, or one of its parents. "/" exposes everything but is inside nothing.
func exposure(src, denied string) string {
	switch {
	case src == "/":
		return "is the host's whole filesystem"
	case src == denied:
		return "is on the policy's deny list"
	case denied == "/":
		return ""
	case strings.HasPrefix(src, denied+"/"):
		return "is inside " + denied + ", which the policy denies"
	case strings.HasPrefix(denied, src+"/"):
		return "contains " + denied + ", which the policy denies"
	}
	return ""
}

// permissiveSeccomp reports whether a profile allows (or only logs) every syscall by default.
func permissiveSeccomp(data []byte) bool {
	var p struct {
		DefaultAction string `json:"defaultAction"`
	}
	if err := json.Unmarshal(data, &p); err != nil {
		return false // docker rejects a profile that is not JSON
	}
	switch p.DefaultAction {
	case "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_TRACE":
		return true
	}
	return false
}
