package audit

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"sdocker/defaults"
)

// CheckOptions are what Check needs beyond the snapshot.
type CheckOptions struct {
	// Policy supplies the runtime rules applied to containers; nil means the embedded default.
	Policy *defaults.Policy
	Now    time.Time
	// ResolvePath resolves symlinks of bind sources on the daemon's host; nil leaves them.
	ResolvePath func(string) (string, error)
}

// Check turns a snapshot into a sorted report. It does no I/O.
func Check(s *Snapshot, o CheckOptions) Report {
	if o.Policy == nil {
		o.Policy, _ = defaults.Parse(defaults.DefaultPolicyYAML(), "embedded default")
	}
	r := Report{Daemon: DaemonRef{Host: s.Endpoint.Host, Version: s.Info.ServerVersion}}
	if s.Config != nil && s.ConfigFile != nil {
		r.Daemon.Config = s.ConfigFile.Path
	}
	r.Findings = append(r.Findings, checkDaemon(s)...)
	r.Findings = append(r.Findings, checkDaemonOptions(s)...)
	r.Findings = append(r.Findings, checkHost(s)...)
	r.Findings = append(r.Findings, checkVersions(s)...)
	r.Findings = append(r.Findings, checkContainers(s, o)...)
	if r.Findings == nil {
		r.Findings = []Finding{}
	}
	r.Sort()
	return r
}

func isTrue(b *bool) bool { return b != nil && *b }

