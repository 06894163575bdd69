package proxy_test

import (
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
	base := t.TempDir()
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	theirs := filepath.Join(base, "theirs")
	mine := filepath.Join(base, "mine")
	for _, d := range []string{theirs + "/data", mine + "/data"} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chown(theirs, 4242, 4242); err != nil {
		t.Fatal(err)
	}
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
