package engineapi

import (
	"encoding/json"
	"fmt"
	"net"
	"sort"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
)

// createBody is a create body as dockerd decodes it (moby's runconfig.ContainerConfigWrapper):
// the Config at the top level, the HostConfig under "HostConfig", and, from the API's first
// versions, HostConfig's fields at the top level too, which dockerd still honours (20.10 creates
// a privileged container from {"Image":…,"Privileged":true}).
type createBody struct {
	*container.Config
	InnerHostConfig *container.HostConfig `json:"HostConfig,omitempty"`
	Cpuset          string                `json:",omitempty"`
	*container.HostConfig
	NetworkingConfig *network.NetworkingConfig `json:"NetworkingConfig,omitempty"`
}

// DecodeCreate reads a POST /containers/create body as dockerd does: where the body has no
// "HostConfig", the HostConfig fields given at its top level are the container's; where it has
// one, that one, with the top level's Memory, MemorySwap, CpuShares and CpusetCpus where it
// leaves them unset.
func DecodeCreate(data []byte) (*container.Config, *container.HostConfig, *network.NetworkingConfig, error) {
	var w createBody
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, nil, nil, fmt.Errorf("decoding the create body: %w", err)
	}
	if err := onePortOneKey(data); err != nil {
		return nil, nil, nil, err
	}
	cfg := w.Config
	if cfg == nil {
		cfg = &container.Config{}
	}
	hc := w.HostConfig
	switch {
	case hc == nil:
		hc = w.InnerHostConfig
	case w.InnerHostConfig != nil:
		in := w.InnerHostConfig
		if hc.Memory != 0 && in.Memory == 0 {
			in.Memory = hc.Memory
		}
		if hc.MemorySwap != 0 && in.MemorySwap == 0 {
			in.MemorySwap = hc.MemorySwap
		}
		if hc.CPUShares != 0 && in.CPUShares == 0 {
			in.CPUShares = hc.CPUShares
		}
		if hc.CpusetCpus != "" && in.CpusetCpus == "" {
			in.CpusetCpus = hc.CpusetCpus
		}
		hc = in
	}
	return cfg, hc, w.NetworkingConfig, nil
}

// portKeys are the members of a create body keyed by port, as dockerd's decoder finds them
// (field names in any case).
type portKeys struct {
	ExposedPorts map[string]json.RawMessage
	PortBindings map[string]json.RawMessage
	HostConfig   *struct {
		PortBindings map[string]json.RawMessage
	}
}

// onePortOneKey refuses a body that names one port under two keys of ExposedPorts or
// PortBindings ("80" and "80/tcp", "080/tcp"): the API's types read them as one port, the
// last one winning, while dockerd 20.10 keeps each key as a port of its own and publishes
// both, so the bindings judged would not be the bindings published.
func onePortOneKey(data []byte) error {
	var k portKeys
	if err := json.Unmarshal(data, &k); err != nil {
		return fmt.Errorf("decoding the create body: %w", err)
	}
	maps := map[string]map[string]json.RawMessage{"ExposedPorts": k.ExposedPorts, "PortBindings": k.PortBindings}
	if k.HostConfig != nil {
		maps["HostConfig.PortBindings"] = k.HostConfig.PortBindings
	}
	for field, m := range maps {
		keys := make([]string, 0, len(m))
		for key := range m {
			keys = append(keys, key)
		}
		sort.Strings(keys)
		seen := map[string]string{}
		for _, key := range keys {
			p, err := network.ParsePort(key)
			if err != nil {
				return fmt.Errorf("decoding the create body: %s: %w", field, err)
			}
			if other, ok := seen[p.String()]; ok {
				return fmt.Errorf("decoding the create body: %s names port %s twice (as %q and %q), which the daemon publishes as two ports", field, p, other, key)
			}
			seen[p.String()] = key
		}
	}
	return nil
}

// PortKey is the port a key of ExposedPorts or PortBindings names, as the API's types read
// it ("80" is "80/tcp"), or "" for a key that names none.
func PortKey(key string) string {
	p, err := network.ParsePort(key)
	if err != nil {
		return ""
	}
	return p.String()
}

// DaemonHostIP is a binding's HostIp as dockerd reads it (net.ParseIP): "" where it names no
// address the daemon can parse (an address with a zone, "fe80::1%eth0", among them), which
// publishes the port on every address of the host.
func DaemonHostIP(ip string) string {
	a := net.ParseIP(ip)
	if a == nil {
		return ""
	}
	return ip
}
