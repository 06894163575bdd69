// Package scanfixture builds what the scan gate's tests and benchmarks run trivy against,
// offline: a fixture vulnerability database (BoltDB loaded from the YAML files in db/, the
// format of trivy's own test fixtures, plus db/metadata.json) and small Alpine images whose
// package database carries known vulnerable versions. It is test support: the sdocker binary
// never imports it.
package scanfixture

import (
	"archive/tar"
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	fixtures "github.com/aquasecurity/bolt-fixtures"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

//go:embed db/*.yaml
var dbFiles embed.FS

// UpdatedAt is the default update time of the fixture database.
var UpdatedAt = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// Package is one entry of an Alpine package database (lib/apk/db/installed).
type Package struct{ Name, Version string }

// Vulnerable carries one finding of each severity in the fixture database:
// CVE-2099-1003 CRITICAL (zlib, no fix), CVE-2099-1001 HIGH (musl, fixed in 1.2.5-r9),
// CVE-2099-1002 MEDIUM (busybox, fixed in 1.37.0-r14), CVE-2099-1004 LOW (libcrypto3).
var Vulnerable = []Package{
	{"musl", "1.2.5-r8"},
	{"busybox", "1.37.0-r12"},
	{"zlib", "1.3.1-r2"},
	{"libcrypto3", "3.5.0-r0"},
	{"alpine-baselayout", "3.7.0-r0"},
}

// Clean has the fixed versions only: no finding.
var Clean = []Package{{"musl", "1.2.5-r9"}, {"busybox", "1.37.0-r14"}, {"alpine-baselayout", "3.7.0-r0"}}

// TrivyCache writes the fixture database into dir, trivy's --cache-dir (dir/db/trivy.db and
// dir/db/metadata.json), replacing any database there.
func TrivyCache(dir string, updatedAt time.Time) error {
	dbDir := filepath.Join(dir, "db")
	if err := os.MkdirAll(dbDir, 0o700); err != nil {
		return err
	}
	src, err := os.MkdirTemp("", "scanfixture-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(src)
	names, err := dbFiles.ReadDir("db")
	if err != nil {
		return err
	}
	var files []string
	for _, n := range names {
		data, err := dbFiles.ReadFile("db/" + n.Name())
		if err != nil {
			return err
		}
		p := filepath.Join(src, n.Name())
		if err := os.WriteFile(p, data, 0o600); err != nil {
			return err
		}
		files = append(files, p)
	}
	dbPath := filepath.Join(dbDir, "trivy.db")
	if err := os.Remove(dbPath); err != nil && !os.IsNotExist(err) {
		return err
	}
	loader, err := fixtures.New(dbPath, files)
	if err != nil {
		return fmt.Errorf("opening the fixture database: %w", err)
	}
	if err := loader.Load(); err != nil {
		loader.Close()
		return fmt.Errorf("loading the fixture database: %w", err)
	}
	if err := loader.Close(); err != nil {
		return err
	}
	meta, err := json.Marshal(map[string]any{
		"Version": 2, "NextUpdate": updatedAt.Add(24 * time.Hour), "UpdatedAt": updatedAt, "DownloadedAt": updatedAt,
	})
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dbDir, "metadata.json"), meta, 0o600)
}

// AlpineLayer is an image layer that trivy reads as Alpine 3.22.1 with the given packages.
// marker is written into the layer, so that images built for different tests differ.
func AlpineLayer(marker string, pkgs ...Package) ([]byte, error) {
	var installed strings.Builder
	for _, p := range pkgs {
		fmt.Fprintf(&installed, "P:%s\nV:%s\nA:x86_64\no:%s\nL:MIT\n\n", p.Name, p.Version, p.Name)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, d := range []string{"etc/", "lib/", "lib/apk/", "lib/apk/db/"} {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d, Mode: 0o755}); err != nil {
			return nil, err
		}
	}
	for _, f := range []struct{ name, body string }{
		{"etc/alpine-release", "3.22.1\n"},
		{"lib/apk/db/installed", installed.String()},
		{"etc/sdocker-fixture", marker + "\n"},
	} {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: f.name, Mode: 0o644, Size: int64(len(f.body))}); err != nil {
			return nil, err
		}
		if _, err := tw.Write([]byte(f.body)); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Image is a one-layer image of Alpine packages (see AlpineLayer).
func Image(marker string, pkgs ...Package) (v1.Image, error) {
	layerTar, err := AlpineLayer(marker, pkgs...)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	})
	if err != nil {
		return nil, err
	}
	return mutate.AppendLayers(empty.Image, layer)
}

// WriteDockerArchive writes img as a `docker load` archive tagged tag.
func WriteDockerArchive(path, tag string, img v1.Image) error {
	t, err := name.NewTag(tag)
	if err != nil {
		return err
	}
	return tarball.WriteToFile(path, t, img)
}

// Child is one image of an index, for the platform given.
type Child struct {
	Image    v1.Image
	Platform v1.Platform
}

// Index is a multi-platform image: each child's configuration says its platform, and so does
// its descriptor in the index, in the order given.
func Index(children ...Child) (v1.ImageIndex, error) {
	var adds []mutate.IndexAddendum
	for _, c := range children {
		cf, err := c.Image.ConfigFile()
		if err != nil {
			return nil, err
		}
		cf = cf.DeepCopy()
		cf.OS, cf.Architecture, cf.Variant = c.Platform.OS, c.Platform.Architecture, c.Platform.Variant
		img, err := mutate.ConfigFile(c.Image, cf)
		if err != nil {
			return nil, err
		}
		p := c.Platform
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &p}})
	}
	return mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex), adds...), nil
}
