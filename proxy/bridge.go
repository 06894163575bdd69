package proxy

import (
	"fmt"

	"sdocker/defaults"
)

// defaultBridge gives a create that names the default bridge ("bridge", in HostConfig's
// NetworkMode or as its only endpoint) the policy's network, as one that names none, where the
// policy keeps containers off the default bridge. The API's clients name "bridge" as the
// daemon's default network mode, where the docker CLI sends "default": Testcontainers puts its
// reaper there (it asks for the network only to publish its port), and the GitLab runner,
// Woodpecker and Drone leave it out. The container gets less than it asked for (an isolated
// user-defined network instead of one every container shares), never more; the decision's
// notes say so. A body that names the bridge beside another network, or the bridge among its
// HostConfig fields at the top level, is left to the decision as it is.
func (s *Server) defaultBridge(b []byte, req defaults.Request) ([]byte, string, error) {
	net := s.opt.Policy.Runtime.Network
	if net.AllowDefaultBridge || net.Default == "" || len(req.Networks) == 0 {
		return b, "", nil
	}
	for _, n := range req.Networks {
		if n.Value != "bridge" {
			return b, "", nil
		}
	}
	body, err := decodeObject(b)
	if err != nil {
		return nil, "", err
	}
	hc, ok := body.get("HostConfig").(map[string]any)
	if !ok {
		return b, "", nil
	}
	if object(hc).get("NetworkMode") == "bridge" {
		object(hc).set("NetworkMode", "default")
	}
	if nc, ok := body.get("NetworkingConfig").(map[string]any); ok {
		if eps, ok := object(nc).get("EndpointsConfig").(map[string]any); ok {
			delete(eps, "bridge")
		}
	}
	out, err := encodeObject(body)
	if err != nil {
		return nil, "", err
	}
	note := fmt.Sprintf("network: %s named the default bridge; the policy's network %q was given instead (runtime.network.allow_default_bridge is off)",
		req.Networks[0].From, net.Default)
	return out, note, nil
}
