package defaults

import (
	"path"
	"strings"
)

// dockerSocket decides a bind of a Docker API socket for the images runtime.docker_socket
// names: the door's policed socket passes (what the container asks through it is decided in
// turn), and the daemon's own is replaced by the policed one. It reports whether it decided
// the mount; every other bind, and these for any other image, are left to the mount rules,
// which refuse them.
func (d *decider) dockerSocket(m Mount) bool {
	ds := d.p.Runtime.DockerSocket
	if m.Type != "bind" || len(ds.Images) == 0 {
		return false
	}
	src := canonicalHostPath(m.Source)
	resolved := src
	if d.in.ResolvePath != nil {
		r, err := d.in.ResolvePath(src)
		if err != nil {
			return false // the mount rules say it could not be resolved
		}
		resolved = canonicalHostPath(r)
	}
	policed := d.in.Facts.PolicedSocket
	isPoliced := policed != "" && (src == canonicalHostPath(policed) || resolved == canonicalHostPath(policed)) &&
		d.sameFile(resolved, policed)
	if !isPoliced && !d.isDaemonSocket(src, resolved) {
		return false
	}
	facts := d.imageFacts()
	if !ds.MayHaveDockerSocket(d.r.Image, facts) {
		return false
	}
	d.pinSocketImage(facts)
	if isPoliced {
		d.note("docker socket: %s is the policed socket: what the container asks through it is decided by the policy", m.From)
		return true
	}
	switch {
	case d.in.Require, m.Inherited:
		return false // the daemon's own socket, as the container holds it: refused
	case ds.Policed == "" && policed == "":
		return false
	case policed == "":
		d.refuse(RuleDockerSocket, FieldMounts, m.From,
			"start the proxy that serves it (systemctl start sdocker-proxy: sdocker proxy makes it from runtime.docker_socket.policed), or leave the socket out",
			"the image may have a policed Docker socket in place of the daemon's (runtime.docker_socket), but %s is not being served", ds.Policed)
		return true
	}
	if d.creates() {
		mt := Mount{Type: "bind", Source: policed, Target: m.Target, ReadOnly: m.ReadOnly, From: m.From}
		d.add(Addition{Field: FieldMounts, Rule: RuleDockerSocket, Value: policed, Mount: &mt, Replaces: m.From,
			Reason: "the policed socket in place of the daemon's: what the container asks the daemon is decided by the policy (runtime.docker_socket)"})
		d.note("docker socket: %s gets the policed socket %s in place of the daemon's", m.From, policed)
	}
	return true
}

// imageFacts is what the daemon said of the request's image, nothing where it does not have it.
func (d *decider) imageFacts() ImageFacts {
	if d.in.Facts.Image == nil {
		return ImageFacts{}
	}
	return *d.in.Facts.Image
}

// pinSocketImage binds the decision to the image's ID where a docker_socket pattern names the
// image by digest: the container is created from the image that was matched.
func (d *decider) pinSocketImage(facts ImageFacts) {
	for _, p := range d.p.Runtime.DockerSocket.Images {
		if strings.Contains(p, "@") && facts.ID != "" && d.creates() {
			d.change.Image = facts.ID
		}
	}
}

// isDaemonSocket reports whether a bind source is the daemon's socket: docker's default path
// (in both spellings), a socket the daemon is reached by, or another name of one of them.
func (d *decider) isDaemonSocket(src, resolved string) bool {
	sockets := append([]string{"/run/docker.sock"}, d.in.Facts.DaemonSockets...)
	for _, s := range sockets {
		s = canonicalHostPath(s)
		if src == s || resolved == s {
			return true
		}
	}
	id := d.in.Host.Identify
	if id == nil {
		return false
	}
	f, err := id(resolved)
	if err != nil || !f.Socket {
		return false
	}
	for _, s := range sockets {
		if g, err := id(canonicalHostPath(s)); err == nil && g.Dev == f.Dev && g.Ino == f.Ino {
			return true
		}
	}
	return false
}

// sameFile reports whether a resolved path is the file p names, where the host can be asked.
func (d *decider) sameFile(resolved, p string) bool {
	id := d.in.Host.Identify
	if id == nil {
		return true
	}
	f, err1 := id(resolved)
	g, err2 := id(path.Clean(p))
	return err1 == nil && err2 == nil && f.Dev == g.Dev && f.Ino == g.Ino
}
