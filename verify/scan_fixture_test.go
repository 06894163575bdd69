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
	"sync"
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

var (
	helperDir  string // where the sdocker-verify helper is built, once, for the tests that need it
	helperOnce sync.Once
	helperPath string
	helperErr  error
)

func TestMain(m *testing.M) {
	os.Exit(func() int {
		defer func() {
			if helperDir != "" {
				os.RemoveAll(helperDir)
			}
		}()
		return m.Run()
	}())
}

// helperResolver resolves manifests with the real sdocker-verify helper, built for the tests.
func helperResolver(t testing.TB) Resolver {
	t.Helper()
	helperOnce.Do(func() {
		if helperDir, helperErr = os.MkdirTemp("", "sdocker-verify-helper-"); helperErr != nil {
			return
		}
		helperPath = filepath.Join(helperDir, HelperName)
		if out, err := exec.Command("go", "build", "-o", helperPath, "sdocker/cmd/sdocker-verify").CombinedOutput(); err != nil {
			helperErr = fmt.Errorf("building %s: %v\n%s", HelperName, err, out)
		}
	})
	if helperErr != nil {
		t.Fatal(helperErr)
	}
	return HelperResolver{Helper: helperPath}
}

// pushIndex writes idx to host/repo:latest and returns its pinned reference and the digests
// of its children, in order.
func pushIndex(t testing.TB, host, repo string, idx v1.ImageIndex) (string, []string) {
	t.Helper()
	ref, err := name.ParseReference(host + "/" + repo + ":latest")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(ref, idx); err != nil {
		t.Fatalf("pushing %s: %v", ref, err)
	}
	d, err := idx.Digest()
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	var children []string
	for _, m := range im.Manifests {
		children = append(children, m.Digest.String())
	}
	return host + "/" + repo + "@" + d.String(), children
}

// variantIndex is the index of the issue: its first linux/amd64 image carries the variant v3
// and is clean; its plain linux/amd64 image is vulnerable; its linux/arm64 image is as arm64.
func variantIndex(t testing.TB, arm64 []scanfixture.Package) v1.ImageIndex {
	t.Helper()
	idx, err := scanfixture.Index(
		scanfixture.Child{Image: fixtureImage(t, scanfixture.Clean), Platform: v1.Platform{OS: "linux", Architecture: "amd64", Variant: "v3"}},
		scanfixture.Child{Image: fixtureImage(t, scanfixture.Vulnerable), Platform: v1.Platform{OS: "linux", Architecture: "amd64"}},
		scanfixture.Child{Image: fixtureImage(t, arm64), Platform: v1.Platform{OS: "linux", Architecture: "arm64"}},
	)
	if err != nil {
		t.Fatal(err)
	}
	return idx
}

func specsPlatform(os, arch, variant string) v1.Platform {
	return v1.Platform{OS: os, Architecture: arch, Variant: variant}
}
