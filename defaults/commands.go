package defaults

import (
	"fmt"
	"strings"
)

// The kinds of request beyond create, exec and update: each creates a container or changes
// what one may do, so each is decided, with the rules that apply to it.
const (
	// KindStart is a start or restart of an existing container: the daemon makes its mounts
	// now, from the sources it stored at create, resolving them afresh.
	KindStart Kind = "start"
	// KindConnect attaches an existing container to a network.
	KindConnect Kind = "connect"
	// KindBuild is a build by the legacy builder: each RUN step is a container with the
	// build's network mode, security options and limits.
	KindBuild Kind = "build"
	// KindPlugin is a managed plugin: a root container with the host mounts, namespaces,
	// devices and capabilities its config asks for (install, upgrade, create, enable, set).
	KindPlugin Kind = "plugin"
	// KindService is a swarm service update: what it adds to a service's tasks.
	KindService Kind = "service"
	// KindBuildKit is a buildx command sdocker does not read into (bake, create, dial-stdio,
	// debug): their entitlements and builders are out of its sight.
	KindBuildKit Kind = "buildkit"
	// KindVolume is a volume created (docker volume create): its driver options can bind or
	// mount the daemon's host, and a container created later mounts it by name.
	KindVolume Kind = "volume"
	// KindNetwork is a network created (docker network create): its driver can put containers
	// on the host's own network segment, where every address of theirs is reachable from the
	// network, around the published ports' address.
	KindNetwork Kind = "network"
)

// RuleSwappableMounts refuses a host source someone other than root can replace (with a
// symbolic link, between sdocker's check and the daemon's mount) where no check can hold: at
// start and restart, and in a container with a restart policy.
const RuleSwappableMounts Rule = "swappable-mounts"

// RuleBuildKit refuses builds sdocker cannot see into (buildx, BuildKit).
const RuleBuildKit Rule = "buildkit"

// Builds is what the policy says of builds.
type Builds struct {
	// AllowBuildx lets buildx builds and builders through undecided: BuildKit's entitlements
	// (security.insecure, network.host) are then the builder's to refuse.
	AllowBuildx bool `yaml:"allow_buildx"`
}

// decideMore decides the kinds above; it reports false for a kind it does not know.
func (d *decider) decideMore() bool {
	switch d.r.Kind {
	case KindStart:
		d.mounts()
		d.swappable()
	case KindConnect:
		d.namespaces()
		d.connect()
		d.joinedNetworks()
	case KindBuild:
		d.insecureBuild()
		d.devices() // --allow device
		d.namespaces()
		d.securityOpts()
		d.runtimeRules() // --cgroup-parent: each RUN step's cgroup
		d.buildLimits()
	case KindPlugin:
		d.privileged()
		d.capabilities()
		d.namespaces()
		d.mounts()
		d.devices()
	case KindService:
		d.privileged()
		d.securityOpts()
		d.devices()
		d.capabilities()
		d.namespaces()
		d.network()
		d.mounts()
		d.resources()
	case KindVolume:
		d.mounts()
	case KindNetwork:
		d.networkCreate()
	case KindBuildKit:
		if !d.p.Runtime.Builds.AllowBuildx {
			d.refuse(RuleBuildKit, FieldImage, d.r.BuildKit, "build with docker build or docker buildx build, which sdocker decides, "+
				"or set runtime.builds.allow_buildx: true in the policy to leave BuildKit's entitlements to the builder",
				"bake reads its entitlements (security.insecure, network.host) from files sdocker does not read, buildx create starts a privileged builder container, and dial-stdio and debug reach a builder directly")
		}
	default:
		return false
	}
	return true
}

// connect refuses joining the default bridge, where every container reaches every other one.
func (d *decider) connect() {
	for _, s := range d.r.Networks {
		switch strings.ToLower(s.Value) {
		case "bridge", "default":
			if !d.p.Runtime.Network.AllowDefaultBridge {
				d.refuse(RuleNetwork, FieldNetworkMode, s.From, "connect it to a user-defined network (docker network create NAME), "+
					"or set runtime.network.allow_default_bridge: true in the policy", "the default bridge lets every container reach every other one (guide §8)")
			}
		}
	}
}

