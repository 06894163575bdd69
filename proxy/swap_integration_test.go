package proxy_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sdocker/proxy"
	"sdocker/wrapper"
)

// A bind source another user could swap for a link before the daemon mounts it is refused at
// the API door as at the CLI door: the client's own directories are its own to change, another
// user's are not, and with a restart policy only root's are safe.
func TestSwappableSourcesThroughProxy(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("SKIPPED LOUDLY: a directory owned by another user needs root (CI runs as root)")
	}
	px := startProxyWith(t, "", func(o *proxy.Options) { o.Host = wrapper.LocalHostFS() })
	theirs, mine := theirsAndMine(t)
	for _, tc := range []struct {
		name string
		args []string
		ok   bool
	}{
		{"another user's directory", []string{"-v", theirs + "/data:/x"}, false},
		{"root's directory", []string{"-v", mine + "/data:/x"}, true},
		{"another user's directory with a restart policy", []string{"--restart", "always", "-v", theirs + "/data:/x"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"create", "--label", runLabel}, append(tc.args, image)...)
			r := docker(t, px.host(), "", args...)
			if r.code == 0 {
				docker(t, px.host(), "", "rm", "-f", strings.TrimSpace(r.stdout))
			}
			if (r.code == 0) != tc.ok {
				t.Errorf("exit %d, want ok=%v: %s", r.code, tc.ok, r.stderr)
			}
			if !tc.ok && !strings.Contains(r.stderr, "owned by uid 4242") {
				t.Errorf("the refusal does not say who could swap it: %s", r.stderr)
			}
		})
	}
}

// An update that gives a container a restart policy lets the daemon mount its sources again on
// its own, with no client to check them: refused beside a source anyone but root can swap, as
// sdocker update --restart is, whoever created the container.
func TestRestartPolicyByUpdateThroughProxy(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("SKIPPED LOUDLY: a directory owned by another user needs root (CI runs as root)")
	}
	px := startProxyWith(t, "", func(o *proxy.Options) { o.Host = wrapper.LocalHostFS() })
	theirs, mine := theirsAndMine(t)
	for _, tc := range []struct {
		name   string
		source string
		update []string
		ok     bool
		says   string
	}{
		{"a restart policy beside another user's directory", theirs + "/data", []string{"--restart", "always"}, false, "owned by uid 4242"},
		{"on-failure beside another user's directory", theirs + "/data", []string{"--restart", "on-failure:3"}, false, "owned by uid 4242"},
		{"a restart policy beside root's directory", mine + "/data", []string{"--restart", "unless-stopped"}, true, ""},
		{"no restart policy beside another user's directory", theirs + "/data", []string{"--restart", "no"}, true, ""},
		{"limits beside another user's directory", theirs + "/data", []string{"--cpus", "0.5"}, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Made on the daemon's own socket: a container another door (or another user) made.
			c := docker(t, "", "", "create", "--label", runLabel, "--network", "none", "-v", tc.source+":/x", image)
			if c.code != 0 {
				t.Fatalf("creating on the daemon: %s", c.stderr)
			}
			id := strings.TrimSpace(c.stdout)
			defer docker(t, "", "", "rm", "-f", id)
			r := docker(t, px.host(), "", append(append([]string{"update"}, tc.update...), id)...)
			if (r.code == 0) != tc.ok {
				t.Errorf("exit %d, want ok=%v: %s", r.code, tc.ok, r.stderr)
			}
			if tc.says != "" && !strings.Contains(r.stderr, tc.says) {
				t.Errorf("the refusal does not say who could swap it: %s", r.stderr)
			}
			policy := inspect(t, id)["HostConfig"].(map[string]any)["RestartPolicy"].(map[string]any)["Name"]
			if !tc.ok && policy != "" && policy != "no" {
				t.Errorf("the daemon holds restart policy %v", policy)
			}
		})
	}
}

// The directory beside --listen where the proxy makes its policed socket is no exemption from
// the start re-check: a bind below it that is not the proxy's socket is judged as any other, and
// so is the socket's own name where someone other than root could change what it names (a
// sockets directory another user made before the proxy did, beside a socket in /tmp).
func TestSocketDirIsNoStartExemption(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("SKIPPED LOUDLY: a directory owned by another user needs root (CI runs as root)")
	}
	base := t.TempDir()
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	sockets := filepath.Join(base, "sockets")
	if err := os.MkdirAll(sockets, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(sockets, 4242, 4242); err != nil {
		t.Fatal(err)
	}
	px := startProxyWith(t, "", func(o *proxy.Options) { o.Host, o.SocketDir = wrapper.LocalHostFS(), sockets })
	for _, tc := range []struct {
		name, source string
	}{
		{"a directory swapped for a link to /etc", filepath.Join(sockets, "d")},
		{"the socket's name swapped for a link to /etc", filepath.Join(sockets, "docker.sock")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.MkdirAll(tc.source, 0o755); err != nil {
				t.Fatal(err)
			}
			c := docker(t, "", "", "create", "--label", runLabel, "--network", "none", "-v", tc.source+":/x:ro", image, "read", "/x/hostname")
			if c.code != 0 {
				t.Fatalf("creating on the daemon: %s", c.stderr)
			}
			id := strings.TrimSpace(c.stdout)
			defer docker(t, "", "", "rm", "-f", id)
			// What another user can do in a directory of theirs once the container exists.
			if err := os.Remove(tc.source); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink("/etc", tc.source); err != nil {
				t.Fatal(err)
			}
			defer os.Remove(tc.source)
			r := docker(t, px.host(), "", "start", "-a", id)
			if r.code == 0 {
				t.Errorf("the start was let through, and the daemon mounted the host's /etc: %q", r.stdout)
			}
		})
	}
}

