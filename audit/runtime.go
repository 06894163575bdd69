package audit

import (
	"fmt"
	"net/netip"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/container"
)

// checkRuntime judges what CIS section 5 asks of a container beyond the runtime policy (the
// policy's rules are judged by the decision, in checkContainers): an SSH daemon inside, the
// ports it publishes, a writable root filesystem, its restart policy, ulimit overrides and a
// health check. Created and stopped containers are judged as well as running ones: they run
// the day someone starts them.
func checkRuntime(c Container, target string) []Finding {
	var out []Finding
	add := func(id string, sev Severity, evidence, fix string) {
		out = append(out, finding(id, sev, target, evidence, fix))
	}
	if ev, ok := sshDaemon(c); ok {
		add("CIS-5.7", Medium, ev, "remove the SSH daemon from the image and reach the container with docker exec; keep SSH on the host")
	}
	ports := publishedPorts(c.HostConfig, c.Config.exposedPorts())
	var all, privileged, wildcard []string
	for _, p := range ports {
		all = append(all, p.String())
		if p.all == nil && p.hostPort > 0 && p.hostPort < 1024 {
			privileged = append(privileged, p.String())
		}
		if p.all != nil || p.wildcard() {
			wildcard = append(wildcard, p.String())
		}
	}
	if len(privileged) > 0 {
		add("CIS-5.8", Low, "publishes privileged host ports (below 1024, the ports of system services): "+strings.Join(privileged, ", "),
			"recreate it publishing a host port of 1024 or more (-p 8080:80), with a proxy in front where port 80 or 443 must answer")
	}
	if len(all) > 0 {
		add("CIS-5.9", Info, "publishes ports: "+strings.Join(all, ", "),
			"check that each is needed; recreate it without the others (and without -P, which publishes every port the image exposes)")
	}
	if len(wildcard) > 0 {
		add("CIS-5.14", Medium, "accepts connections on every interface of the host, from every network it is on (docker's rules come before the host's firewall): "+strings.Join(wildcard, ", "),
			"recreate it publishing on one address: -p 127.0.0.1:8080:80 for the host only, or the address of the interface that should answer")
	}
	if !c.HostConfig.ReadonlyRootfs {
		add("CIS-5.13", Low, "its root filesystem is writable (HostConfig.ReadonlyRootfs=false): a compromised process can change the programs it runs",
			"recreate it with --read-only, and --tmpfs /tmp or volumes for the paths it writes (the policy does not add it: sdocker run keeps the image writable)")
	}
	if ev, ok := restartForever(c.HostConfig.RestartPolicy); ok {
		add("CIS-5.15", Low, ev, "recreate it (or docker update it) with --restart=on-failure:5")
	}
	if ev, sev, ok := ulimitOverrides(c.HostConfig.Ulimits); ok {
		add("CIS-5.19", sev, ev, "check that each override is needed; recreate it without the others (the daemon's default-ulimits apply then)")
	}
	if hc := c.Config.Healthcheck; hc == nil || len(hc.Test) == 0 || strings.EqualFold(hc.Test[0], "NONE") {
		ev := "has no health check (neither its image nor its configuration gives one): nobody learns that it stopped working"
		if hc != nil && len(hc.Test) > 0 {
			ev = "its health check is turned off (Healthcheck.Test=[NONE], --no-healthcheck)"
		}
		add("CIS-5.27", Info, ev, "recreate it with --health-cmd (or add HEALTHCHECK to its image)")
	}
	return out
}

// sshDaemons are the SSH servers found inside containers.
// OpenSSH 9.8 and later run each session as sshd-session (and 10.0 authentication as
// sshd-auth).
var sshDaemons = []string{"sshd", "sshd-session", "sshd-auth", "dropbear"}

// sshDaemon reports an SSH server among the container's processes (from the daemon's view of
// them, not by running anything inside), or as the command it starts.
func sshDaemon(c Container) (string, bool) {
	var procs []string
	for _, p := range c.Processes {
		if isSSHDaemon(p) {
			procs = append(procs, strconv.Quote(p))
		}
	}
	if len(procs) > 0 {
		return "runs an SSH daemon (processes " + strings.Join(procs, ", ") + ")", true
	}
	argv := append(append([]string(nil), c.Config.Entrypoint...), c.Config.Cmd...)
	if len(argv) > 0 && isSSHDaemon(strings.Join(argv, " ")) {
		return fmt.Sprintf("starts an SSH daemon (its command is %q)", strings.Join(argv, " ")), true
	}
	return "", false
}

// isSSHDaemon reads a command line: its program is an SSH daemon, also as OpenSSH renames its
// processes ("sshd: /usr/sbin/sshd -D [listener]", "sshd: alice@pts/0").
func isSSHDaemon(cmdline string) bool {
	f := strings.Fields(cmdline)
	if len(f) == 0 {
		return false
	}
	prog := strings.TrimSuffix(path.Base(f[0]), ":")
	return slices.Contains(sshDaemons, prog)
}

