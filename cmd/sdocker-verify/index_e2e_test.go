package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"sdocker/scripts/scanfixture"
	"sdocker/verify/sig/sigtest"
)

// The scan gate and multi-platform indexes, against the real dockerd, trivy with the fixture
// database, sdocker-verify and a registry on 127.0.0.1. The indexes are those of issue 15: a
// linux/amd64 image with the variant v3 listed first, a plain linux/amd64 image after it.
// go-containerregistry (and so trivy) takes the v3 one for linux/amd64; dockerd takes the plain one.

// child is one image of a test index: runnable (it prints say), with an Alpine package database
// that is clean or vulnerable.
type child struct {
	platform v1.Platform
	say      string
	pkgs     []scanfixture.Package
}

type pushedIndex struct {
	ref      string      // HOST/REPO:1
	index    name.Digest // the index
	children []name.Digest
	configs  []string // each child's config digest: the image ID docker gives it
}

func pushVariantIndex(t *testing.T, w *world, repo string, children ...child) pushedIndex {
	t.Helper()
	var kids []scanfixture.Child
	for _, c := range children {
		img := sigtest.RunnableImage(t, ctrBin, "say", c.say, "", "0")
		layerTar, err := scanfixture.AlpineLayer(c.say+" "+runID, c.pkgs...)
		if err != nil {
			t.Fatal(err)
		}
		layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(layerTar)), nil })
		if err != nil {
			t.Fatal(err)
		}
		if img, err = mutate.AppendLayers(img, layer); err != nil {
			t.Fatal(err)
		}
		kids = append(kids, scanfixture.Child{Image: img, Platform: c.platform})
	}
	idx, err := scanfixture.Index(kids...)
	if err != nil {
		t.Fatal(err)
	}
	p := pushedIndex{ref: fmt.Sprintf("%s/idx-%s/%s:1", w.reg.Host, runID, repo)}
	tag, err := name.NewTag(p.ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(tag, idx); err != nil {
		t.Fatal(err)
	}
	d, _ := idx.Digest()
	p.index = tag.Context().Digest(d.String())
	im, _ := idx.IndexManifest()
	cleanup := []string{p.ref, p.index.String()}
	for _, m := range im.Manifests {
		cd := tag.Context().Digest(m.Digest.String())
		img, err := idx.Image(m.Digest)
		if err != nil {
			t.Fatal(err)
		}
		cfg, _ := img.ConfigName()
		p.children, p.configs = append(p.children, cd), append(p.configs, cfg.String())
		cleanup = append(cleanup, cd.String())
	}
	rmi(t, cleanup...)
	return p
}

func imageID(ref string) string {
	out, _ := exec.Command("docker", "image", "inspect", "-f", "{{.Id}}", ref).Output()
	return strings.TrimSpace(string(out))
}

func scanEnv(t *testing.T) []string {
	t.Helper()
	cache := filepath.Join(t.TempDir(), "trivy")
	if err := scanfixture.TrivyCache(cache, scanfixture.UpdatedAt); err != nil {
		t.Fatal(err)
	}
	return []string{"SDOCKER_TRIVY=" + scanfixture.Trivy(t), "TRIVY_CACHE_DIR=" + cache}
}

var (
	amd64v3 = v1.Platform{OS: "linux", Architecture: "amd64", Variant: "v3"}
	amd64   = v1.Platform{OS: "linux", Architecture: "amd64"}
	arm64   = v1.Platform{OS: "linux", Architecture: "arm64"}
)