// theirsAndMine makes two directories, each holding a directory data: theirs owned by uid 4242,
// mine by root.
func theirsAndMine(t *testing.T) (theirs, mine string) {
	t.Helper()
	base := t.TempDir()
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	theirs, mine = filepath.Join(base, "theirs"), filepath.Join(base, "mine")
	for _, d := range []string{theirs + "/data", mine + "/data"} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chown(theirs, 4242, 4242); err != nil {
		t.Fatal(err)
	}
	return theirs, mine
}

// renamingDaemon renames containers right after the proxy has inspected one by name: what a
// client racing the proxy's check with docker rename does, made certain.
type renamingDaemon struct {
	proxy.Daemon
	name string
	swap func()
	done bool
}

func (d *renamingDaemon) Get(ctx context.Context, path string, out any) error {
	err := d.Daemon.Get(ctx, path, out)
	if !d.done && path == "/containers/"+d.name+"/json" {
		d.done = true
		d.swap()
	}
	return err
}

// A start, restart or copy names its container by a name, which can be given to another
// container between the proxy's check and the daemon's act: the request goes on for the
// container that was judged, by its ID.
func TestRenamedBetweenCheckAndStart(t *testing.T) {
	requireDaemon(t)
	for _, tc := range []struct {
		name string
		args func(benign string) []string
	}{
		{"start", func(c string) []string { return []string{"start", c} }},
		{"restart", func(c string) []string { return []string{"restart", "-t", "0", c} }},
		{"cp", func(c string) []string { return []string{"cp", c + ":/x/hostname", "-"} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			suffix := strings.TrimPrefix(runLabel, "sdocker-proxy-it=") + "-" + tc.name
			benign, evil := "benign-"+suffix, "evil-"+suffix
			if r := docker(t, "", "", "create", "--label", runLabel, "--network", "none", "--name", benign, "-v", t.TempDir()+":/x:ro", image, "read", "/x/hostname"); r.code != 0 {
				t.Fatal(r.stderr)
			}
			defer docker(t, "", "", "rm", "-f", benign)
			// Made on the daemon's own socket: one the proxy refuses to start.
			if r := docker(t, "", "", "create", "--label", runLabel, "--network", "none", "--name", evil, "-v", "/etc:/x:ro", image, "read", "/x/hostname"); r.code != 0 {
				t.Fatal(r.stderr)
			}
			defer docker(t, "", "", "rm", "-f", evil)
			if r := docker(t, startProxyWith(t, "", func(o *proxy.Options) { o.Host = wrapper.LocalHostFS() }).host(), "", tc.args(evil)...); r.code == 0 {
				t.Fatalf("%s %s through the proxy was let through", tc.name, evil)
			}
			rd := &renamingDaemon{name: benign, swap: func() {
				for _, mv := range [][2]string{{benign, benign + "-was"}, {evil, benign}, {benign + "-was", evil}} {
					if r := docker(t, "", "", "rename", mv[0], mv[1]); r.code != 0 {
						t.Errorf("rename: %s", r.stderr)
					}
				}
			}}
			px := startProxyWith(t, "", func(o *proxy.Options) { o.Host, rd.Daemon, o.Daemon = wrapper.LocalHostFS(), o.Daemon, rd })
			r := docker(t, px.host(), "", tc.args(benign)...)
			if !rd.done {
				t.Fatal("the proxy did not inspect the container by its name")
			}
			held := inspect(t, benign) // the container that now has the name: the evil one
			if started := held["State"].(map[string]any)["StartedAt"]; !strings.HasPrefix(fmt.Sprint(started), "0001-") {
				t.Errorf("the daemon started the container that took the name, which binds /etc (started %v): exit %d %q", started, r.code, r.stdout)
			}
			if tc.name == "cp" && strings.Contains(r.stdout, mustRead(t, "/etc/hostname")) {
				t.Errorf("the daemon copied out of the host's /etc: %q", r.stdout)
			}
		})
	}
}

func mustRead(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}
