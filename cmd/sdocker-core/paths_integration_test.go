package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"sdocker/internal/testenv"
)

// A directory the host has bound elsewhere (mount --bind /etc DIR) is /etc to the kernel,
// whatever its name: sdocker sees it by device and inode, directly, below it, and as a mount
// held by a directory that is bound.
func TestBindMountOfADeniedDirectoryIsRefused(t *testing.T) {
	requireDaemon(t)
	if os.Geteuid() != 0 {
		testenv.Missing(t, "mount --bind needs root")
	}
	holder := t.TempDir()
	target := filepath.Join(holder, "e")
	if err := os.Mkdir(target, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("/etc", target, "", syscall.MS_BIND, ""); err != nil {
		t.Fatalf("mount --bind /etc %s: %v", target, err)
	}
	t.Cleanup(func() { syscall.Unmount(target, syscall.MNT_DETACH) })
	for _, src := range []string{target, filepath.Join(target, "ssh"), holder} {
		r := sdocker(t, append(append([]string{"create"}, labelled()...), "-v", src+":/x", testImage, "sleep")...)
		if r.code != 125 || !strings.Contains(r.stderr, "(rule mounts)") || !strings.Contains(r.stderr, "/etc") {
			t.Errorf("-v %s:/x (a bind mount of /etc): exit %d, %q", src, r.code, r.stderr)
		}
	}
	// Plain docker does mount it: the refusal is not docker's.
	out, err := exec.Command("docker", "run", "--rm", "-v", target+":/x:ro", testImage, "cat").CombinedOutput()
	if err != nil {
		t.Fatalf("plain docker could not bind it either, so the test proves nothing: %v\n%s", err, out)
	}
}