// publishedPort is one host port (or range of ports) a container publishes.
type publishedPort struct {
	hostIP   netip.Addr
	hostPort int    // the first port; 0: a port the daemon picks
	hostSpec string // the host port as the daemon holds it ("8080", "8000-8010")
	ctrPort  string
	all      []string // -P: the ports the image exposes
}

// wildcard: on every address, as dockerd reads the binding (an address with a zone is one its
// net.ParseIP cannot read, which publishes on every address; ::ffff:0.0.0.0 is 0.0.0.0).
func (p publishedPort) wildcard() bool {
	return !p.hostIP.IsValid() || p.hostIP.Unmap().IsUnspecified() || p.hostIP.Zone() != ""
}

func (p publishedPort) String() string {
	if p.all != nil {
		return "every port the image exposes (" + strings.Join(p.all, ", ") + "), on every interface, to ports the daemon picks (HostConfig.PublishAllPorts=true, -P)"
	}
	ip := "0.0.0.0"
	if p.hostIP.IsValid() {
		ip = p.hostIP.String()
		if p.hostIP.Is6() {
			ip = "[" + ip + "]"
		}
	}
	host := "a port the daemon picks"
	if p.hostSpec != "" && p.hostSpec != "0" {
		host = p.hostSpec
	}
	return fmt.Sprintf("%s:%s → %s", ip, host, p.ctrPort)
}

// publishedPorts lists the host ports a container publishes, as it was created (a created
// container publishes nothing yet, and publishes these when started), in port order.
func publishedPorts(hc HostConfig, exposed []string) []publishedPort {
	var out []publishedPort
	if hc.NetworkMode.IsHost() {
		return nil // no port mapping: its ports are the host's (CIS-5.10)
	}
	for port, bindings := range hc.PortBindings {
		for _, b := range bindings {
			// A range ("1-2000") publishes its first port and those above it.
			first, _, _ := strings.Cut(strings.TrimSpace(b.HostPort), "-")
			n, _ := strconv.Atoi(first)
			out = append(out, publishedPort{hostIP: b.HostIP, hostPort: n, hostSpec: strings.TrimSpace(b.HostPort), ctrPort: port.String()})
		}
	}
	slices.SortFunc(out, func(a, b publishedPort) int {
		if a.ctrPort != b.ctrPort {
			return strings.Compare(a.ctrPort, b.ctrPort)
		}
		if a.hostPort != b.hostPort {
			return a.hostPort - b.hostPort
		}
		return a.hostIP.Compare(b.hostIP)
	})
	if hc.PublishAllPorts && len(exposed) > 0 {
		out = append(out, publishedPort{all: exposed})
	}
	return out
}

// restartForever reports a restart policy without a bound: always, unless-stopped, and
// on-failure without a maximum or with one above 5.
func restartForever(p container.RestartPolicy) (string, bool) {
	switch {
	case p.IsAlways(), p.IsUnlessStopped():
		return fmt.Sprintf("restarts without end (HostConfig.RestartPolicy=%s): a container that fails keeps coming back, and a crash loop can deny service to the host", p.Name), true
	case p.IsOnFailure() && p.MaximumRetryCount == 0:
		return "restarts on failure without end (HostConfig.RestartPolicy=on-failure, no maximum)", true
	case p.IsOnFailure() && p.MaximumRetryCount > 5:
		return fmt.Sprintf("restarts on failure up to %d times (HostConfig.RestartPolicy=on-failure:%d), more than 5", p.MaximumRetryCount, p.MaximumRetryCount), true
	}
	return "", false
}

// ulimitOverrides lists a container's own ulimits; an unlimited one is Low, others Info.
func ulimitOverrides(us []*container.Ulimit) (string, Severity, bool) {
	var parts []string
	sev := Info
	for _, u := range us {
		if u == nil {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s=%s:%s", u.Name, limit(u.Soft), limit(u.Hard)))
		if u.Soft < 0 || u.Hard < 0 {
			sev = Low
		}
	}
	if len(parts) == 0 {
		return "", 0, false
	}
	ev := "overrides the daemon's default ulimits (HostConfig.Ulimits): " + strings.Join(parts, ", ")
	if sev == Low {
		ev += "; an unlimited one lets it exhaust what the host has"
	}
	return ev, sev, true
}

func limit(n int64) string {
	if n < 0 {
		return "unlimited"
	}
	return strconv.FormatInt(n, 10)
}

// exposedPorts are the ports the container's image (or its --expose) exposes, sorted.
func (c ContainerConfig) exposedPorts() []string {
	out := make([]string, 0, len(c.ExposedPorts))
	for p := range c.ExposedPorts {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}
