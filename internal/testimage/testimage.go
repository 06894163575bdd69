// Package testimage builds the integration tests' image offline: a static Go program, built
// from a package of the tests' own, imported into the daemon as /ctr, its entrypoint.
package testimage

import (
	"archive/tar"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Import builds the Go package pkg (e.g. "./testdata/ctr") statically in dir and imports it
// into the daemon the docker CLI talks to as image tag, with /ctr as its entrypoint.
func Import(pkg, dir, tag string) error {
	if out, err := exec.Command("docker", "info", "--format", "{{.ServerVersion}}").CombinedOutput(); err != nil {
		return fmt.Errorf("no docker daemon answers (%v: %s); start one with scripts/start-dockerd.sh", err, bytes.TrimSpace(out))
	}
	bin := filepath.Join(dir, "ctr")
	build := exec.Command("go", "build", "-o", bin, pkg)
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("building the test program: %v\n%s", err, out)
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: "ctr", Mode: 0o755, Size: int64(len(data))}); err != nil {
		return err
	}
	if _, err := tw.Write(data); err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	imp := exec.Command("docker", "import", "--change", `ENTRYPOINT ["/ctr"]`, "-", tag)
	imp.Stdin = &buf
	if out, err := imp.CombinedOutput(); err != nil {
		return fmt.Errorf("importing the test image: %v\n%s", err, out)
	}
	return nil
}
