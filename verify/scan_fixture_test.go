package verify

import (
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"sdocker/scripts/scanfixture"
)

// fixtureTrivyCache writes the fixture vulnerability database into dir (trivy's --cache-dir).
func fixtureTrivyCache(t testing.TB, dir string, updatedAt time.Time) string {
	t.Helper()
	if err := scanfixture.TrivyCache(dir, updatedAt); err != nil {
		t.Fatal(err)
	}
	return dir
}

// fixtureImage is a one-layer Alpine image with the packages, distinct for each test.
func fixtureImage(t testing.TB, pkgs []scanfixture.Package) v1.Image {
	t.Helper()
	img, err := scanfixture.Image(t.Name(), pkgs...)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// startRegistry runs an in-memory OCI registry on 127.0.0.1 and returns its host:port.
func startRegistry(t testing.TB) string {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// pushImage writes img to host/repo:latest and returns its pinned reference, repo@sha256:….
func pushImage(t testing.TB, host, repo string, img v1.Image) string {
	t.Helper()
	ref, err := name.ParseReference(host + "/" + repo + ":latest")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatalf("pushing %s: %v", ref, err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return host + "/" + repo + "@" + d.String()
}

// realTrivy is the trivy binary the integration tests run: $SDOCKER_TRIVY, else trivy on PATH.
// Without one the test skips loudly, or fails in CI (CI=true), where trivy must be installed.
func realTrivy(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("SDOCKER_TRIVY"); p != "" {
		return p
	}
	p, err := exec.LookPath("trivy")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("trivy is not installed; CI must run scripts/install-trivy.sh")
		}
		t.Skip("SKIPPING scan integration test: trivy is not installed (run scripts/install-trivy.sh)")
	}
	return p
}

// countingTrivy is a wrapper around the real trivy that appends a line to a file on each
// execution, so a test can prove that a warm gate runs no scanner. It returns the wrapper's
// path and a function counting the executions so far.
func countingTrivy(t testing.TB, real string) (string, func() int) {
	t.Helper()
	dir := t.TempDir()
	calls := filepath.Join(dir, "calls")
	script := filepath.Join(dir, "trivy")
	body := fmt.Sprintf("#!/bin/sh\necho run >> %q\nexec %q \"$@\"\n", calls, real)
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return script, func() int {
		data, _ := os.ReadFile(calls)
		return strings.Count(string(data), "run\n")
	}
}

// writeScript writes an executable shell script and returns its path.
func writeScript(t testing.TB, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "trivy")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}