// swappable refuses, at start, every host source someone other than root can replace: the
// check below is made before docker asks the daemon to mount, and the daemon follows whatever
// the path names when it mounts, so a symbolic link put in its place in between wins.
func (d *decider) swappable() {
	for _, m := range d.r.Mounts {
		if m.Swappable == "" {
			continue
		}
		d.refuse(RuleSwappableMounts, FieldMounts, m.From, swapHint,
			"host source %s can be replaced between this check and the daemon's mount (%s): no check before the mount can hold", m.Source, m.Swappable)
	}
}

const swapHint = "bind a directory that only root can change (every directory on the way owned by root and writable by no one else), " +
	"use a named volume (docker cp copies files in), or " + "add a policy exception for this image with allow: [swappable-mounts], a reason and an expiry"

// restartPolicy refuses a restart policy beside a source someone other than root can replace:
// the daemon restarts the container on its own (after a crash, at its own start), with no
// client in the loop to check what it mounts.
func (d *decider) restartPolicy() {
	rp := d.r.RestartPolicy
	if !d.r.RestartsOnItsOwn() || d.r.Kind == KindStart {
		return
	}
	for _, m := range d.r.Mounts {
		if m.Swappable == "" {
			continue
		}
		d.refuse(RuleSwappableMounts, FieldMounts, m.From, "leave the restart policy out ("+rp.From+"), or "+swapHint,
			"with %s the daemon restarts the container with no client in the loop, and host source %s can be replaced meanwhile (%s)", rp.From, m.Source, m.Swappable)
	}
}

// insecureBuild refuses BuildKit's security.insecure entitlement (and any it does not know):
// RUN --security=insecure steps run privileged.
func (d *decider) insecureBuild() {
	if s := d.r.Privileged; s != nil && s.Value && d.p.Runtime.Deny.Privileged {
		d.refuse(RulePrivileged, FieldPrivileged, s.From, "leave it out (RUN --security=insecure steps then fail), or "+exceptionHint(RulePrivileged)+" (a build is matched by its first -t tag)",
			"the entitlement runs RUN steps privileged, with every capability and device of the host")
	}
}

// buildLimits holds a legacy build's RUN containers to the policy's maxima and gives them its
// limits where the build names none. The builder has no process limit to give.
func (d *decider) buildLimits() {
	res := d.p.Runtime.Resources
	hint := func(what string) string {
		return "ask for at most " + what + ", or leave it out to get the policy's limit"
	}
	if s := d.r.Memory; s != nil && s.Value > 0 && res.MaxMemory > 0 && s.Value > int64(res.MaxMemory) {
		d.refuse(RuleResources, FieldMemory, s.From, hint(res.MaxMemory.String()), "memory %s is above the policy's maximum of %s", quantity(s), res.MaxMemory)
	}
	if s := d.r.MemorySwap; s != nil && s.Value == -1 {
		d.refuse(RuleResources, FieldMemorySwap, s.From, "set {MemorySwap} to a size, or leave it out", "{MemorySwap} -1 means unlimited swap")
	}
	period := int64(100000)
	if s := d.r.CPUPeriod; s != nil && s.Value > 0 {
		period = s.Value
	}
	if s := d.r.CPUQuota; s != nil && s.Value > 0 && res.MaxCPUs > 0 && float64(s.Value)/float64(period) > res.MaxCPUs {
		d.refuse(RuleResources, FieldCPUQuota, s.From, hint(fmt.Sprintf("%g CPUs", res.MaxCPUs)), "%g CPUs is above the policy's maximum of %g", float64(s.Value)/float64(period), res.MaxCPUs)
	}
	if s := d.r.Memory; (s == nil || s.Value <= 0) && res.Memory > 0 {
		d.add(Addition{Field: FieldMemory, Rule: RuleResources, Int: int64(res.Memory), Reason: "memory limit of each RUN step (guide §10)"})
	}
	if s := d.r.CPUQuota; (s == nil || s.Value <= 0) && res.CPUs > 0 {
		d.add(Addition{Field: FieldCPUQuota, Rule: RuleResources, Int: int64(res.CPUs * float64(period)), Reason: "CPU limit of each RUN step (guide §10)"})
	}
	if res.Pids > 0 {
		d.note("resources: the legacy builder has no process limit for RUN steps; the daemon's default applies")
	}
}

// PluginPrivilege is one privilege a plugin asks for, as GET /plugins/privileges reports it
// and `docker plugin install` lists it (moby's computePrivileges): network (its type), host
// pid namespace, host ipc namespace, mount (a host path), device (a host path),
// allow-all-devices, capabilities.
type PluginPrivilege struct {
	Name  string
	Value []string
}

