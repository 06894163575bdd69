package wrapper

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// Swappable walks a host path as the kernel does when the daemon mounts it (component by
// component from /, following symbolic links) and says who other than root could replace a
// component on the way: the owner of a directory that is not root's, or the group or everyone
// where a directory is writable by them (a sticky directory protects only entries root owns).
// Such a component can be swapped for a symbolic link between a check and the mount. It
// returns "" when only root can change what the path names, and an error when the path cannot
// be walked (which the caller treats as swappable: fail closed).
func Swappable(p string) (string, error) {
	return swappable(filepath.Clean("/"+p), 0, writers)
}

// SwappableByOthers is Swappable for someone other than root and the user running sdocker: a
// user who swaps their own directories for links gains nothing they could not have with docker
// itself, but another user who can swap one attacks them.
func SwappableByOthers(p string) (string, error) {
	return SwappableByOthersThan(uint32(os.Geteuid()))(p)
}

// SwappableByOthersThan is Swappable for someone other than root and the given user: the
// API door's client, whose uid the kernel reports for its connection.
func SwappableByOthersThan(uid uint32) func(string) (string, error) {
	return func(p string) (string, error) {
		return swappable(filepath.Clean("/"+p), 0, func(path string, dir, entry os.FileInfo, missing bool) string {
			return writersOtherThan(uid, path, dir, entry, missing)
		})
	}
}

// writersOtherThan names who other than root and user me can rename or replace entry in dir.
func writersOtherThan(me uint32, path string, dir, entry os.FileInfo, missing bool) string {
	st, ok := dir.Sys().(*syscall.Stat_t)
	if !ok {
		return path + " cannot be examined"
	}
	if st.Uid != 0 && st.Uid != me {
		return fmt.Sprintf("%s is owned by uid %d", path, st.Uid)
	}
	mode := dir.Mode()
	if mode&os.ModeSticky != 0 && !missing {
		if es, ok := entry.Sys().(*syscall.Stat_t); ok && (es.Uid == 0 || es.Uid == me) {
			return "" // a sticky directory: only the entry's owner (or root) may replace it
		}
	}
	switch {
	case mode.Perm()&0o002 != 0:
		return path + " is writable by everyone"
	case mode.Perm()&0o020 != 0 && st.Gid != 0:
		return fmt.Sprintf("%s is writable by group %d", path, st.Gid)
	}
	return ""
}

func swappable(p string, links int, writers func(string, os.FileInfo, os.FileInfo, bool) string) (string, error) {
	cur := "/"
	rest := strings.Split(strings.TrimPrefix(p, "/"), "/")
	for len(rest) > 0 {
		c := rest[0]
		rest = rest[1:]
		if c == "" || c == "." {
			continue
		}
		if c == ".." {
			cur = filepath.Dir(cur)
			continue
		}
		dir, err := os.Lstat(cur)
		if err != nil {
			return "", fmt.Errorf("walking %s: %w", p, err)
		}
		next := filepath.Join(cur, c)
		entry, err := os.Lstat(next)
		missing := errors.Is(err, os.ErrNotExist)
		if err != nil && !missing {
			return "", fmt.Errorf("walking %s: %w", p, err)
		}
		if who := writers(cur, dir, entry, missing); who != "" {
			return fmt.Sprintf("%s, so %s can be replaced", who, next), nil
		}
		if missing {
			// The daemon creates the rest as root, in a directory only root can change.
			return "", nil
		}
		if entry.Mode()&os.ModeSymlink != 0 {
			if links++; links > 40 {
				return "", fmt.Errorf("walking %s: too many symbolic links", p)
			}
			target, err := os.Readlink(next)
			if err != nil {
				return "", fmt.Errorf("walking %s: %w", p, err)
			}
			if !filepath.IsAbs(target) {
				target = filepath.Join(cur, target)
			}
			rest = append(strings.Split(strings.TrimPrefix(filepath.Clean(target), "/"), "/"), rest...)
			cur = "/"
			continue
		}
		cur = next
	}
	return "", nil
}

// writers names who other than root can rename or replace entry (missing: create it) in dir.
func writers(path string, dir, entry os.FileInfo, missing bool) string {
	st, ok := dir.Sys().(*syscall.Stat_t)
	if !ok {
		return path + " cannot be examined"
	}
	if st.Uid != 0 {
		return fmt.Sprintf("%s is owned by uid %d", path, st.Uid)
	}
	// An ACL (or any grant the mode bits do not show) that lets this user write: the kernel's
	// own answer. Root may write everywhere; root is not the one who could swap it.
	if os.Geteuid() != 0 && syscall.Access(path, 2 /* W_OK */) == nil {
		return fmt.Sprintf("%s is writable by uid %d (the user running sdocker)", path, os.Geteuid())
	}
	mode := dir.Mode()
	protected := false
	if mode&os.ModeSticky != 0 && !missing {
		if es, ok := entry.Sys().(*syscall.Stat_t); ok && es.Uid == 0 {
			protected = true
		}
	}
	switch {
	case protected:
		return ""
	case mode.Perm()&0o002 != 0:
		return path + " is writable by everyone"
	case mode.Perm()&0o020 != 0 && st.Gid != 0:
		return fmt.Sprintf("%s is writable by group %d", path, st.Gid)
	}
	return ""
}
