package audit

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// Vuln is a known container escape or daemon bypass fixed in a component's release. Fixed
// lists the first fixed release of each maintained line (major.minor); a version of a line
// not listed is affected if a later line needed the fix.
type Vuln struct {
	Component string // Engine, containerd, runc
	CVE       string
	Summary   string
	Fixed     []string
	Severity  Severity
	// AuthZOnly: the flaw matters only where authorization plugins are in use.
	AuthZOnly bool
}

// ID is the finding ID of the vulnerability.
func (v Vuln) ID() string { return "SD-" + v.CVE }

// Title is the finding title of the vulnerability.
func (v Vuln) Title() string {
	return fmt.Sprintf("%s is older than the release that fixes %s (%s)", componentName(v.Component), v.CVE, v.Summary)
}

// Vulns is the table of minimum versions. Sources: the projects' security advisories
// (GitHub Security Advisories of moby/moby, containerd/containerd, opencontainers/runc).
var Vulns = []Vuln{
	{"runc", "CVE-2019-5736", "a container can overwrite the host's runc binary and run code as root on the host", []string{"1.0.0-rc7"}, Critical, false},
	{"runc", "CVE-2024-21626", "a leaked file descriptor lets a container or an image's WORKDIR reach the host filesystem", []string{"1.1.12"}, Critical, false},
	{"runc", "CVE-2025-31133", "masked-path races let a container write to host /proc files and escape", []string{"1.2.8", "1.3.3", "1.4.0-rc.3"}, High, false},
	{"runc", "CVE-2025-52565", "a /dev/console bind race lets a container write to host /proc files and escape", []string{"1.2.8", "1.3.3", "1.4.0-rc.3"}, High, false},
	{"runc", "CVE-2025-52881", "redirected /proc writes bypass LSM labels and let a container escape", []string{"1.2.8", "1.3.3", "1.4.0-rc.3"}, High, false},
	{"containerd", "CVE-2020-15257", "containers on the host network can reach the shim's abstract socket and escape", []string{"1.3.9", "1.4.3"}, High, false},
	{"containerd", "CVE-2023-25173", "supplementary groups of the image are not applied, bypassing group-based file permissions", []string{"1.5.18", "1.6.18"}, Medium, false},
	{"containerd", "CVE-2024-40635", "an integer overflow in User ID handling runs a container as root", []string{"1.6.38", "1.7.27", "2.0.4"}, Medium, false},
	{"containerd", "CVE-2024-25621", "overly broad permissions on containerd's state directories let local users escalate", []string{"1.7.29", "2.0.7", "2.1.5", "2.2.0"}, Medium, false},
	{"Engine", "CVE-2019-14271", "docker cp loads libraries from the container and runs them on the host", []string{"19.03.1"}, Critical, false},
	{"Engine", "CVE-2021-41091", "the data root is traversable, so local users can run setuid binaries of containers", []string{"20.10.9"}, Medium, false},
	{"Engine", "CVE-2024-29018", "containers on internal networks can leak data through the embedded DNS server", []string{"23.0.11", "25.0.5", "26.0.0"}, Medium, false},
	{"Engine", "CVE-2024-41110", "a request without its body bypasses authorization plugins", []string{"23.0.15", "25.0.6", "26.1.5", "27.1.1"}, Critical, true},
	{"Engine", "CVE-2026-34040", "an oversized request body bypasses authorization plugins", []string{"29.3.1"}, High, true},
}

func vulnByID(id string) (Vuln, bool) {
	for _, v := range Vulns {
		if v.ID() == id {
			return v, true
		}
	}
	return Vuln{}, false
}

func componentName(c string) string {
	if c == "Engine" {
		return "Docker Engine"
	}
	return c
}

func checkVersions(s *Snapshot) []Finding {
	var out []Finding
	authz := len(s.Info.Plugins.Authorization) > 0
	for _, v := range Vulns {
		raw, commit, ok := s.Version.component(v.Component)
		if !ok || raw == "" {
			continue
		}
		if v.Component == "containerd" && commit == "" {
			commit = s.Info.ContainerdCommit.ID
		}
		if v.Component == "runc" && commit == "" {
			commit = s.Info.RuncCommit.ID
		}
		have, err := parseVersion(raw)
		if err != nil {
			continue
		}
		fixed, affected := affectedBy(have, v.Fixed)
		if !affected {
			continue
		}
		name, shown := componentName(v.Component), raw
		if commit != "" && commit != raw && !strings.HasPrefix(commit, "v") && distBuild(commit) {
			shown = raw + " (package " + commit + ")"
		}
		sev := v.Severity
		evidence := fmt.Sprintf("%s %s is older than %s, which fixes %s", name, shown, fixed, v.CVE)
		fix := fmt.Sprintf("upgrade %s to %s or later", name, fixed)
		if v.AuthZOnly && !authz {
			sev = Low
			evidence += "; it matters only with authorization plugins, and this daemon has none"
		}
		if distBuild(raw) || distBuild(commit) {
			sev = Info
			evidence += "; this is a distribution build, whose maintainers backport security fixes without changing the upstream version"
			fix = fmt.Sprintf("check the distribution's security tracker for %s in this package version; upgrade the package if it is not fixed", v.CVE)
		}
		out = append(out, finding(v.ID(), sev, strings.ToLower(v.Component), evidence, fix))
	}
	return out
}

// distBuild reports whether a version or commit string is a distribution package's
// (Debian's 20.10.24+dfsg1, 1.1.5+ds1-1+deb12u1, Ubuntu's 1.7.12-0ubuntu4…).
func distBuild(s string) bool {
	return strings.ContainsAny(s, "+~") || distRE().MatchString(s)
}

// distRE matches distribution suffixes that carry no '+' or '~' (hex commits never match).
var distRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`ubuntu|\.el\d|\.fc\d`) })

// version is major.minor.patch with an optional pre-release number (1.0.0-rc6 → pre 6;
// a release sorts after its pre-releases).
type version struct {
	n   [3]int
	pre int // -1 for a release
}

var versionRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^v?(\d+)\.(\d+)(?:\.(\d+))?(?:-?rc\.?(\d+))?`)
})

func parseVersion(s string) (version, error) {
	m := versionRE().FindStringSubmatch(s)
	if m == nil {
		return version{}, fmt.Errorf("unrecognised version %q", s)
	}
	var v version
	for i := 0; i < 3; i++ {
		v.n[i], _ = strconv.Atoi(m[i+1])
	}
	v.pre = -1
	if m[4] != "" {
		v.pre, _ = strconv.Atoi(m[4])
	}
	return v, nil
}

func (v version) compare(w version) int {
	for i := range v.n {
		if v.n[i] != w.n[i] {
			return v.n[i] - w.n[i]
		}
	}
	switch {
	case v.pre == w.pre:
		return 0
	case v.pre == -1:
		return 1
	case w.pre == -1:
		return -1
	}
	return v.pre - w.pre
}

func (v version) line() [2]int { return [2]int{v.n[0], v.n[1]} }

func lineLess(a, b [2]int) bool { return a[0] < b[0] || a[0] == b[0] && a[1] < b[1] }

// affectedBy decides whether have lacks a fix released as fixed (one version per line), and
// names the release to upgrade to.
func affectedBy(have version, fixed []string) (string, bool) {
	var later string
	for _, f := range fixed {
		fv, err := parseVersion(f)
		if err != nil {
			continue
		}
		if fv.line() == have.line() {
			return f, have.compare(fv) < 0
		}
		if lineLess(have.line(), fv.line()) && later == "" {
			later = f
		}
	}
	return later, later != ""
}
