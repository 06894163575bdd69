package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A local volume whose options bind or mount the host is refused when it is created, so none
// exists for a later run or create to mount by name (a volume made after sdocker checked a
// create that names it would otherwise be used unchecked).
func TestVolumeCreateIsDecided(t *testing.T) {
	requireDaemon(t)
	name := strings.ReplaceAll(runLabel, "=", "-")
	for _, tc := range []struct {
		args    []string
		refused bool
	}{
		{[]string{"volume", "create", "-o", "type=none", "-o", "o=bind", "-o", "device=/etc", name + "-etc"}, true},
		{[]string{"volume", "create", "--opt=type=proc", "--opt=device=proc", name + "-proc"}, true},
		{[]string{"volume", "create", "--driver", "local", "-o", "o=bind", "-o", "device=/var/lib/docker", name + "-data"}, true},
		{[]string{"volume", "create", "-o", "type=tmpfs", "-o", "device=tmpfs", name + "-tmp"}, false},
		{[]string{"volume", "create", name + "-plain"}, false},
	} {
		vol := tc.args[len(tc.args)-1]
		t.Cleanup(func() { exec.Command("docker", "volume", "rm", "-f", vol).Run() })
		r := sdocker(t, tc.args...)
		exists := exec.Command("docker", "volume", "inspect", vol).Run() == nil
		switch {
		case tc.refused && (r.code != 125 || !strings.Contains(r.stderr, "(rule mounts)") || exists):
			t.Errorf("%v: exit %d, exists %v, %q; want refused and not created", tc.args, r.code, exists, r.stderr)
		case !tc.refused && (r.code != 0 || !exists):
			t.Errorf("%v: exit %d, exists %v, %q; want created", tc.args, r.code, exists, r.stderr)
		}
	}
}

// docker cp mounts the container's binds with no start: a source swapped for a link to /etc
// since the container was created is refused, as at start.
func TestCopyRechecksWhatTheDaemonWillMount(t *testing.T) {
	requireDaemon(t)
	dir := filepath.Join(t.TempDir(), "src")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	r := sdocker(t, append(append([]string{"create"}, labelled()...), "-v", dir+":/x", testImage, "sleep")...)
	if r.code != 0 {
		t.Fatalf("create: %+v", r)
	}
	c := strings.TrimSpace(r.stdout)
	if r := sdocker(t, "cp", c+":/ctr", t.TempDir()); r.code != 0 {
		t.Fatalf("cp before the swap: %+v", r)
	}
	os.Remove(dir)
	if err := os.Symlink("/etc", dir); err != nil {
		t.Fatal(err)
	}
	if r := sdocker(t, "cp", c+":/x/hostname", "-"); r.code != 125 || !strings.Contains(r.stderr, "rule mounts") {
		t.Fatalf("cp after the bind source became a link to /etc: %+v, want a refusal (rule mounts)", r)
	}
}