func checkDaemon(s *Snapshot) []Finding {
	var out []Finding
	add := func(id string, sev Severity, evidence, fix string) {
		out = append(out, finding(id, sev, "daemon", evidence, fix))
	}
	tlsFix := hardenFix + " (with certificates from `sdocker tls init`); by hand: set tlsverify, tlscacert, tlscert and tlskey in daemon.json, " +
		"and listen on port 2376; or listen on the unix socket only"
	if c := s.Config; c != nil {
		// dockerd turns TLS on whenever tlsverify is set at all, true or false.
		tlsOn := c.TLSVerify != nil || isTrue(c.TLS)
		for _, h := range c.Hosts {
			addr, ok := tcpHost(h)
			switch {
			case !ok, isTrue(c.TLSVerify):
			case tlsOn:
				add("CIS-2.7", Critical, fmt.Sprintf("dockerd listens on %s with TLS but does not verify client certificates (tlsverify is off): anyone who can reach the port is root on this host", addr), tlsFix)
			default:
				add("CIS-2.7", Critical, fmt.Sprintf("dockerd listens on %s without TLS: anyone who can reach the port (a browser page on localhost included) is root on this host", addr), tlsFix)
			}
		}
		if !isTrue(c.NoNewPrivileges) {
			add("CIS-2.14", Medium, "dockerd runs without no-new-privileges: containers may gain privileges through setuid binaries unless each asks otherwise",
				hardenFix+`; by hand: set "no-new-privileges": true in daemon.json`)
		}
		switch driver := firstNonEmpty(s.Info.LoggingDriver, c.LogDriver, "json-file"); {
		case driver == "json-file" && c.LogOpts["max-size"] == "":
			add("SD-LOG-ROTATION", Medium, "the default log driver json-file has no max-size: a container's log grows until the disk is full",
				hardenFix+`; by hand: set "log-opts": {"max-size": "10m", "max-file": "3"} in daemon.json (it applies to containers created afterwards)`)
		}
	} else {
		add("SD-DAEMON-CONFIG", Info, "the daemon's configuration could not be read ("+s.ConfigNote+"): TCP/TLS listeners, no-new-privileges, log rotation, the log level, iptables, default ulimits and cgroup parent, storage options and the userland proxy were not checked",
			"run the audit on the daemon's host as a user who can read /proc and daemon.json, or give the file with --daemon-config")
	}
	if s.Endpoint.InsecureTCP() {
		add("CIS-2.7", Critical, fmt.Sprintf("the audit reached the daemon at %s without TLS verification", s.Endpoint.Host), tlsFix)
	}
	if s.BridgeICC == "true" {
		add("CIS-2.2", Medium, "containers on the default bridge can reach each other (icc is on)",
			hardenFix+`; by hand: set "icc": false in daemon.json; and give containers user-defined networks`)
	}
	_, userns := s.Info.securityOption("userns")
	_, rootless := s.Info.securityOption("rootless")
	if !userns && !rootless {
		add("CIS-2.9", Low, "user namespace remapping is off: root in a container is root on the host",
			`set "userns-remap": "default" in daemon.json (check that your volumes and images work with it), or run dockerd rootless`)
	}
	if !s.Info.LiveRestoreEnabled {
		add("CIS-2.15", Low, "live restore is off: containers stop whenever dockerd restarts, which discourages timely upgrades",
			hardenFix+`; by hand: set "live-restore": true in daemon.json`)
	}
	if sc, ok := s.Info.securityOption("seccomp"); !ok {
		add("CIS-2.17", Medium, "the daemon reports no seccomp support: containers can make every system call",
			"use a kernel and a dockerd built with seccomp")
	} else if sc["profile"] == "unconfined" {
		add("CIS-2.17", High, "the daemon-wide seccomp profile is unconfined: containers can make every system call",
			`remove "seccomp-profile": "unconfined" from daemon.json`)
	}
	if len(s.Info.Plugins.Authorization) == 0 {
		add("CIS-2.12", Info, "no authorization plugin: every client of the socket may do everything",
			"where several teams share a daemon, add an authorization plugin: "+hardenFix+" (sdocker authz, the policy as the daemon's own gate); by hand: authorization-plugins in daemon.json")
	}
	if insecure := insecureRegistries(s.Info); len(insecure) > 0 {
		add("CIS-2.5", High, "the daemon pulls from insecure registries (no TLS or unverified): "+strings.Join(insecure, ", "),
			"remove them from insecure-registries in daemon.json and give the registries certificates")
	}
	if s.Info.ExperimentalBuild {
		add("CIS-2.18", Low, "experimental features are enabled", `set "experimental": false in daemon.json`)
	}
	if f := s.ConfigFile; f != nil {
		if f.UID != 0 || f.GID != 0 {
			add("CIS-3.17", High, fmt.Sprintf("%s is owned by %s:%s: whoever owns it configures the daemon, which runs as root", f.Path, f.Owner, f.Group),
				"chown root:root "+f.Path)
		}
		if f.Mode.Perm()&0o022 != 0 {
			add("CIS-3.18", High, fmt.Sprintf("%s has mode %04o: users other than root can change the daemon's configuration", f.Path, f.Mode.Perm()),
				"chmod 644 "+f.Path)
		}
	}
	return out
}

// tcpHost reports whether a dockerd host listens on TCP, and spells it with its scheme. Like
// dockerd's own parsing, a host without a scheme ("0.0.0.0:2375", ":2375") is TCP.
func tcpHost(h string) (string, bool) {
	h = strings.TrimSpace(h)
	scheme, rest, hasScheme := strings.Cut(h, "://")
	switch {
	case !hasScheme && h != "":
		return "tcp://" + h + " (dockerd reads a host without a scheme as tcp)", true
	case scheme == "tcp":
		return "tcp://" + rest, true
	}
	return "", false
}

// insecureRegistries lists the registries the daemon reaches without verified TLS, except
// loopback, which docker always allows.
func insecureRegistries(i DaemonInfo) []string {
	var out []string
	for _, c := range i.RegistryConfig.InsecureRegistryCIDRs {
		if c != "127.0.0.0/8" && c != "::1/128" {
			out = append(out, c)
		}
	}
	for name, ic := range i.RegistryConfig.IndexConfigs {
		if !ic.Secure {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
