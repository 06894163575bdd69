package defaults

import (
	"fmt"
	"strconv"
	"strings"
)

// SetupCapabilities is the set given back, after --cap-drop=ALL, to a container whose process
// starts as root: what the entrypoints of the most-pulled official images do to set themselves
// up before they drop to a service user, and nothing more. Every member is in docker's default
// set; none of them reaches outside the container's own files and processes. Measured on the
// replicas (scripts/build-replicas.sh), dropping one at a time:
//
//   - CHOWN: postgres, redis, mariadb and nginx fail without it: they give their data (or
//     temporary) directories to the service user (find ! -user postgres -exec chown).
//   - DAC_OVERRIDE: postgres, mariadb, nginx and apt fail without it: root enters and writes
//     directories the service user owns ("mkdir: cannot create directory
//     '/var/lib/postgresql/data': Permission denied"; apt's lists, owned by _apt).
//   - SETUID, SETGID: all five fail without either: gosu and nginx's workers drop to the
//     service user (setgroups, setresgid, setresuid); apt drops to _apt for downloads
//     ("setgroups 65534 failed").
//   - FOWNER: postgres fails on its second start on a volume without it: chmod 00700 "$PGDATA"
//     of a directory it already gave to postgres.
//   - FSETID: without it dpkg silently strips the setgid bit of the programs it installs with a
//     group root is not in (apt-get install cron: /usr/bin/crontab loses setgid crontab).
//   - KILL: none of the replicas needs it (nginx tells its workers to stop through a socket);
//     it is there for process supervisors that run as root and stop services running as their
//     own users on docker stop (s6-overlay, supervisord), which otherwise wait for SIGKILL.
//   - NET_BIND_SERVICE: nginx's master binds :80 before its workers drop to www-data. Daemons
//     since 20.10 let every container bind low ports (net.ipv4.ip_unprivileged_port_start=0,
//     measured here), older ones do not; it binds only in the container's own network
//     namespace, and the guide's strict form keeps it too.
//
// Left out, though docker grants them by default: NET_RAW (raw sockets: ARP and DNS spoofing of
// neighbours), MKNOD (device nodes), AUDIT_WRITE (the host's audit log), SYS_CHROOT, SETFCAP
// and SETPCAP (file and process capabilities: setcap in a postinst falls back to setuid). None
// of the dangerous ones (SYS_ADMIN, NET_ADMIN, SYS_PTRACE, SYS_MODULE, DAC_READ_SEARCH…) is
// ever in it.
var SetupCapabilities = []string{"CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "SETUID", "SETGID", "KILL", "NET_BIND_SERVICE"}

// Capability set choices (runtime.capabilities.setup).
const (
	SetupAuto = "auto" // root processes get SetupCapabilities back, others nothing
	SetupNone = "none" // nothing given back: the guide's strict form
)

// ImageFacts are what the daemon knows of the image a container is made from.
type ImageFacts struct {
	// User is the image's Config.User ("" is root).
	User string
	// ID is the image's ID (the digest of its config); RepoDigests are repo@sha256:… of the
	// manifests it was pulled by.
	ID          string
	RepoDigests []string
	// ExposedPorts are the ports the image exposes (Config.ExposedPorts), as "80/tcp".
	ExposedPorts []string
}

// Digests are every digest the image is known by: its ID and its repo digests' digests.
func (f *ImageFacts) Digests() []string {
	out := []string{f.ID}
	for _, rd := range f.RepoDigests {
		if _, d, ok := strings.Cut(rd, "@"); ok {
			out = append(out, d)
		}
	}
	return out
}

// CapabilityChoice says which capabilities were given back after the drop, and why; explain
// prints it.
type CapabilityChoice struct {
	// Set is "setup" (SetupCapabilities), or "none".
	Set string `json:"set"`
	// Given are the capabilities added back.
	Given []string `json:"given"`
	// User is the user the process starts as, as far as sdocker knows, and From where that
	// came from: the argument as typed, "the image's USER", or "assumed".
	User string `json:"user"`
	From string `json:"from"`
	Why  string `json:"why"`
}

// isSetupCapability reports whether c (normalized) is in SetupCapabilities.
func isSetupCapability(c string) bool {
	for _, s := range SetupCapabilities {
		if s == c {
			return true
		}
	}
	return false
}

// rootUser reports whether a docker user spec (uid[:gid], name[:group]) runs the process as
// root. The group does not matter: uid 1000 in group 0 has no capabilities.
func rootUser(spec string) bool {
	u, _, _ := strings.Cut(strings.TrimSpace(spec), ":")
	if n, err := strconv.Atoi(u); err == nil {
		return n == 0 // "00" and "+0" are uid 0 too
	}
	return u == "" || u == "root"
}

// processUser returns the user the container's process starts as and where that was learnt:
// -u/--user, else the image's USER, else unknown (no daemon asked, or the image is not local).
func (d *decider) processUser() (user, from string, known bool) {
	if s := d.r.User; s != nil {
		if u, _, _ := strings.Cut(s.Value, ":"); u != "" {
			return s.Value, s.From, true
		}
	}
	if img := d.in.Facts.Image; img != nil {
		return img.User, "the image's USER", true
	}
	return "", "assumed", false
}

// setupCapabilities gives back, after the policy's --cap-drop=ALL, what a root process needs to
// set itself up, and records the choice.
func (d *decider) setupCapabilities() {
	drops := map[string]bool{}
	for _, s := range d.r.CapDrop {
		drops[NormalizeCapability(s.Value)] = true
	}
	adds := map[string]bool{}
	for _, s := range d.r.CapAdd {
		adds[NormalizeCapability(s.Value)] = true
	}
	user, from, known := d.processUser()
	ch := &CapabilityChoice{Set: "none", Given: []string{}, User: user, From: from}
	if user == "" {
		ch.User = "root"
	}
	d.capChoice = ch
	switch {
	case d.p.Runtime.Capabilities.Setup == SetupNone:
		ch.Why = "runtime.capabilities.setup is none (the guide's strict form): nothing is given back; --cap-add what the allow-list names"
		return
	case drops["ALL"]:
		ch.Why = "--cap-drop ALL was typed: nothing is given back but what --cap-add names"
		return
	case !rootUser(user):
		ch.Why = fmt.Sprintf("the process runs as %s (%s), not root: a non-root process keeps no capability, so none is given back", user, from)
		return
	}
	ch.Set = "setup"
	ch.Why = "the process starts as root (" + from + "): it gets the setup set back, to give its files to a service user and drop to it (chown, gosu/su, package managers)"
	if !known {
		ch.Why = "the process is assumed to start as root (the image's USER is not known: no daemon was asked, or the image is not pulled yet): it gets the setup set back"
	}
	for _, c := range SetupCapabilities {
		if drops[c] || adds[c] {
			continue
		}
		ch.Given = append(ch.Given, c)
		d.add(Addition{Field: FieldCapAdd, Rule: RuleCapabilities, Value: c, Grant: true,
			Reason: "setup set: a root process sets itself up (ownership, dropping to a service user)"})
	}
}
