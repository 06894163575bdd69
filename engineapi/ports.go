package engineapi

import (
	"slices"
	"strings"

	"github.com/moby/moby/api/types/container"

	"sdocker/defaults"
)

// Ports reads the published ports of a create body or an inspected container (PortBindings,
// each binding with the From that names its port), PublishAllPorts, and the container's own
// exposed ports, in a stable order.
func Ports(cfg *container.Config, hc *container.HostConfig) ([]defaults.Port, *defaults.Val[bool], []string) {
	var ports []defaults.Port
	for p, bs := range hc.PortBindings {
		k := p.String()
		for _, b := range bs {
			ip := ""
			if b.HostIP.IsValid() {
				ip = DaemonHostIP(b.HostIP.String()) // with a zone: every address, to dockerd
			}
			ports = append(ports, defaults.Port{ContainerPort: k, HostIP: ip, HostPort: b.HostPort, From: PortBindingsFrom(k)})
		}
	}
	// In the order of their ports; a port's bindings keep theirs.
	slices.SortStableFunc(ports, func(a, b defaults.Port) int { return strings.Compare(a.ContainerPort, b.ContainerPort) })
	var all *defaults.Val[bool]
	if hc.PublishAllPorts {
		all = &defaults.Val[bool]{Value: true, From: PublishAllFrom}
	}
	var exposed []string
	if cfg != nil {
		for p := range cfg.ExposedPorts {
			exposed = append(exposed, p.String())
		}
		slices.Sort(exposed)
	}
	return ports, all, exposed
}

// PublishAllFrom is the From of HostConfig.PublishAllPorts.
const PublishAllFrom = "HostConfig.PublishAllPorts=true"

// PortBindingsFrom is the From of the bindings of one container port.
func PortBindingsFrom(port string) string { return "HostConfig.PortBindings[" + port + "]" }
