package defaults

import (
	"bufio"
	"bytes"
	"fmt"
	"path"
	"strconv"
	"strings"
)

// Binds are the rules for host directories people bind every day: a project directory in a
// home binds; the home itself, and what a home keeps of its owner's credentials and start-up
// code, do not; a few host files that every container may read bind read-only.
type Binds struct {
	// HomeFiles are paths, relative to a home, that hold its owner's credentials or code that
	// runs as its owner (shell start-up files, autostart): refused in every home, bound
	// themselves, bound inside, or bound through a directory that contains one that exists.
	HomeFiles []string `yaml:"home_files"`
	// ReadOnly are host paths inside denied ones that may be bound read-only (time zone, CA
	// certificates, user names): refused writable.
	ReadOnly []string `yaml:"read_only"`
	// Writable are host paths inside writable_mounts that may be bound writable (/var/tmp).
	Writable ExtendList `yaml:"writable"`
}

// Home is a home directory on the daemon's host. Person homes (root's, /home/*, users with a
// UID of 1000 or more) cannot be bound whole: the container would get every credential and
// start-up file in them, and could write new ones (.ssh/authorized_keys, .bashrc).
type Home struct {
	Path   string
	Person bool
	Owner  string
}

// HomesFromPasswd reads the home directories of an /etc/passwd file. Homes of "/" and of
// paths that name no directory ("/nonexistent") are left out.
func HomesFromPasswd(data []byte) []Home {
	var out []Home
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Split(sc.Text(), ":")
		if len(f) < 7 || strings.HasPrefix(f[0], "#") {
			continue
		}
		dir := canonicalHostPath(f[5])
		if dir == "/" || dir == "/nonexistent" || !strings.HasPrefix(f[5], "/") {
			continue
		}
		uid, err := strconv.Atoi(f[2])
		person := err == nil && (uid == 0 || (uid >= 1000 && uid != 65534))
		out = append(out, Home{Path: dir, Person: person, Owner: f[0]})
	}
	return out
}

// homesOf returns the homes that a host path is, holds or lies in: /root, /home/NAME (for any
// NAME, in /etc/passwd or not), and the homes the Input knows of.
func (d *decider) homesOf(p string) []Home {
	homes := []Home{{Path: "/root", Person: true, Owner: "root"}}
	if rest, ok := strings.CutPrefix(p, "/home/"); ok {
		name, _, _ := strings.Cut(rest, "/")
		homes = append(homes, Home{Path: "/home/" + name, Person: true, Owner: name})
	}
	for _, h := range d.in.Homes {
		if h.Path != "/root" {
			homes = append(homes, h)
		}
	}
	return homes
}

// homeExposure says how binding host path p exposes a home or what it keeps, or "" when it
// does not; it refuses /home itself (every home under it) too.
func (d *decider) homeExposure(p string) (rel, hint string) {
	project := "bind the project directory inside it instead (e.g. " + path.Join(p, "src") + "), or "
	if p == "/home" {
		return "contains every home directory under /home", "bind a project directory inside a home (e.g. /home/NAME/src), or "
	}
	for _, h := range d.homesOf(p) {
		switch {
		case p == h.Path && h.Person:
			return fmt.Sprintf("is %s's home directory, with its credentials and start-up files", h.Owner), project
		case h.Person && strings.HasPrefix(h.Path, p+"/"):
			return fmt.Sprintf("contains %s, %s's home directory", h.Path, h.Owner), "bind a project directory inside a home (e.g. " + path.Join(h.Path, "src") + "), or "
		}
		for _, f := range d.p.Runtime.Binds.HomeFiles {
			file := path.Join(h.Path, f)
			switch {
			case p == file || strings.HasPrefix(p, file+"/"):
				where := "is"
				if p != file {
					where = "is inside"
				}
				return fmt.Sprintf("%s %s's %s, which holds credentials or code that runs as %s", where, h.Owner, f, h.Owner),
					"copy only what the container needs (one token, one key) to a file of its own, e.g. in the project directory, and bind that, or "
			case strings.HasPrefix(file, p+"/") && d.exists(file):
				return fmt.Sprintf("contains %s, %s's %s", file, h.Owner, f), "bind a directory that holds none of " + h.Path + "'s credentials, or "
			}
		}
	}
	return "", ""
}

// exists reports whether a host path exists; where the Input cannot tell, it assumes it does.
func (d *decider) exists(p string) bool {
	if d.in.Exists == nil {
		return true
	}
	return d.in.Exists(p)
}

// readOnlyAllowed reports whether p is, or lies inside, a path the policy lets be bound
// read-only although it lies in a denied one.
func (d *decider) readOnlyAllowed(p string) bool {
	for _, ro := range d.p.Runtime.Binds.ReadOnly {
		ro = canonicalHostPath(ro)
		if p == ro || strings.HasPrefix(p, ro+"/") {
			return true
		}
	}
	return false
}

// denyExposure is exposure() for the deny list, with the read-only files taken out: a
// read-only bind of /etc/localtime lies in /etc and is allowed; a writable one is refused with
// the hint to bind it read-only.
func (d *decider) denyExposure(m Mount, p, denied string) (rel, hint string) {
	rel = exposure(p, denied)
	if rel == "" {
		return "", ""
	}
	inside := p == denied || strings.HasPrefix(p, denied+"/")
	switch {
	case inside && d.readOnlyAllowed(p) && m.ReadOnly:
		return "", ""
	case inside && d.readOnlyAllowed(p):
		return rel + " (it may be bound read-only)", "bind it read-only (" + readOnlyHint(m) + "), or "
	case p == denied && p != "/":
		for _, ro := range d.p.Runtime.Binds.ReadOnly {
			if ro = canonicalHostPath(ro); strings.HasPrefix(ro, p+"/") {
				return rel, fmt.Sprintf("bind only what the container needs of it, read-only (e.g. -v %s:%s:ro), or ", ro, ro)
			}
		}
		return rel, ""
	case inside && p != "/":
		return rel, ""
	case p == "/":
		return rel, "bind only the directory the container needs, or "
	}
	return rel, "bind a directory that does not contain " + denied + ", or "
}

// readOnlyHint says how to make this mount read-only in the syntax the user typed it in.
func readOnlyHint(m Mount) string {
	switch {
	case strings.HasPrefix(m.From, "--mount"):
		return "add readonly to --mount"
	case strings.HasPrefix(m.From, "-v"), strings.HasPrefix(m.From, "--volume"):
		return "end -v with :ro"
	}
	return "{ReadOnly}"
}
