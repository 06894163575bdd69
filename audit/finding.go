package audit

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Severity ranks findings. The zero value is Info.
type Severity int

const (
	Info Severity = iota
	Low
	Medium
	High
	Critical
)

var severityNames = []string{"info", "low", "medium", "high", "critical"}

func (s Severity) String() string {
	if s < Info || s > Critical {
		return fmt.Sprintf("severity(%d)", int(s))
	}
	return severityNames[s]
}

// ParseSeverity reads a severity name (case-insensitive).
func ParseSeverity(name string) (Severity, error) {
	for i, n := range severityNames {
		if strings.EqualFold(name, n) {
			return Severity(i), nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q (info, low, medium, high or critical)", name)
}

// MarshalText writes the severity's name, so JSON carries "high", not 3.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a severity's name.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	*s = v
	return err
}

// Finding is one thing the audit found. ID is "CIS-<number>" where the CIS Docker Benchmark
// (v1.6.0) has a recommendation for it, else "SD-<name>"; version findings are "SD-<CVE>".
type Finding struct {
	ID       string   `json:"id"`
	Severity Severity `json:"severity"`
	// Title is what the check is about; it is the same for every finding with this ID.
	Title string `json:"title"`
	// Target is what the finding is about: "daemon", "host", "container NAME (ID)", "runc".
	Target   string `json:"target"`
	Evidence string `json:"evidence"`
	Fix      string `json:"fix"`
}

// titles names the checks by what is wrong (a finding exists only where it is). Version findings
// take their title from the versions table.
var titles = map[string]string{
	"CIS-1.1.2":           "Users other than root can control the Docker daemon",
	"CIS-2.2":             "Inter-container communication is enabled on the default bridge",
	"CIS-2.3":             "The daemon's log level is not info",
	"CIS-2.4":             "Docker is not allowed to make changes to iptables",
	"CIS-2.5":             "Insecure registries are configured",
	"CIS-2.7":             "The daemon is reachable over TCP without TLS client verification",
	"CIS-2.8":             "No default ulimits are configured",
	"CIS-2.9":             "User namespace remapping is not enabled",
	"CIS-2.10":            "The daemon sets a default cgroup parent",
	"CIS-2.11":            "The base device size is changed",
	"CIS-2.12":            "No authorization plugin controls Docker client commands",
	"CIS-2.14":            "Containers may acquire new privileges by default (no-new-privileges is off)",
	"CIS-2.15":            "Live restore is disabled",
	"CIS-2.16":            "The userland proxy is enabled",
	"CIS-2.17":            "No seccomp profile is applied daemon-wide",
	"CIS-2.18":            "Experimental features are enabled",
	"CIS-3.15":            "The Docker socket is not owned by root:docker",
	"CIS-3.16":            "The Docker socket's permissions are wider than 660",
	"CIS-3.17":            "daemon.json is not owned by root:root",
	"CIS-3.18":            "daemon.json's permissions are wider than 644",
	"CIS-5.2":             "The container has no AppArmor profile",
	"CIS-5.4":             "The container's Linux capabilities are not restricted",
	"CIS-5.5":             "The container is privileged",
	"CIS-5.6":             "A sensitive host directory is mounted in the container",
	"CIS-5.7":             "An SSH daemon runs in the container",
	"CIS-5.8":             "The container publishes privileged host ports",
	"CIS-5.9":             "The container publishes ports",
	"CIS-5.10":            "The container shares the host's network namespace",
	"CIS-5.11":            "The container's memory is not limited",
	"CIS-5.12":            "The container's CPU is not limited",
	"CIS-5.13":            "The container's root filesystem is writable",
	"CIS-5.14":            "The container accepts traffic on every host interface",
	"CIS-5.15":            "The container's restart policy has no bound",
	"CIS-5.16":            "The container shares the host's process namespace",
	"CIS-5.17":            "The container shares the host's IPC namespace",
	"CIS-5.18":            "Host devices are exposed to the container",
	"CIS-5.19":            "The container overrides the default ulimits",
	"CIS-5.20":            "A mount's propagation is shared",
	"CIS-5.21":            "The container shares the host's UTS namespace",
	"CIS-5.22":            "The container's seccomp profile is disabled",
	"CIS-5.25":            "The container names its own cgroup parent",
	"CIS-5.26":            "The container can acquire new privileges",
	"CIS-5.27":            "The container's health is not checked",
	"CIS-5.29":            "The container's process count is not limited",
	"CIS-5.30":            "The container uses the default bridge",
	"CIS-5.31":            "The container shares the host's user namespace",
	"CIS-5.32":            "The Docker socket is mounted in the container",
	"SD-CGROUPNS":         "The container shares the host's cgroup namespace",
	"SD-SECURITY-OPT":     "Mandatory access control or masked paths are disabled",
	"SD-LOG-ROTATION":     "Container logs are not rotated",
	"SD-DOCKER-HOST":      "DOCKER_HOST points at a daemon without TLS",
	"SD-DAEMON-CONFIG":    "The daemon's configuration could not be read",
	"SD-SHARED-NAMESPACE": "The container shares a namespace the audit could not follow",
	"SD-RUNTIME":          "The container uses an OCI runtime outside the policy's allow-list",
	"SD-POLICY-EXCEPTED":  "A policy exception lets the container through",
}

// Title returns the title of a check ID, or the ID itself when it has none.
func Title(id string) string {
	if t, ok := titles[id]; ok {
		return t
	}
	if v, ok := vulnByID(id); ok {
		return v.Title()
	}
	return id
}

func finding(id string, sev Severity, target, evidence, fix string) Finding {
	return Finding{ID: id, Severity: sev, Title: Title(id), Target: target, Evidence: evidence, Fix: fix}
}

// Report is the outcome of an audit.
type Report struct {
	// Daemon says which daemon was audited: its host and version.
	Daemon   DaemonRef `json:"daemon"`
	Findings []Finding `json:"findings"`
}

// DaemonRef identifies the audited daemon.
type DaemonRef struct {
	Host    string `json:"host"`
	Version string `json:"version"`
	// Config is the daemon.json the audit read, when it read one.
	Config string `json:"config,omitempty"`
}

// Sort orders findings by severity (highest first), then ID, target and evidence.
func (r *Report) Sort() {
	slices.SortStableFunc(r.Findings, func(a, b Finding) int {
		if c := cmp.Compare(b.Severity, a.Severity); c != 0 {
			return c
		}
		if c := compareIDs(a.ID, b.ID); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Target, b.Target); c != 0 {
			return c
		}
		return cmp.Compare(a.Evidence, b.Evidence)
	})
}

// compareIDs orders CIS-2.10 after CIS-2.9, and CIS before SD.
func compareIDs(a, b string) int {
	pa, pb := strings.FieldsFunc(a, isSep), strings.FieldsFunc(b, isSep)
	for i := 0; i < len(pa) && i < len(pb); i++ {
		var na, nb int
		_, ea := fmt.Sscanf(pa[i], "%d", &na)
		_, eb := fmt.Sscanf(pb[i], "%d", &nb)
		if ea == nil && eb == nil && na != nb {
			return cmp.Compare(na, nb)
		}
		if c := cmp.Compare(pa[i], pb[i]); c != 0 && (ea != nil || eb != nil) {
			return c
		}
	}
	return cmp.Compare(len(pa), len(pb))
}

func isSep(r rune) bool { return r == '-' || r == '.' }

// Counts returns the number of findings of each severity.
func (r Report) Counts() map[Severity]int {
	c := map[Severity]int{}
	for _, f := range r.Findings {
		c[f.Severity]++
	}
	return c
}

// AtLeast returns the findings of severity min or higher.
func (r Report) AtLeast(min Severity) []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if f.Severity >= min {
			out = append(out, f)
		}
	}
	return out
}
