// Package testimage builds the integration tests' images offline: a static Go program, built
// from a package of the tests' own, imported into the daemon as /ctr, its entrypoint; and the
// Ryuk replica the testcontainers-go tests run.
package testimage

import (
	"archive/tar"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Import builds the Go package pkg (e.g. "./testdata/ctr") statically in dir and imports it
// into the daemon the docker CLI talks to as image tag, with /ctr as its entrypoint.
func Import(pkg, dir, tag string) error {
	return ImportProgram(Program{Pkg: pkg, Dir: dir, Tag: tag, Path: "ctr", Changes: []string{`ENTRYPOINT ["/ctr"]`}})
}

// Program is an image of one static Go program.
type Program struct {
	Pkg, Dir, Tag string
	// Path is where the program lies in the image ("bin/ryuk").
	Path string
	// Changes are docker import --change lines (ENTRYPOINT, CMD, LABEL…).
	Changes []string
}

// ImportProgram builds p.Pkg statically in p.Dir and imports it into the daemon the docker CLI
// talks to as p.Tag, the program at p.Path, with p.Changes applied.
func ImportProgram(p Program) error {
	if out, err := exec.Command("docker", "info", "--format", "{{.ServerVersion}}").CombinedOutput(); err != nil {
		return fmt.Errorf("no docker daemon answers (%v: %s); start one with scripts/start-dockerd.sh", err, bytes.TrimSpace(out))
	}
	bin := filepath.Join(p.Dir, filepath.Base(p.Path))
	build := exec.Command("go", "build", "-o", bin, p.Pkg)
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("building the test program %s: %v\n%s", p.Pkg, err, out)
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if dir := filepath.Dir(p.Path); dir != "." {
		if err := tw.WriteHeader(&tar.Header{Name: dir + "/", Typeflag: tar.TypeDir, Mode: 0o755}); err != nil {
			return err
		}
	}
	if err := tw.WriteHeader(&tar.Header{Name: p.Path, Mode: 0o755, Size: int64(len(data))}); err != nil {
		return err
	}
	if _, err := tw.Write(data); err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	args := []string{"import"}
	for _, c := range p.Changes {
		args = append(args, "--change", c)
	}
	imp := exec.Command("docker", append(args, "-", p.Tag)...)
	imp.Stdin = &buf
	if out, err := imp.CombinedOutput(); err != nil {
		return fmt.Errorf("importing the test image %s: %v\n%s", p.Tag, err, out)
	}
	return nil
}

// Testcontainers builds the testcontainers-go client of package directory client
// (proxy/testdata/testcontainers) in dir and provides the Ryuk image it asks for: unless the
// daemon has that image already (the replica, or Ryuk itself where it was pulled), the replica
// of package ryukPkg (proxy/testdata/ryuk) is imported as its tag, and removed when the test
// ends. It returns the client's path and Ryuk's tag.
func Testcontainers(t testing.TB, client, ryukPkg, dir string) (bin, ryuk string) {
	t.Helper()
	bin = filepath.Join(dir, "tc")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = client
	build.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the testcontainers-go client: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "reaper-image").Output()
	if err != nil {
		t.Fatal(err)
	}
	ryuk = strings.TrimSpace(string(out))
	out, err = exec.Command("docker", "image", "inspect", "--format", `{{index .Config.Labels "sdocker.test"}}`, ryuk).Output()
	if err == nil {
		if strings.TrimSpace(string(out)) != "ryuk-replica" {
			t.Logf("the daemon has %s, not the test's replica: the test runs it", ryuk)
		}
		return bin, ryuk
	}
	err = ImportProgram(Program{Pkg: ryukPkg, Dir: dir, Tag: ryuk, Path: "bin/ryuk",
		Changes: []string{`CMD ["/bin/ryuk"]`, "LABEL org.testcontainers.ryuk=true", "LABEL sdocker.test=ryuk-replica"}})
	if err != nil {
		t.Fatal(err)
	}
	// -f: the reaper may still be on its way out.
	t.Cleanup(func() { exec.Command("docker", "rmi", "-f", ryuk).Run() })
	return bin, ryuk
}
