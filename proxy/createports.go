package proxy

import (
	"fmt"
	"strings"

	"sdocker/defaults"
	"sdocker/engineapi"
)

// applyPort publishes a port on the policy's address in a create body: the bindings of the
// port that name no address get the addition's, and a port publish-all would have published
// gets a binding of its own on that address, publish-all being turned off.
func applyPort(hc object, a defaults.Addition) error {
	if a.Port == nil {
		return fmt.Errorf("the policy publishes a port it does not describe")
	}
	pb, err := hc.child("PortBindings")
	if err != nil {
		return err
	}
	port := a.Port.ContainerPort
	// The body's own key for the port ("80" for 80/tcp), as the daemon will read it.
	for k := range pb {
		if engineapi.PortKey(k) == port {
			port = k
			break
		}
	}
	if a.Replaces == engineapi.PublishAllFrom {
		hc.set("PublishAllPorts", false)
		l, err := pb.list(port)
		if err != nil {
			return err
		}
		pb.set(port, append(l, map[string]any{"HostIp": a.Port.HostIP, "HostPort": a.Port.HostPort}))
		return nil
	}
	if a.Replaces != engineapi.PortBindingsFrom(a.Port.ContainerPort) {
		return fmt.Errorf("the policy rebinds %s, which the body does not publish", a.Replaces)
	}
	l, err := pb.list(port)
	if err != nil {
		return err
	}
	for _, v := range l {
		b, ok := v.(map[string]any)
		if !ok {
			continue
		}
		if ip, _ := object(b).get("HostIp").(string); engineapi.DaemonHostIP(ip) == "" {
			object(b).set("HostIp", a.Port.HostIP) // the daemon publishes this one on every address
		}
	}
	return nil
}

// applyMount gives a create body the mount an addition makes in place of the one it replaces:
// the policed socket in place of the daemon's, in a Binds entry or a Mounts entry.
func applyMount(hc object, a defaults.Addition) error {
	if a.Mount == nil {
		return fmt.Errorf("the policy adds a mount it does not describe")
	}
	binds, err := hc.list("Binds")
	if err != nil {
		return err
	}
	for i, v := range binds {
		if b, ok := v.(string); ok && "HostConfig.Binds="+b == a.Replaces {
			_, rest, _ := strings.Cut(b, ":")
			binds[i] = a.Mount.Source + ":" + rest
			return nil
		}
	}
	mounts, err := hc.list("Mounts")
	if err != nil {
		return err
	}
	for _, v := range mounts {
		m, ok := v.(map[string]any)
		if !ok {
			continue
		}
		src, _ := object(m).get("Source").(string)
		tgt, _ := object(m).get("Target").(string)
		if "HostConfig.Mounts: "+src+" on "+tgt == a.Replaces {
			object(m).set("Source", a.Mount.Source)
			return nil
		}
	}
	return fmt.Errorf("the policy replaces %s, which the body does not mount", a.Replaces)
}
