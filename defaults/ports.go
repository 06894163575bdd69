package defaults

import (
	"slices"
	"strings"
)

// ports binds each port published without a host address to the policy's address
// (runtime.network.publish_address), and publish-all to the same address port by port: a
// service with a well-known password is then reachable from this host only. A port published
// on an explicit address keeps it.
func (d *decider) ports() {
	addr := d.p.Runtime.Network.PublishAddress
	if addr == "" {
		return
	}
	hint := "publish it on an address ({PortBindings} " + addr + ":…), or on every address explicitly (0.0.0.0:…), or set runtime.network.publish_address: \"\""
	bound := map[string]bool{}
	seen := map[string]bool{}
	for _, p := range d.r.Ports {
		bound[portKey(p.ContainerPort)] = true
		if p.HostIP != "" {
			continue
		}
		if d.in.Require {
			if !seen[p.From] {
				d.refuse(RulePorts, FieldPortBindings, p.From, hint, "port %s is published on every address of the host, not on %s", p.ContainerPort, addr)
			}
			seen[p.From] = true
			continue
		}
		if d.creates() {
			pb := p
			pb.HostIP = addr
			d.add(Addition{Field: FieldPortBindings, Rule: RulePorts, Value: addr, Port: &pb, Replaces: p.From,
				Reason: "published on " + addr + " (runtime.network.publish_address), not on every address of the host"})
		}
	}
	pa := d.r.PublishAll
	if pa == nil || !pa.Value {
		return
	}
	if d.in.Require {
		d.refuse(RulePorts, FieldPublishAllPorts, pa.From, "publish each port on an address instead ("+addr+"::PORT)",
			"{PublishAllPorts} publishes every exposed port on every address of the host, not on %s", addr)
		return
	}
	exposed := slices.Clone(d.r.ExposedPorts)
	switch {
	case d.in.Facts.Image != nil:
		exposed = append(exposed, d.in.Facts.Image.ExposedPorts...)
	case d.in.Facts.Known:
		d.refuse(RulePorts, FieldPublishAllPorts, pa.From, "pull the image first, or publish each port on an address ("+addr+"::PORT)",
			"{PublishAllPorts} publishes the image's exposed ports on every address of the host, and the daemon does not have the image to say which they are")
		return
	default:
		d.note("ports: %s publishes the image's exposed ports; against a daemon each is published on %s instead", pa.From, addr)
		return
	}
	seenPort := map[string]bool{}
	var ports []string
	for _, p := range exposed {
		if k := portKey(p); !bound[k] && !seenPort[k] {
			seenPort[k] = true
			ports = append(ports, k)
		}
	}
	slices.Sort(ports)
	if !d.creates() {
		return
	}
	for _, p := range ports {
		d.add(Addition{Field: FieldPortBindings, Rule: RulePorts, Value: addr, Port: &Port{ContainerPort: p, HostIP: addr, From: pa.From},
			Replaces: pa.From, Reason: "an exposed port published on " + addr + " (runtime.network.publish_address) in place of publish-all on every address"})
	}
	if len(ports) == 0 {
		// Nothing to publish: publish-all is dropped all the same, so no port appears later.
		d.change.Remove = append(d.change.Remove, pa.From)
	}
}

// portKey is a container port with its protocol ("80" is "80/tcp").
func portKey(p string) string {
	p = strings.ToLower(p)
	if !strings.Contains(p, "/") {
		p += "/tcp"
	}
	return p
}
