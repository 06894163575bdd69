package wrapper_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sdocker/wrapper"
)

// userDir makes a directory someone other than root controls: owned by nobody (65534) when the
// test runs as root, else the test user's own.
func userDir(t *testing.T, parent, name string) string {
	t.Helper()
	d := filepath.Join(parent, name)
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	if os.Getuid() == 0 {
		if err := os.Chown(d, 65534, 65534); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

// rootDir makes a directory only root can change, which needs root; elsewhere the test skips.
func rootDir(t *testing.T, parent, name string) string {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skip("SKIPPED: making a root-owned directory needs root")
	}
	d := filepath.Join(parent, name)
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestSwappable(t *testing.T) {
	// A root-owned base that is not under a user's directory: t.TempDir() lives under /tmp,
	// sticky and root-owned, and is root's when the test runs as root.
	base := t.TempDir()
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		path func(t *testing.T) string
		want string // a part of the answer; "" means only root can change it
	}{
		{name: "the host's own directories", path: func(*testing.T) string { return "/usr/bin" }},
		{name: "a missing path under root's directories is made by the daemon", path: func(*testing.T) string { return "/usr/share/sdocker-no-such/x" }},
		{name: "a directory inside a user's directory", path: func(t *testing.T) string {
			return filepath.Join(userDir(t, base, "home1"), "data")
		}, want: "is owned by uid"},
		{name: "a user's directory itself in a root directory", path: func(t *testing.T) string {
			return userDir(t, rootDir(t, base, "srv1"), "data")
		}},
		{name: "a missing path under a user's directory", path: func(t *testing.T) string {
			return filepath.Join(userDir(t, base, "home2"), "not-yet", "x")
		}, want: "is owned by uid"},
		{name: "a world-writable directory", path: func(t *testing.T) string {
			d := rootDir(t, base, "open")
			os.Chmod(d, 0o777)
			return filepath.Join(d, "x")
		}, want: "writable by everyone"},
		{name: "a sticky directory protects root's entries", path: func(t *testing.T) string {
			d := rootDir(t, base, "sticky")
			os.Chmod(d, os.ModeSticky|0o777)
			os.Mkdir(filepath.Join(d, "x"), 0o755)
			return filepath.Join(d, "x")
		}},
		{name: "a sticky directory does not protect a missing entry", path: func(t *testing.T) string {
			d := rootDir(t, base, "sticky2")
			os.Chmod(d, os.ModeSticky|0o777)
			return filepath.Join(d, "x")
		}, want: "writable by everyone"},
		{name: "a group-writable directory", path: func(t *testing.T) string {
			d := rootDir(t, base, "grp")
			os.Chown(d, 0, 100)
			os.Chmod(d, 0o775)
			return filepath.Join(d, "x")
		}, want: "writable by group 100"},
		{name: "a root symlink into a user's directory", path: func(t *testing.T) string {
			target := filepath.Join(userDir(t, base, "home3"), "data")
			os.Mkdir(target, 0o755)
			link := filepath.Join(rootDir(t, base, "links"), "data")
			os.Symlink(target, link)
			return link
		}, want: "is owned by uid"},
		{name: "a symlink a user can retarget", path: func(t *testing.T) string {
			d := userDir(t, base, "home4")
			os.Symlink("/usr/share", filepath.Join(d, "share"))
			return filepath.Join(d, "share")
		}, want: "is owned by uid"},
		{name: "a relative root symlink to root's directories", path: func(t *testing.T) string {
			d := rootDir(t, base, "rel")
			os.Mkdir(filepath.Join(d, "real"), 0o755)
			os.Symlink("real", filepath.Join(d, "link"))
			return filepath.Join(d, "link", ".")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := wrapper.Swappable(tc.path(t))
			if err != nil {
				t.Fatal(err)
			}
			if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
				t.Fatalf("Swappable = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSwappableLoopFailsClosed(t *testing.T) {
	d := t.TempDir()
	os.Symlink(filepath.Join(d, "b"), filepath.Join(d, "a"))
	os.Symlink(filepath.Join(d, "a"), filepath.Join(d, "b"))
	if who, err := wrapper.Swappable(filepath.Join(d, "a")); err == nil && who == "" {
		t.Fatal("a symlink loop was judged unswappable")
	}
}
