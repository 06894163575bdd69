package audit

import (
	"fmt"
	"slices"
	"strings"
)

// hardenFix is what a fix says where `sdocker daemon harden` makes the change itself.
const hardenFix = "`sdocker daemon harden` sets it"

// checkDaemonOptions judges the settings of dockerd's configuration that CIS section 2 asks
// about beyond the live /info: its own log level, iptables, default ulimits, the default
// cgroup parent, the devicemapper base size and the userland proxy. It reads the effective
// configuration of the dockerd behind the audited socket (its command line and the
// daemon.json that one reads), never another dockerd's.
func checkDaemonOptions(s *Snapshot) []Finding {
	c := s.Config
	if c == nil {
		return nil
	}
	var out []Finding
	add := func(id string, sev Severity, evidence, fix string) {
		out = append(out, finding(id, sev, "daemon", evidence, fix))
	}
	switch level := strings.ToLower(c.LogLevel); {
	case isTrue(c.Debug):
		add("CIS-2.3", Low, "dockerd logs at debug level (debug is on): its log fills with request details, and the events an administrator reads drown in them",
			`remove "debug": true (and -D) from the daemon's configuration, or set "log-level": "info"`)
	case level != "" && level != "info":
		add("CIS-2.3", Low, fmt.Sprintf("dockerd's log level is %q: %s", c.LogLevel, logLevelRisk(level)),
			`set "log-level": "info" in daemon.json (or start dockerd with --log-level=info)`)
	}
	if c.IPTables != nil && !*c.IPTables {
		add("CIS-2.4", Medium, "dockerd runs with iptables off: it adds no firewall rules, so networks made with inter-container communication off (sdocker's own among them) do not keep containers apart, and published ports follow whatever rules the host has",
			`remove "iptables": false (or --iptables=false) from the daemon's configuration`)
	}
	if len(c.DefaultUlimits) == 0 {
		add("CIS-2.8", Info, "no default ulimits: containers inherit dockerd's own limits (nofile, nproc) unless each sets its own",
			`set "default-ulimits" in daemon.json to limits that fit your workloads, e.g. {"nofile": {"Name": "nofile", "Soft": 1024, "Hard": 4096}}`)
	}
	if c.CgroupParent != "" {
		add("CIS-2.10", Low, fmt.Sprintf("dockerd places every container under cgroup parent %q: whatever limits that cgroup has apply to all of them together, and its siblings share their resources", c.CgroupParent),
			`confirm the cgroup is meant for containers; else remove "cgroup-parent" from the daemon's configuration`)
	}
	if i := slices.IndexFunc(c.StorageOpts, func(o string) bool { return strings.HasPrefix(strings.ToLower(o), "dm.basesize") }); i >= 0 {
		add("CIS-2.11", Low, fmt.Sprintf("dockerd's storage option %s changes the devicemapper base device size: every container's filesystem grows to it, and a larger one lets a container fill the pool", c.StorageOpts[i]),
			`remove dm.basesize from "storage-opts" unless a workload needs it (and the devicemapper driver is deprecated: move to overlay2)`)
	}
	if c.UserlandProxy == nil || *c.UserlandProxy {
		add("CIS-2.16", Low, "the userland proxy is on (dockerd's default): a docker-proxy process listens on the host for every published port, where iptables rules alone could forward the traffic",
			`set "userland-proxy": false in daemon.json (`+hardenFix+`; needs a kernel with hairpin NAT)`)
	}
	return out
}

// logLevelRisk says what a log level other than info costs.
func logLevelRisk(level string) string {
	if level == "debug" || level == "trace" {
		return "its log fills with request details, and the events an administrator reads drown in them"
	}
	return "dockerd no longer logs the events an audit trail needs (container starts, failed requests)"
}