// An index whose clean linux/amd64/v3 image is listed before its vulnerable plain linux/amd64
// image is refused by pull, create and run, with or without --platform linux/amd64 or
// DOCKER_DEFAULT_PLATFORM, with or without a signature rule; the refusal names the plain image,
// and nothing reaches the daemon.
func TestScanGateRefusesTheIndexImageDockerWouldPull(t *testing.T) {
	requireDaemon(t)
	w := newWorld(t)
	rmContainers(t)
	env := scanEnv(t)
	p := pushVariantIndex(t, w, "variant",
		child{amd64v3, "v3", scanfixture.Clean}, child{amd64, "plain", scanfixture.Vulnerable})
	sigtest.Sign(t, p.index, w.team.Signer, sigtest.SignOptions{})
	label := bypassLabel + "=" + runID
	rules := map[string]string{
		"scan only":          "    scan: {fail_on: high}\n",
		"signature and scan": fmt.Sprintf("    signature: {keys: [%s]}\n    scan: {fail_on: high}\n", w.team.PubPath),
	}
	for rname, rule := range rules {
		writePolicy(t, w.policy, fmt.Sprintf("version: 1\nimages:\n  - match: \"%s/idx-*/**\"\n%s", w.reg.Host, rule))
		for _, tc := range []struct {
			name string
			env  []string
			args []string
		}{
			{"pull", nil, []string{"pull", p.ref}},
			{"pull by the index digest", nil, []string{"pull", p.index.String()}},
			{"pull --platform linux/amd64", nil, []string{"pull", "--platform", "linux/amd64", p.ref}},
			{"create", nil, []string{"create", "--label", label, p.ref}},
			{"create with DOCKER_DEFAULT_PLATFORM", []string{"DOCKER_DEFAULT_PLATFORM=linux/amd64"}, []string{"create", "--label", label, p.ref}},
			{"run", nil, []string{"run", "--rm", "--label", label, p.ref}},
			{"run --platform linux/amd64", nil, []string{"run", "--rm", "--platform", "linux/amd64", "--label", label, p.ref}},
		} {
			t.Run(rname+"/"+tc.name, func(t *testing.T) {
				r := w.sdocker(t, append(append([]string{}, env...), tc.env...), tc.args...)
				t.Logf("sdocker %v said:\n%s", tc.args, r.stderr)
				if r.code != 125 || !strings.Contains(r.stderr, "refused by the scan gate") ||
					!strings.Contains(r.stderr, "linux/amd64 image "+p.children[1].DigestStr()) || r.stdout != "" {
					t.Fatalf("sdocker %v: exit %d, stdout %q; want refused, naming the plain linux/amd64 image %s\n%s",
						tc.args, r.code, r.stdout, p.children[1].DigestStr(), r.stderr)
				}
				for _, ref := range []string{p.ref, p.index.String(), p.children[0].String(), p.children[1].String()} {
					if local(ref) {
						t.Fatalf("%s reached the daemon", ref)
					}
				}
				out, _ := exec.Command("docker", "ps", "-aq", "--filter", "label="+label).Output()
				if strings.TrimSpace(string(out)) != "" {
					t.Fatalf("a refused image got a container: %s", out)
				}
			})
		}
	}
}

// A clean index passes, and what runs is the image that was scanned: docker's image ID is the
// config digest of the plain linux/amd64 image the gate named. Asked for linux/amd64/v3, the
// gate judges the (vulnerable) v3 image instead; a local image of another platform than the one
// asked for is not taken for the one scanned.
func TestScanGateRunsTheIndexImageItScanned(t *testing.T) {
	requireDaemon(t)
	w := newWorld(t)
	rmContainers(t)
	env := scanEnv(t)
	p := pushVariantIndex(t, w, "clean",
		child{amd64v3, "v3", scanfixture.Vulnerable}, child{amd64, "plain", scanfixture.Clean}, child{arm64, "arm", scanfixture.Vulnerable})
	writePolicy(t, w.policy, fmt.Sprintf("version: 1\nimages:\n  - match: \"%s/idx-*/**\"\n    scan: {fail_on: high}\n", w.reg.Host))
	label := bypassLabel + "=" + runID

	r := w.sdocker(t, env, "run", "--rm", "--label", label, p.ref)
	if r.code != 0 || strings.TrimSpace(r.stdout) != "plain" || !strings.Contains(r.stderr, "linux/amd64 image "+p.children[1].DigestStr()) {
		t.Fatalf("sdocker run %s: exit %d, stdout %q; want the plain linux/amd64 image run, and named\n%s", p.ref, r.code, r.stdout, r.stderr)
	}
	t.Logf("sdocker run said:\n%s", r.stderr)
	if id := imageID(p.children[1].String()); id != p.configs[1] {
		t.Fatalf("the daemon holds %s as %q, want the scanned image's config %s", p.children[1], id, p.configs[1])
	}
	exec.Command("docker", "rmi", "-f", p.children[1].String()).Run()

	r = w.sdocker(t, env, "create", "--label", label, p.ref)
	if r.code != 0 {
		t.Fatalf("sdocker create %s: %+v", p.ref, r)
	}
	out, err := exec.Command("docker", "inspect", "-f", "{{json .}}", strings.TrimSpace(r.stdout)).Output()
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Image  string
		Config struct{ Image string }
	}
	if err := json.Unmarshal(out, &c); err != nil {
		t.Fatal(err)
	}
	if c.Image != p.configs[1] || c.Config.Image != p.children[1].String() {
		t.Fatalf("container of image %s (%s), want the scanned %s (%s)", c.Image, c.Config.Image, p.configs[1], p.children[1])
	}

	refused := func(t *testing.T, platform, want string) {
		t.Helper()
		r := w.sdocker(t, env, "create", "--platform", platform, "--label", label, p.ref)
		if r.code != 125 || !strings.Contains(r.stderr, "refused by the scan gate") || !strings.Contains(r.stderr, want) {
			t.Fatalf("sdocker create --platform %s %s: exit %d, stdout %q; want refused naming %q\n%s",
				platform, p.ref, r.code, r.stdout, want, r.stderr)
		}
	}
	// No local image under the tag: the registry's linux/amd64/v3 image is the one judged.
	refused(t, "linux/amd64/v3", "linux/amd64/v3 image "+p.children[0].DigestStr())

	// The pull is tagged as typed, and the tag is the scanned image.
	if r := w.sdocker(t, env, "pull", "-q", p.ref); r.code != 0 || imageID(p.ref) != p.configs[1] {
		t.Fatalf("sdocker pull %s: %+v; the tag is %q, want %s", p.ref, r, imageID(p.ref), p.configs[1])
	}
	// The local image is linux/amd64: docker would pull the linux/arm64 one, so that is judged.
	refused(t, "linux/arm64", "linux/arm64 image "+p.children[2].DigestStr())

	// sdocker scan says which image of the index it judged.
	r = w.sdocker(t, env, "scan", "--format", "json", "--image-src", "remote", p.ref)
	var reps []struct{ Digest, Index, Platform string }
	if err := json.Unmarshal([]byte(r.stdout), &reps); err != nil || r.code != 0 || len(reps) != 1 {
		t.Fatalf("sdocker scan: %+v (%v)", r, err)
	}
	if got := reps[0]; got.Digest != p.children[1].DigestStr() || got.Index != p.index.DigestStr() || got.Platform != "linux/amd64" {
		t.Fatalf("sdocker scan judged %+v, want %s of %s for linux/amd64", got, p.children[1].DigestStr(), p.index.DigestStr())
	}
}

