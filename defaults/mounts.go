package defaults

import (
	"fmt"
	"path"
	"strings"
)

func (d *decider) mounts() {
	for _, m := range d.r.Mounts {
		switch {
		case m.Type == "api-socket":
			d.refuse(RuleMounts, FieldMounts, m.From, "talk to the daemon from outside the container, or "+exceptionHint(RuleMounts),
				"the Docker API socket inside a container is root on the host")
		case m.Type == "volume" && len(m.Options) > 0 && (m.Driver == "" || m.Driver == "local"):
			d.localVolume(m)
		case m.Type == "bind" && strings.HasPrefix(m.Source, "/"):
			if !d.dockerSocket(m) {
				d.hostPath(m, m.Source)
			}
		}
		switch m.Propagation {
		case "shared", "rshared":
			d.refuse(RuleMounts, FieldMountPropagation, m.From, "leave {Propagation} out (rprivate), use rslave, or "+exceptionHint(RuleMounts),
				"mount propagation %s lets mounts made inside the container appear on the host", m.Propagation)
		}
	}
	if d.in.Facts.Known {
		return
	}
	// What only a daemon knows: say so where no daemon was asked (explain).
	for _, s := range d.r.VolumesFrom {
		d.note("volumes: %s inherits another container's mounts, which are checked only against a daemon", s.From)
	}
	for _, m := range d.r.Mounts {
		if m.Type == "volume" && m.Source != "" && len(m.Options) == 0 {
			d.note("volumes: %s names volume %s, which is judged by what it was created as only against a daemon", m.From, m.Source)
		}
	}
	for _, n := range []*Val[string]{d.r.PID, d.r.IPC} {
		if n != nil && strings.HasPrefix(n.Value, "container:") {
			d.note("namespaces: %s shares another container's namespace, which is followed to the host's only against a daemon", n.From)
		}
	}
	for _, n := range d.r.Networks {
		if strings.HasPrefix(n.Value, "container:") {
			d.note("namespaces: %s shares another container's network, which is followed to the host's only against a daemon", n.From)
		} else if v := strings.ToLower(n.Value); v != "none" && v != "host" && v != "bridge" && v != "default" {
			d.note("network: %s is judged by name; whether it is the default bridge or the host's network by another name is known only against a daemon", n.From)
		}
	}
}

// localFilesystems are the filesystem types a local volume may mount: memory and network
// filesystems, which expose nothing of the daemon's host.
var localFilesystems = map[string]bool{"": true, "none": true, "tmpfs": true, "nfs": true, "nfs4": true, "cifs": true, "smb3": true}

// localVolume checks what the local volume driver would mount on the daemon's host: a bind of
// its device (checked like any bind), or a filesystem such as proc, devtmpfs or an overlay of
// host directories, which is the host by another name.
func (d *decider) localVolume(m Mount) {
	opts := m.Options
	dev := opts["device"]
	hint := "use a named volume without driver options, a tmpfs, or " + exceptionHint(RuleMounts)
	if isBindOpt(opts["o"]) {
		if !strings.HasPrefix(dev, "/") {
			d.refuse(RuleMounts, FieldMounts, m.From, hint, "a local volume binding %q binds a path the daemon resolves from its own working directory", dev)
			return
		}
		// mount(2) gets the device as written: the kernel resolves symlinks before "..".
		if m.Subpath != "" {
			dev += "/" + m.Subpath
		}
		d.hostPath(m, dev)
		return
	}
	if fs := strings.ToLower(opts["type"]); !localFilesystems[fs] {
		d.refuse(RuleMounts, FieldMounts, m.From, hint, "a local volume of type %s (device %q, options %q) mounts the daemon host's own filesystem into the container", fs, dev, opts["o"])
	}
}

func isBindOpt(o string) bool {
	for _, opt := range strings.Split(o, ",") {
		if opt == "bind" || opt == "rbind" {
			return true
		}
	}
	return false
}

