package proxy

import (
	"fmt"
	"slices"

	"sdocker/defaults"
)

// factsOf is what is known of an image, nothing where the daemon does not have it.
func factsOf(image *defaults.ImageFacts) defaults.ImageFacts {
	if image == nil {
		return defaults.ImageFacts{}
	}
	return *image
}

// defaultBridge gives a create that names the default bridge ("bridge", in HostConfig's
// NetworkMode or as its only endpoint) the policy's network, as one that names none, where the
// policy keeps containers off the default bridge, the create binds the daemon's socket and its
// image is one the policy gives a policed socket (runtime.docker_socket.images): a tool that
// drives the daemon and names "bridge" as the daemon's default network, which its users cannot
// change. Testcontainers puts its reaper there, asking for the network only to publish its port.
// The container gets less than it asked for (an isolated user-defined network instead of one
// every container shares), never more, and the decision's notes say so. Every other create that
// names the bridge is refused as the CLI door refuses --network bridge, with the way to leave it
// out; so is a body that names the bridge beside another network, or among HostConfig's fields
// at the top level.
func (s *Server) defaultBridge(b []byte, req defaults.Request, image *defaults.ImageFacts) ([]byte, string, error) {
	net := s.opt.Policy.Runtime.Network
	if net.AllowDefaultBridge || net.Default == "" || len(req.Networks) == 0 || len(s.opt.Policy.Runtime.DockerSocket.Images) == 0 {
		return b, "", nil
	}
	for _, n := range req.Networks {
		if n.Value != "bridge" {
			return b, "", nil
		}
	}
	if !slices.ContainsFunc(req.Mounts, func(m defaults.Mount) bool { return m.Type == "bind" && s.isDaemonSocket(m.Source) }) {
		return b, "", nil
	}
	if !s.opt.Policy.Runtime.DockerSocket.MayHaveDockerSocket(req.Image, factsOf(image)) {
		return b, "", nil
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
	note := fmt.Sprintf("network: %s named the default bridge; the policy's network %q was given instead (it binds the docker socket, its image gets a policed one, and runtime.network.allow_default_bridge is off)",
		req.Networks[0].From, net.Default)
	return out, note, nil
}
