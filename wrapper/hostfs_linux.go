package wrapper

import (
	"bufio"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"sdocker/defaults"
)

// LocalHostFS answers the decision's questions about host paths on this host, for a daemon
// that shares it (and its mount namespace).
func LocalHostFS() defaults.HostFS {
	return defaults.HostFS{Identify: identify, Submounts: submounts, Sockets: sockets, Listening: listening}
}

func identify(p string) (defaults.FileID, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(p, &st); err != nil {
		return defaults.FileID{}, err
	}
	return defaults.FileID{Dev: uint64(st.Dev), Ino: st.Ino, Nlink: uint64(st.Nlink), Regular: st.Mode&syscall.S_IFMT == syscall.S_IFREG,
		Socket: st.Mode&syscall.S_IFMT == syscall.S_IFSOCK, Uid: st.Uid}, nil
}

// submounts reads /proc/self/mountinfo for the mount points strictly below dir.
func submounts(dir string) ([]string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	prefix := strings.TrimSuffix(dir, "/") + "/"
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		mp := unescapeMountinfo(fields[4])
		if strings.HasPrefix(mp, prefix) {
			out = append(out, mp)
		}
	}
	return out, sc.Err()
}

// unescapeMountinfo undoes mountinfo's octal escapes (\040 for a space).
func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// maxLookedThrough bounds the entries sockets reads: a directory with more is not bound.
const maxLookedThrough = 100000

// sockets lists the unix sockets at or below dir, crossing the mounts below it (docker binds
// them too), without following symbolic links.
func sockets(dir string) ([]string, error) {
	var out []string
	n := 0
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err // a directory sdocker cannot read may hold one: the daemon, as root, binds it all
		}
		if n++; n > maxLookedThrough {
			return fmt.Errorf("it holds more than %d entries", maxLookedThrough)
		}
		if e.Type()&fs.ModeSocket != 0 {
			out = append(out, p)
		}
		return nil
	})
	return out, err
}

// listening lists the unix sockets at or below dir that a process of this network namespace
// listens on, from /proc/net/unix. Its paths are the ones each socket was bound at, resolved
// through their symlinks here (/var/run/docker.sock is /run/docker.sock); a socket renamed
// since it was bound is not found by its new name.
func listening(dir string) ([]string, error) {
	f, err := os.Open("/proc/net/unix")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	prefix := strings.TrimSuffix(dir, "/") + "/"
	seen := map[string]bool{}
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 8 || !strings.HasPrefix(fields[7], "/") || seen[fields[7]] {
			continue
		}
		p := fields[7]
		seen[p] = true
		if r, err := filepath.EvalSymlinks(p); err == nil {
			p = r
		}
		if strings.HasPrefix(p, prefix) || p == dir {
			out = append(out, p)
		}
	}
	return out, sc.Err()
}
