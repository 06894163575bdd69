package engineapi

import (
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"

	"sdocker/defaults"
)

// Mounts lists the binds and volumes a HostConfig asks for: HostConfig.Binds (SRC:DST[:OPTS],
// a source that is not an absolute path being a volume's name) and HostConfig.Mounts.
func Mounts(hc *container.HostConfig) []defaults.Mount {
	var out []defaults.Mount
	for _, b := range hc.Binds {
		parts := strings.SplitN(b, ":", 3)
		if len(parts) < 2 || parts[0] == "" {
			continue
		}
		m := defaults.Mount{Type: "volume", Source: parts[0], Target: parts[1], From: "HostConfig.Binds=" + b}
		if strings.HasPrefix(parts[0], "/") {
			m.Type = "bind"
		}
		if len(parts) == 3 {
			for _, opt := range strings.Split(parts[2], ",") {
				switch opt {
				case "ro":
					m.ReadOnly = true
				case "shared", "rshared", "slave", "rslave", "private", "rprivate":
					m.Propagation = opt
				}
			}
		}
		out = append(out, m)
	}
	for _, hm := range hc.Mounts {
		m := defaults.Mount{Type: string(hm.Type), Source: hm.Source, Target: hm.Target, ReadOnly: hm.ReadOnly}
		switch hm.Type {
		case mount.TypeBind:
			m.From = "HostConfig.Mounts: " + hm.Source + " on " + hm.Target
			if hm.BindOptions != nil {
				m.Propagation = string(hm.BindOptions.Propagation)
			}
		case mount.TypeVolume:
			m.From = "HostConfig.Mounts: volume " + hm.Source + " on " + hm.Target
			if vo := hm.VolumeOptions; vo != nil {
				m.Subpath = vo.Subpath
				if vo.DriverConfig != nil {
					m.Driver, m.Options = vo.DriverConfig.Name, vo.DriverConfig.Options
				}
			}
		default:
			continue // tmpfs, npipe, cluster, image: nothing of the host
		}
		out = append(out, m)
	}
	return out
}
