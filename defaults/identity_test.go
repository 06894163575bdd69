package defaults_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"sdocker/defaults"
	"sdocker/wrapper"
)

// fakeHost is a host whose files are known by ID: paths in the same group are one file.
type fakeHost struct {
	ids       map[string]defaults.FileID
	mounts    map[string][]string
	sockets   map[string][]string
	listening map[string][]string
}

func (h fakeHost) fs() defaults.HostFS {
	return defaults.HostFS{
		Identify: func(p string) (defaults.FileID, error) {
			if id, ok := h.ids[p]; ok {
				return id, nil
			}
			return defaults.FileID{}, os.ErrNotExist
		},
		Submounts: func(p string) ([]string, error) { return h.mounts[p], nil },
		Sockets:   func(p string) ([]string, error) { return h.sockets[p], nil },
		Listening: func(p string) ([]string, error) { return h.listening[p], nil },
	}
}

func decideOn(t *testing.T, host fakeHost, facts defaults.Facts, argv string) defaults.Decision {
	t.Helper()
	inv, err := wrapper.Parse(strings.Fields(argv))
	if err != nil {
		t.Fatal(err)
	}
	req, err := wrapper.Request(inv, wrapper.RequestInput{Cwd: "/"})
	if err != nil {
		t.Fatal(err)
	}
	return defaults.Decide(defaults.Input{Policy: mustPolicy(t, ""), Request: req, Facts: facts, Now: today, Host: host.fs()})
}