// The gate pulls an index's image by its own digest, which docker then records as the local
// image's repo digest; the signature is on the index. A later run of the tag still verifies:
// through the signed index the tag names, which lists that digest (then from the cache). An
// image no signed index lists stays unsigned.
func TestSignedIndexImagePulledByItsDigestStillVerifies(t *testing.T) {
	requireDaemon(t)
	w := newWorld(t)
	rmContainers(t)
	env := scanEnv(t)
	p := pushVariantIndex(t, w, "signed", child{amd64v3, "v3", scanfixture.Clean}, child{amd64, "plain", scanfixture.Clean},
		child{arm64, "arm", scanfixture.Clean})
	sigtest.Sign(t, p.index, w.team.Signer, sigtest.SignOptions{})
	writePolicy(t, w.policy, fmt.Sprintf("version: 1\nimages:\n  - match: \"%s/idx-*/**\"\n    signature: {keys: [%s]}\n    scan: {fail_on: high}\n",
		w.reg.Host, w.team.PubPath))
	if r := w.sdocker(t, env, "pull", "-q", p.ref); r.code != 0 || imageID(p.ref) != p.configs[1] {
		t.Fatalf("sdocker pull %s: %+v", p.ref, r)
	}
	for i := 0; i < 2; i++ {
		r := w.sdocker(t, env, "run", "--rm", "--label", bypassLabel+"="+runID, p.ref)
		if r.code != 0 || strings.TrimSpace(r.stdout) != "plain" || !strings.Contains(r.stderr, "signed by key") {
			t.Fatalf("sdocker run %s (%d): exit %d, stdout %q\n%s", p.ref, i, r.code, r.stdout, r.stderr)
		}
	}

	// For another platform than the local image's, docker pulls the tag: the tag's signed index
	// is what is verified, and its linux/arm64 image is what is scanned and created.
	r := w.sdocker(t, env, "create", "--platform", "linux/arm64", "--label", bypassLabel+"="+runID, p.ref)
	if r.code != 0 || !strings.Contains(r.stderr, "linux/arm64 image "+p.children[2].DigestStr()) {
		t.Fatalf("sdocker create --platform linux/arm64 %s: exit %d\n%s", p.ref, r.code, r.stderr)
	}
	if out, _ := exec.Command("docker", "inspect", "-f", "{{.Image}}", strings.TrimSpace(r.stdout)).Output(); strings.TrimSpace(string(out)) != p.configs[2] {
		t.Fatalf("the container's image is %s, want the scanned linux/arm64 image %s", out, p.configs[2])
	}

	// A local image under the tag that the signed index does not list stays unsigned: here an
	// unsigned image of the same repository, pulled with plain docker and tagged as the index.
	unsigned := strings.TrimSuffix(p.ref, ":1") + ":unsigned"
	u := sigtest.Push(t, unsigned, sigtest.RunnableImage(t, ctrBin, "say", "unsigned", "", "0"))
	rmi(t, unsigned, u.String())
	if out, err := exec.Command("docker", "pull", "-q", unsigned).CombinedOutput(); err != nil {
		t.Fatalf("docker pull %s: %v\n%s", unsigned, err, out)
	}
	if out, err := exec.Command("docker", "tag", unsigned, p.ref).CombinedOutput(); err != nil {
		t.Fatalf("docker tag: %v\n%s", err, out)
	}
	if r := w.sdocker(t, env, "run", "--rm", "--label", bypassLabel+"="+runID, p.ref); r.code != 125 || !strings.Contains(r.stderr, "no signatures found") {
		t.Fatalf("sdocker run %s, now an image the signed index does not list: exit %d, stdout %q\n%s", p.ref, r.code, r.stdout, r.stderr)
	}
}
