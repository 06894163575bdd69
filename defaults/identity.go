package defaults

import (
	"fmt"
	"path"
	"strings"
)

// FileID is a file as the kernel knows it: its device and inode (and how many names it has).
// Two paths with one FileID are one file, whatever their names: a hard link, or a directory
// bound elsewhere with mount --bind.
type FileID struct {
	Dev, Ino, Nlink uint64
	Regular         bool
	// Socket: a unix socket; Uid its owner.
	Socket bool
	Uid    uint32
}

// HostFS is what the decision may ask of the daemon's host about host paths. Each function may
// be nil (a remote daemon, explain): the check it serves is then not made.
type HostFS struct {
	// Identify stats a path (following symlinks).
	Identify func(path string) (FileID, error)
	// Submounts lists the mount points strictly below a path: docker binds recursively, so
	// what is mounted below the source comes along.
	Submounts func(path string) ([]string, error)
	// Sockets lists the unix sockets at or below a directory (docker binds it recursively, and
	// a socket in it connects through a read-only bind as well).
	Sockets func(dir string) ([]string, error)
	// Listening lists the unix sockets at or below a directory that a process of the host
	// listens on (as the kernel's table names them, /proc/net/unix): cheap to ask of any
	// directory, where Sockets walks it.
	Listening func(dir string) ([]string, error)
}

// deniedMounts are the policy's denied host paths and the daemon's own: its data root and the
// socket sdocker talks to, wherever they are, and the policed socket for images that may not
// have it.
func (d *decider) deniedMounts() []string {
	out := append([]string{}, d.p.Runtime.Deny.Mounts...)
	if r := d.in.Facts.DataRoot; r != "" {
		out = append(out, r)
	}
	if ps := d.in.Facts.PolicedSocket; ps != "" {
		// The policed socket, and the directories that hold it, for the images that may not
		// have one (the ones that may get it by its own bind, in dockerSocket).
		if !d.p.Runtime.DockerSocket.MayHaveDockerSocket(d.r.Image, d.imageFacts()) {
			out = append(out, ps)
		}
	}
	return append(out, d.in.Facts.DaemonSockets...)
}

// aliases returns the names the kernel also gives a resolved host path: where the path, or a
// directory above it, is the same directory as a denied one (or as /), the path below that
// one. A bind mount of /etc at /mnt/e makes /mnt/e/ssh the host's /etc/ssh.
func (d *decider) aliases(resolved string, denied []string) []string {
	id := d.in.Host.Identify
	if id == nil {
		return nil
	}
	anchors := map[FileID]string{}
	for _, den := range append([]string{"/"}, denied...) {
		dp := canonicalHostPath(den)
		if f, err := id(dp); err == nil {
			f.Nlink, f.Regular, f.Socket, f.Uid = 0, false, false, 0
			if _, ok := anchors[f]; !ok {
				anchors[f] = dp
			}
		}
	}
	var out []string
	for p := resolved; p != "/"; p = path.Dir(p) {
		f, err := id(p)
		if err != nil {
			continue
		}
		f.Nlink, f.Regular, f.Socket, f.Uid = 0, false, false, 0
		if a, ok := anchors[f]; ok && a != p {
			out = append(out, path.Join(a, strings.TrimPrefix(resolved, p)))
		}
	}
	return out
}

// rootSocket says why a bind source is a unix socket that serves root, or "": a container that
// can connect to it talks to whatever listens (a read-only bind still connects).
func (d *decider) rootSocket(resolved string) string {
	if d.in.Host.Identify == nil {
		return ""
	}
	if f, err := d.in.Host.Identify(resolved); err == nil && f.Socket && f.Uid == 0 {
		return "is a unix socket owned by root: a container that can connect to it talks to what serves it as root (a read-only bind still connects)"
	}
	return ""
}

// hardLinked says why a bind source that is a file with several names may be a denied file by
// another name, or "": a hard link shares its inode with a file the deny list covers, and only
// a file on the same filesystem as a denied path can be one.
func (d *decider) hardLinked(resolved string, denied []string) string {
	id := d.in.Host.Identify
	if id == nil {
		return ""
	}
	f, err := id(resolved)
	if err != nil || !f.Regular || f.Nlink < 2 {
		return ""
	}
	for _, den := range denied {
		if g, err := id(canonicalHostPath(den)); err == nil && g.Dev == f.Dev && den != "/" {
			return fmt.Sprintf("is a file with %d names (hard links) on the filesystem of %s, so it may be a file there by another name", f.Nlink, den)
		}
	}
	return ""
}

// heldSocket says why a directory bind holds a unix socket root serves, or "": another name of
// the daemon's socket (a hard link, which only the socket's own filesystem can hold), or any
// root-owned socket, which a container connects to through a read-only bind as well (LXD's
// under /var/snap, a kubelet's under /var/lib). Sockets a host process listens on are looked
// for below any directory; the directory itself is looked through where it is under /run (the
// user runtime directories, which bind read-only) or where a denied socket has more than one
// name on the directory's filesystem.
func (d *decider) heldSocket(resolved string, denied []string) string {
	id := d.in.Host.Identify
	if id == nil {
		return ""
	}
	f, err := id(resolved)
	if err != nil || f.Socket || f.Regular {
		return ""
	}
	sockets := map[FileID]string{}
	linked := false
	for _, den := range append([]string{"/run/docker.sock"}, denied...) {
		dp := canonicalHostPath(den)
		g, err := id(dp)
		if err != nil || !g.Socket {
			continue
		}
		linked = linked || g.Nlink > 1 && g.Dev == f.Dev
		g.Nlink, g.Uid = 0, 0
		sockets[g] = dp
	}
	var held []string
	if list := d.in.Host.Listening; list != nil {
		l, err := list(resolved)
		if err != nil {
			return fmt.Sprintf("could not be checked for the unix sockets listening below it: %v", err)
		}
		held = append(held, l...)
	}
	if list := d.in.Host.Sockets; list != nil && (linked || strings.HasPrefix(resolved, "/run/")) {
		l, err := list(resolved)
		if err != nil {
			return fmt.Sprintf("could not be looked through for the unix sockets it holds: %v", err)
		}
		held = append(held, l...)
	}
	for _, p := range held {
		g, err := id(p)
		if err != nil || !g.Socket {
			continue
		}
		uid := g.Uid
		g.Nlink, g.Uid = 0, 0
		if s, ok := sockets[g]; ok {
			return fmt.Sprintf("holds %s, another name of %s (a hard link): a container that can connect to it talks to the daemon (a read-only bind still connects)", p, s)
		}
		if uid == 0 {
			return fmt.Sprintf("holds %s, a unix socket owned by root: a container that can connect to it talks to what serves it as root (a read-only bind still connects)", p)
		}
	}
	return ""
}