// Paths are judged as the kernel knows them: a directory bound elsewhere is still itself, a
// hard link is the file it links, and what is mounted below a bind comes with it.
func TestPathsAsTheKernelKnowsThem(t *testing.T) {
	etc := defaults.FileID{Dev: 1, Ino: 100}
	root := defaults.FileID{Dev: 1, Ino: 2}
	host := fakeHost{ids: map[string]defaults.FileID{
		"/": root, "/etc": etc, "/usr": {Dev: 1, Ino: 300}, "/var/lib/docker": {Dev: 1, Ino: 400},
		"/mnt/e": etc, "/mnt/root": root, "/srv": {Dev: 1, Ino: 500}, "/srv/e": etc,
		"/home/me/proj": {Dev: 1, Ino: 600}, "/home/me/proj/data": {Dev: 2, Ino: 7},
		"/tmp/linked": {Dev: 1, Ino: 900, Nlink: 2, Regular: true}, "/tmp/single": {Dev: 1, Ino: 901, Nlink: 1, Regular: true},
		"/other/linked":  {Dev: 9, Ino: 902, Nlink: 2, Regular: true},
		"/srv/root.sock": {Dev: 1, Ino: 910, Socket: true, Uid: 0}, "/srv/user.sock": {Dev: 1, Ino: 911, Socket: true, Uid: 1000},
		"/usr/local": {Dev: 3, Ino: 1}, "/data/docker": {Dev: 1, Ino: 700}, "/home/me/.docker/run/docker.sock": {Dev: 1, Ino: 800, Nlink: 2, Socket: true, Uid: 1000},
		"/run/docker.sock": {Dev: 5, Ino: 50, Nlink: 2, Socket: true}, "/run/user/42": {Dev: 5, Ino: 60}, "/run/user/42/d.sock": {Dev: 5, Ino: 50, Nlink: 2, Socket: true},
		"/run/user/43": {Dev: 6, Ino: 61}, "/run/user/43/systemd/private": {Dev: 6, Ino: 71, Socket: true},
		"/run/user/44": {Dev: 7, Ino: 62}, "/run/user/44/bus": {Dev: 7, Ino: 72, Socket: true, Uid: 44},
		"/srv/work": {Dev: 1, Ino: 63}, "/srv/work/d.sock": {Dev: 1, Ino: 800, Nlink: 2, Socket: true, Uid: 1000},
		"/var/snap": {Dev: 1, Ino: 64}, "/var/snap/lxd/common/lxd/unix.socket": {Dev: 1, Ino: 74, Socket: true},
		"/home/me/proj/app.sock": {Dev: 1, Ino: 75, Socket: true, Uid: 1000},
	}, mounts: map[string][]string{
		"/srv": {"/srv/e"}, "/home/me/proj": {"/home/me/proj/data"}, "/usr": {"/usr/local"},
	}, sockets: map[string][]string{
		"/run/user/42": {"/run/user/42/d.sock"}, "/run/user/43": {"/run/user/43/systemd/private"}, "/run/user/44": {"/run/user/44/bus"},
		"/srv/work": {"/srv/work/d.sock"},
	}, listening: map[string][]string{
		"/var/snap": {"/var/snap/lxd/common/lxd/unix.socket"}, "/home/me/proj": {"/home/me/proj/app.sock"},
	}}
	facts := defaults.Facts{Known: true, SeccompBuiltin: true, LogDriver: "json-file", DataRoot: "/data/docker",
		DaemonSockets: []string{"/home/me/.docker/run/docker.sock"}}
	for _, tc := range []struct {
		name, argv string
		rules      []string
		says       string
	}{
		{"a bind mount of /etc elsewhere", "run -v /mnt/e:/x img", []string{"mounts"}, "the host's /etc"},
		{"below a bind mount of /etc", "run -v /mnt/e/ssh:/x img", []string{"mounts"}, "the host's /etc/ssh"},
		{"a bind mount of / elsewhere, and /etc below it", "run -v /mnt/root/etc:/x img", []string{"mounts"}, "the host's /etc"},
		{"holds a mount of /etc", "run -v /srv:/x img", []string{"mounts"}, "holds /srv/e"},
		{"holds an unrelated mount", "run -v /home/me/proj:/x img", []string{}, ""},
		{"a file with two names", "run -v /tmp/linked:/x img", []string{"mounts"}, "hard links"},
		{"a file with one name", "run -v /tmp/single:/x img", []string{}, ""},
		{"two names on another filesystem", "run -v /other/linked:/x img", []string{}, ""},
		{"the daemon's data root, wherever it is", "run -v /data/docker:/x img", []string{"mounts"}, "/data/docker"},
		{"the socket sdocker talks to, wherever it is", "run -v /home/me/.docker/run:/x img", []string{"mounts"}, "docker.sock"},
		{"a unix socket root serves, even read-only", "run -v /srv/root.sock:/s:ro img", []string{"mounts"}, "unix socket owned by root"},
		{"a unix socket a user serves", "run -v /srv/user.sock:/s img", []string{}, ""},
		{"a directory holding a hard link of the daemon's socket, read-only", "run -v /run/user/42:/x:ro img", []string{"mounts"}, "another name of /run/docker.sock"},
		{"a directory holding a root-owned socket, read-only", "run -v /run/user/43:/x:ro img", []string{"mounts"}, "unix socket owned by root"},
		{"a directory holding a user's own socket", "run -v /run/user/44:/x:ro img", []string{}, ""},
		{"a directory with a root service listening below it, read-only", "run -v /var/snap:/x:ro img", []string{"mounts"}, "/var/snap/lxd/common/lxd/unix.socket, a unix socket owned by root"},
		{"a directory elsewhere holding another name of the socket sdocker talks to", "run -v /srv/work:/x img", []string{"mounts"}, "another name of /home/me/.docker/run/docker.sock"},
		{"read-only /usr with a writable mount below, before Docker 25", "run -v /usr:/usr:ro img", []string{"mounts"}, "stays writable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := decideOn(t, host, facts, tc.argv)
			if got := rules(d.Violations); !reflect.DeepEqual(got, tc.rules) {
				t.Fatalf("violations %v, want %v: %+v", got, tc.rules, d.Violations)
			}
			if tc.says != "" && !strings.Contains(d.Violations[0].Message, tc.says) {
				t.Fatalf("message %q does not say %q", d.Violations[0].Message, tc.says)
			}
		})
	}
	recursive := facts
	recursive.RecursiveReadOnly = true
	if d := decideOn(t, host, recursive, "run -v /usr:/usr:ro img"); !d.Allowed {
		t.Fatalf("a recursively read-only /usr was refused: %+v", d.Violations)
	}
}

// A local volume's device is what mount(2) resolves: symlinks first, then "..".
func TestLocalVolumeDeviceAsMountResolvesIt(t *testing.T) {
	dir := t.TempDir()
	if err := os.Symlink("/var", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	dev := filepath.Join(dir, "link") + "/../etc" // lexically dir/etc; for the kernel /var/../etc
	argv := []string{"run", "--mount", "type=volume,dst=/x,volume-driver=local,volume-opt=type=none,volume-opt=o=bind,volume-opt=device=" + dev, "img"}
	d := decide(t, mustPolicy(t, ""), argv, defaults.AssumedFacts())
	if got := rules(d.Violations); !reflect.DeepEqual(got, []string{"mounts"}) || !strings.Contains(d.Violations[0].Message, "the kernel resolves it to /etc)") {
		t.Fatalf("violations %q", d.Violations[0].Message)
	}
}
