package engineapi

import (
	"encoding/json"
	"fmt"

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