// PluginRequest describes what a plugin would get as the decision's request. from names where
// the privileges were read ("plugin r/p:1", "config.json of ./dir").
func PluginRequest(ref, from string, privs []PluginPrivilege) (Request, error) {
	r := Request{Kind: KindPlugin, Image: ref}
	at := func(what string) string { return fmt.Sprintf("%s (%s asks for %s)", from, ref, what) }
	for _, p := range privs {
		switch strings.ToLower(p.Name) {
		case "network":
			for _, v := range p.Value {
				r.Networks = append(r.Networks, Val[string]{Value: v, From: at("network " + v)})
			}
		case "host pid namespace":
			r.PID = &Val[string]{Value: "host", From: at("the host's PID namespace")}
		case "host ipc namespace":
			r.IPC = &Val[string]{Value: "host", From: at("the host's IPC namespace")}
		case "mount":
			for _, v := range p.Value {
				r.Mounts = append(r.Mounts, Mount{Type: "bind", Source: v, From: at("a mount of " + v)})
			}
		case "device":
			for _, v := range p.Value {
				r.Devices = append(r.Devices, Device{Field: FieldDevices, What: v, From: at("device " + v)})
			}
		case "allow-all-devices":
			r.Devices = append(r.Devices, Device{Field: FieldDevices, What: "all", From: at("every device of the host")})
		case "capabilities":
			for _, v := range p.Value {
				r.CapAdd = append(r.CapAdd, Val[string]{Value: v, From: at("capability " + v)})
			}
		default:
			// A privilege this reading does not know is one it cannot judge.
			return r, fmt.Errorf("%s asks for privilege %q (%s), which sdocker does not know how to judge", ref, p.Name, strings.Join(p.Value, ", "))
		}
	}
	return r, nil
}

// hostSegmentDrivers are the network drivers that give containers addresses on a host
// interface's own segment.
var hostSegmentDrivers = map[string]bool{"macvlan": true, "ipvlan": true, "host": true}

// networkCreate refuses a network that puts its containers on the host's own network: the
// macvlan and ipvlan drivers (an address on the segment of a host interface), and a bridge
// network on a bridge of the host's choosing (com.docker.network.bridge.name: an existing
// bridge, a LAN's among them, is used as it is). Its containers would be reachable from the
// network whatever address their ports are published on.
func (d *decider) networkCreate() {
	n := d.r.NetworkCreate
	if n == nil || !d.p.Runtime.Network.Isolate && d.p.Runtime.Network.PublishAddress == "" {
		return
	}
	hint := "use a bridge network docker makes (docker network create NAME), or " + exceptionHint(RuleNetwork)
	for _, why := range hostSegment(*n) {
		d.refuse(RuleNetwork, FieldNetworkMode, n.From, hint, "%s", why)
	}
}

// joinedNetworks refuses joining a network the daemon has on the host's own segment, as its
// creation is refused: the container is as reachable from the network whoever made it.
func (d *decider) joinedNetworks() {
	if !d.p.Runtime.Network.Isolate && d.p.Runtime.Network.PublishAddress == "" {
		return
	}
	hint := "join a bridge network docker makes (docker network create NAME), or " + exceptionHint(RuleNetwork)
	for _, n := range d.r.JoinedNetworks {
		for _, why := range hostSegment(n) {
			d.refuse(RuleNetwork, FieldNetworkMode, n.From, hint, "network %s: %s", n.Name, why)
		}
	}
}

// hostSegment says why a network puts its containers on the host's own network segment, if
// it does: its driver, or the host bridge it names.
func hostSegment(n NetworkSpec) []string {
	var out []string
	if drv := strings.ToLower(n.Driver); hostSegmentDrivers[drv] {
		out = append(out, fmt.Sprintf("the %s driver puts containers on the host's own network segment, where they are reachable from the network whatever address their ports are published on", drv))
	}
	for k, v := range n.Options {
		if strings.EqualFold(strings.TrimSpace(k), "com.docker.network.bridge.name") {
			out = append(out, fmt.Sprintf("%s=%s names the host bridge to use: an existing one (a LAN's bridge among them) is used as it is, and its containers are reachable from the network", k, v))
		}
	}
	return out
}
