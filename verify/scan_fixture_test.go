package verify

import (
	"io"
	"log"
	"net/http/httptest"
	"os"
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

func realTrivy(t testing.TB) string { return scanfixture.Trivy(t) }

func countingTrivy(t testing.TB, real string) (string, func() int) {
	return scanfixture.CountingTrivy(t, real)
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
