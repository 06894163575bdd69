package defaults

import (
	"slices"
	"testing"
)

// Every preset is a valid policy, and each CI one gives job containers the policed socket,
// binds published ports to loopback and sizes resources for whole jobs.
func TestPresetsAreValidPolicies(t *testing.T) {
	for _, name := range PresetNames {
		t.Run(name, func(t *testing.T) {
			b, err := Preset(name)
			if err != nil {
				t.Fatal(err)
			}
			p, err := Parse(b, "preset "+name)
			if err != nil {
				t.Fatal(err)
			}
			if name == "developer" {
				return
			}
			rt := p.Runtime
			if !slices.Contains(rt.DockerSocket.Images, "**") || rt.DockerSocket.Policed == "" {
				t.Errorf("docker_socket %+v: want a policed socket for every image", rt.DockerSocket)
			}
			if rt.Network.PublishAddress != "127.0.0.1" {
				t.Errorf("publish_address %q", rt.Network.PublishAddress)
			}
			if rt.Resources.Memory < 4<<30 || !rt.Deny.Privileged || !rt.Deny.HostNamespaces {
				t.Errorf("resources %+v deny %+v", rt.Resources, rt.Deny)
			}
			// The default's denials stay: the lists extend them.
			if !slices.Contains(rt.Deny.Mounts, "/var/run/docker.sock") || !slices.Contains(rt.Binds.Writable, "/var/tmp") {
				t.Errorf("deny.mounts %v binds.writable %v", rt.Deny.Mounts, rt.Binds.Writable)
			}
		})
	}
	if _, err := Preset("nope"); err == nil {
		t.Error("an unknown preset was found")
	}
}
