package wrapper

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Another user's power to swap a source counts at run and create; the user's own does not (they
// could as well run docker themselves).
func TestSwappableByOthers(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("SKIPPED LOUDLY: a directory owned by another user needs root (CI runs as root)")
	}
	base := t.TempDir()
	os.Chmod(base, 0o755)
	mine := filepath.Join(base, "mine")
	os.Mkdir(mine, 0o755)
	theirs := filepath.Join(base, "theirs")
	os.Mkdir(theirs, 0o755)
	os.Chown(theirs, 4242, 4242)
	open := filepath.Join(base, "open")
	os.Mkdir(open, 0o777)
	os.Chmod(open, 0o777)
	os.Mkdir(filepath.Join(open, "proj"), 0o755)
	for _, tc := range []struct {
		path, want string
	}{
		{filepath.Join(mine, "proj"), ""},
		{filepath.Join(theirs, "proj"), "owned by uid 4242"},
		{filepath.Join(open, "proj"), "writable by everyone"},
	} {
		got, err := SwappableByOthers(tc.path)
		if err != nil || (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%s: %q, %v; want %q", tc.path, got, err, tc.want)
		}
	}
}