// hostPath refuses a host path that is, holds or lies inside a denied one, before and after
// resolving its symlinks on the daemon's host.
func (d *decider) hostPath(m Mount, source string) {
	src := canonicalHostPath(source)
	resolved, raw := src, src
	if d.in.ResolvePath != nil {
		r, err := d.in.ResolvePath(src)
		if err == nil && strings.Contains(source, "..") {
			// The kernel resolves "a/link/.." through the link; a lexical clean does not.
			var k string
			if k, err = d.in.ResolvePath(source); err == nil {
				raw = canonicalHostPath(k)
			}
		}
		if err != nil {
			d.refuse(RuleMounts, FieldMounts, m.From, "bind a path sdocker can resolve, or "+exceptionHint(RuleMounts),
				"host path %s could not be resolved to check where it leads: %v", source, err)
			return
		}
		resolved = canonicalHostPath(r)
		if raw == src {
			raw = resolved
		}
	}
	denied := d.deniedMounts()
	// The names the kernel gives the source: as written, with its symlinks resolved, and where
	// it is a bind mount of a denied directory (or of /), the path under that one.
	names := []struct{ p, via string }{{src, ""}}
	if resolved != src {
		names = append(names, struct{ p, via string }{resolved, fmt.Sprintf(" (it resolves to %s)", resolved)})
	}
	if raw != resolved && raw != src {
		names = append(names, struct{ p, via string }{raw, fmt.Sprintf(" (the kernel resolves it to %s)", raw)})
	}
	for _, a := range d.aliases(resolved, denied) {
		names = append(names, struct{ p, via string }{a, fmt.Sprintf(" (it is the host's %s: the same directory, mounted there)", a)})
	}
	var submounts []string
	if d.in.Host.Submounts != nil {
		submounts, _ = d.in.Host.Submounts(resolved)
	}
	for _, sm := range submounts {
		for _, a := range d.aliases(sm, denied) {
			names = append(names, struct{ p, via string }{a, fmt.Sprintf(" (it holds %s, a mount of the host's %s, which docker binds with it)", sm, a)})
		}
	}
	// check refuses the first exposure found, of the path as given, else as resolved; each
	// exposure comes with the hint that works for it (binds.go).
	check := func(denied []string, expose func(p, denied string) (rel, hint string), suffix string) bool {
		for _, den := range denied {
			dp := canonicalHostPath(den)
			for _, n := range names {
				if rel, hint := expose(n.p, dp); rel != "" {
					d.refuse(RuleMounts, FieldMounts, m.From, hint+exceptionHint(RuleMounts), "host path %s%s %s%s", source, n.via, rel, suffix)
					return true
				}
			}
		}
		return false
	}
	deny := func(p, den string) (string, string) { return d.denyExposure(m, p, den) }
	// Homes: one check, of every name of the path ("" stands for every home).
	home := func(p, _ string) (string, string) { return d.homeExposure(p) }
	if check(denied, deny, "") || check([]string{""}, home, "") {
		return
	}
	if why := d.rootSocket(resolved); why != "" {
		d.refuse(RuleMounts, FieldMounts, m.From, "talk to that service another way, or "+exceptionHint(RuleMounts), "host path %s %s", source, why)
		return
	}
	if why := d.heldSocket(resolved, denied); why != "" {
		d.refuse(RuleMounts, FieldMounts, m.From, "talk to that service another way, or "+exceptionHint(RuleMounts), "host path %s %s", source, why)
		return
	}
	if why := d.hardLinked(resolved, denied); why != "" {
		d.refuse(RuleMounts, FieldMounts, m.From, "bind a copy of the file, or "+exceptionHint(RuleMounts), "host path %s %s", source, why)
		return
	}
	writable := func(p, den string) (string, string) {
		for _, w := range d.p.Runtime.Binds.Writable {
			if w = canonicalHostPath(w); p == w || strings.HasPrefix(p, w+"/") {
				return "", ""
			}
		}
		return exposure(p, den), "bind it read-only (" + readOnlyHint(m) + "), or "
	}
	if m.ReadOnly {
		if len(submounts) == 0 || d.in.Facts.RecursiveReadOnly {
			return
		}
		below := func(p, den string) (string, string) {
			return exposure(p, den), "bind the mount below it read-only too, or "
		}
		check(d.p.Runtime.Deny.WritableMounts, below, fmt.Sprintf(" (read-only, but what is mounted below it, such as %s, stays writable on this daemon)", submounts[0]))
		return
	}
	check(d.p.Runtime.Deny.WritableMounts, writable, " (writable: the container could change the host's programs or the state its root services act on)")
}

// canonicalHostPath cleans a host path and spells /var/run as /run (the same directory).
func canonicalHostPath(p string) string {
	p = path.Clean("/" + p)
	if p == "/var/run" || strings.HasPrefix(p, "/var/run/") {
		p = "/run" + strings.TrimPrefix(p, "/var/run")
	}
	return p
}

// exposure says how binding src exposes the denied path, or "" when it does not: src is the
// denied path, inside it, or one of its parents. "/" exposes everything but is inside nothing.
func exposure(src, denied string) string {
	switch {
	case src == "/":
		return "is the host's whole filesystem"
	case src == denied:
		return "is on the policy's deny list"
	case denied == "/":
		return ""
	case strings.HasPrefix(src, denied+"/"):
		return "is inside " + denied + ", which the policy denies"
	case strings.HasPrefix(denied, src+"/"):
		return "contains " + denied + ", which the policy denies"
	}
	return ""
}
