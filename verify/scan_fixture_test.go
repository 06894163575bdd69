package verify

import (
	"archive/tar"
	"bytes"
	"encoding/json"
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

	fixtures "github.com/aquasecurity/bolt-fixtures"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// fixtureUpdatedAt is the update time written into the fixture database's metadata.
var fixtureUpdatedAt = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// fixtureTrivyCache builds trivy's cache directory holding the fixture vulnerability database
// (BoltDB loaded from testdata/scan/db/*.yaml, plus db/metadata.json) under dir.
func fixtureTrivyCache(t testing.TB, dir string, updatedAt time.Time) string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "scan", "db", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixture database files: %v", err)
	}
	dbDir := filepath.Join(dir, "db")
	if err := os.MkdirAll(dbDir, 0o700); err != nil {
		t.Fatal(err)
	}
	loader, err := fixtures.New(filepath.Join(dbDir, "trivy.db"), files)
	if err != nil {
		t.Fatalf("opening the fixture database: %v", err)
	}
	if err := loader.Load(); err != nil {
		t.Fatalf("loading the fixture database: %v", err)
	}
	if err := loader.Close(); err != nil {
		t.Fatal(err)
	}
	meta, _ := json.Marshal(map[string]any{
		"Version": 2, "NextUpdate": updatedAt.Add(24 * time.Hour), "UpdatedAt": updatedAt, "DownloadedAt": updatedAt,
	})
	if err := os.WriteFile(filepath.Join(dbDir, "metadata.json"), meta, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// apkPackage is one entry of lib/apk/db/installed.
type apkPackage struct{ Name, Version string }

// alpineLayer is an image layer that trivy reads as Alpine 3.22.1 with the given packages.
func alpineLayer(t testing.TB, pkgs ...apkPackage) []byte {
	t.Helper()
	var installed strings.Builder
	for _, p := range pkgs {
		fmt.Fprintf(&installed, "P:%s\nV:%s\nA:x86_64\no:%s\nL:MIT\n\n", p.Name, p.Version, p.Name)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, d := range []string{"etc/", "lib/", "lib/apk/", "lib/apk/db/"} {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d, Mode: 0o755}); err != nil {
			t.Fatal(err)
		}
	}
	for name, body := range map[string]string{
		"etc/alpine-release":   "3.22.1\n",
		"lib/apk/db/installed": installed.String(),
		"etc/sdocker-fixture":  t.Name() + "\n", // makes each test's image distinct
	} {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(body))}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// fixtureImage is a one-layer image made of the layer tarball.
func fixtureImage(t testing.TB, layerTar []byte) v1.Image {
	t.Helper()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
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

// pushImage writes img to host/repo:tag and returns its pinned reference, repo@sha256:….
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
		if os.Getenv("CI") == "true" {
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
