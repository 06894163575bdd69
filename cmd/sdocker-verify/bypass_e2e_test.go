package main

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"sdocker/scripts/scanfixture"
	"sdocker/verify/sig/sigtest"
)

// Tricks against the image checks, each verified by hand with the 28.2.2 CLI and the 20.10
// daemon before it was written down here. Every test states what sdocker should do; they fail
// while the trick works.

const bypassLabel = "sdocker-image-bypass"

func rmContainers(t *testing.T) {
	t.Helper()
	t.Cleanup(func() {
		out, _ := exec.Command("docker", "ps", "-aq", "--filter", "label="+bypassLabel+"="+runID).Output()
		if ids := strings.Fields(string(out)); len(ids) > 0 {
			exec.Command("docker", append([]string{"rm", "-f"}, ids...)...).Run()
		}
	})
}

func rmi(t *testing.T, refs ...string) {
	t.Cleanup(func() { exec.Command("docker", append([]string{"rmi", "-f"}, refs...)...).Run() })
}

// A registry host in another case is the same registry (host names are case-insensitive, and
// docker only requires the path to be lower case), but the policy's patterns are matched
// case-sensitively: `LOCALHOST:PORT/team/...` falls through to the catch-all, which asks for
// nothing, and docker pulls and runs the unsigned image.
func TestBypassRegistryHostInUpperCase(t *testing.T) {
	requireDaemon(t)
	w := newWorld(t)
	rmContainers(t)
	port := strings.TrimPrefix(w.reg.Host, "127.0.0.1:")
	writePolicy(t, w.policy, fmt.Sprintf(`version: 1
images:
  - match: "localhost:%s/team/**"
    signature: {keys: [%s]}
  - match: "**"
    signature: {required: false}
`, port, w.team.PubPath))
	lower := "localhost:" + port + strings.TrimPrefix(w.refs["unsigned"], w.reg.Host)
	if r := w.sdocker(t, nil, "pull", lower); r.code != 125 {
		t.Fatalf("control: the lower-case spelling is not refused: %+v", r)
	}
	for _, tc := range []struct{ name, host string }{{"LOCALHOST", "LOCALHOST:" + port}, {"LocalHost", "LocalHost:" + port}} {
		t.Run(tc.name, func(t *testing.T) {
			ref := tc.host + strings.TrimPrefix(w.refs["unsigned"], w.reg.Host)
			rmi(t, ref, tc.host+strings.TrimPrefix(w.pinned(w.refs["unsigned"]), w.reg.Host))
			if r := w.sdocker(t, nil, "pull", ref); r.code != 125 || local(ref) {
				t.Errorf("sdocker pull %s: exit %d, image pulled: %v; want refused as unsigned\n%s", ref, r.code, local(ref), r.stderr)
			}
			exec.Command("docker", "rmi", "-f", ref).Run()
			if r := w.sdocker(t, nil, "run", "--rm", "--label", bypassLabel+"="+runID, ref); r.code != 125 {
				t.Errorf("sdocker run %s: exit %d; want refused as unsigned\n%s%s", ref, r.code, r.stdout, r.stderr)
			}
		})
	}
}

// The same spelling breaks a legitimate pull where the catch-all itself requires signatures:
// docker accepts `LocalHost:PORT/team/signed:v1`, sdocker calls it an invalid reference.
func TestBreakUpperCaseRegistryHostIsInvalidToSdocker(t *testing.T) {
	requireDaemon(t)
	w := newWorld(t)
	writePolicy(t, w.policy, fmt.Sprintf("version: 1\nimages:\n  - match: \"**\"\n    signature: {keys: [%s]}\n", w.team.PubPath))
	port := strings.TrimPrefix(w.reg.Host, "127.0.0.1:")
	ref := "LocalHost:" + port + strings.TrimPrefix(w.refs["signed"], w.reg.Host)
	rmi(t, ref, "LocalHost:"+port+strings.TrimPrefix(w.pinned(w.refs["signed"]), w.reg.Host))
	if r := w.sdocker(t, nil, "pull", ref); r.code != 0 {
		t.Fatalf("sdocker pull %s of a signed image: exit %d; want it pulled\n%s", ref, r.code, r.stderr)
	}
}

// An image ID (short or full) names no repository, so no image rule matches it (it is read
// as docker.io/library/<id>): a local image that sdocker refuses by name, because its repo
// digest is unsigned, runs when named by its ID.
func TestBypassImageIDSkipsTheRepositoryRule(t *testing.T) {
	requireDaemon(t)
	w := newWorld(t)
	rmContainers(t)
	ref := w.refs["unsigned"]
	if out, err := exec.Command("docker", "pull", "-q", ref).CombinedOutput(); err != nil { // pulled around sdocker
		t.Fatalf("docker pull: %v\n%s", err, out)
	}
	out, err := exec.Command("docker", "image", "inspect", "-f", "{{.Id}}", ref).Output()
	if err != nil {
		t.Fatal(err)
	}
	id := strings.TrimSpace(string(out))
	if r := w.sdocker(t, nil, "run", "--rm", "--label", bypassLabel+"="+runID, ref); r.code != 125 {
		t.Fatalf("control: run by name is not refused: %+v", r)
	}
	for _, tc := range []struct{ name, image string }{
		{"short ID", strings.TrimPrefix(id, "sha256:")[:12]},
		{"a prefix of 4", strings.TrimPrefix(id, "sha256:")[:4]},
		{"sha256: and a prefix", id[:len("sha256:")+6]},
		{"full ID", id},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, cmd := range []string{"run", "create"} {
				r := w.sdocker(t, nil, cmd, "--rm", "--label", bypassLabel+"="+runID, tc.image)
				if r.code != 125 {
					t.Errorf("sdocker %s %s (the image of %s): exit %d; want refused like the name\n%s", cmd, tc.image, ref, r.code, r.stderr)
				}
			}
		})
	}
}

// `sdocker pull REPO:TAG` hands docker REPO@sha256:…, so the tag the user asked for is never
// created: `docker pull REPO:TAG && docker tag REPO:TAG …` (or save, build FROM, compose)
// breaks. docker's own content trust pulls by digest and then tags.
func TestBreakPullLeavesNoTag(t *testing.T) {
	requireDaemon(t)
	w := newWorld(t)
	ref := w.refs["signed"]
	if r := w.sdocker(t, nil, "pull", "-q", ref); r.code != 0 {
		t.Fatalf("sdocker pull %s: %+v", ref, r)
	}
	if !local(ref) {
		t.Fatalf("after sdocker pull %s, the daemon has no %s (only %s)", ref, ref, w.pinned(ref))
	}
}

// multiArch pushes, under HOST/multi-RUNID/app:1, an index whose linux/amd64 image is clean and
// whose linux/arm64 image carries HIGH and CRITICAL findings, and a trivy fixture database.
func multiArch(t *testing.T, w *world) (ref string, index name.Digest, trivyEnv []string) {
	t.Helper()
	trivy := scanfixture.Trivy(t)
	cache := filepath.Join(t.TempDir(), "trivy")
	if err := scanfixture.TrivyCache(cache, scanfixture.UpdatedAt); err != nil {
		t.Fatal(err)
	}
	withArch := func(img v1.Image, arch string) v1.Image {
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		cf = cf.DeepCopy()
		cf.OS, cf.Architecture = "linux", arch
		out, err := mutate.ConfigFile(img, cf)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	clean, err := scanfixture.Image("clean amd64 "+runID, scanfixture.Clean...)
	if err != nil {
		t.Fatal(err)
	}
	vuln, err := scanfixture.Image("vulnerable arm64 "+runID, scanfixture.Vulnerable...)
	if err != nil {
		t.Fatal(err)
	}
	idx := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.DockerManifestList),
		mutate.IndexAddendum{Add: withArch(clean, "amd64"), Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: withArch(vuln, "arm64"), Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64"}}})
	ref = fmt.Sprintf("%s/multi-%s/app:1", w.reg.Host, runID)
	tag, err := name.NewTag(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(tag, idx); err != nil {
		t.Fatal(err)
	}
	d, err := idx.Digest()
	if err != nil {
		t.Fatal(err)
	}
	index = tag.Context().Digest(d.String())
	rmi(t, ref, index.String())
	return ref, index, []string{"SDOCKER_TRIVY=" + trivy, "TRIVY_CACHE_DIR=" + cache}
}

func architecture(ref string) string {
	out, _ := exec.Command("docker", "image", "inspect", "-f", "{{.Architecture}}", ref).Output()
	return strings.TrimSpace(string(out))
}

// The scan gate once scanned one platform of a multi-platform index (trivy's default, the
// host's) and pinned the INDEX digest; docker was handed --platform as typed and got the other
// platform's image, which was never scanned.
func TestBypassScanGatePlatformOfAnIndex(t *testing.T) {
	requireDaemon(t)
	w := newWorld(t)
	ref, index, env := multiArch(t, w)
	writePolicy(t, w.policy, fmt.Sprintf("version: 1\nimages:\n  - match: \"%s/multi-*/**\"\n    scan: {fail_on: high}\n", w.reg.Host))
	if r := w.sdocker(t, env, "pull", "--platform", "linux/arm64", ref); r.code != 125 || architecture(index.String()) == "arm64" {
		t.Fatalf("sdocker pull --platform linux/arm64 %s: exit %d, the daemon now has the %q image (CVE-2099-1001 HIGH, CVE-2099-1003 CRITICAL); want refused by the scan gate\n%s",
			ref, r.code, architecture(index.String()), r.stderr)
	}
}

// The scan cache was keyed by the pinned digest, for an index the digest of the list, not of the
// image the daemon has: a clean scan of linux/amd64 passed, from the cache, the linux/arm64 image
// that the daemon holds under the same repo@sha256 (here pulled with plain docker). Now the
// local image is scanned by its ID and the cache holds only digests of single images.
func TestBypassScanCacheKeyedByIndexDigest(t *testing.T) {
	requireDaemon(t)
	w := newWorld(t)
	rmContainers(t)
	ref, index, env := multiArch(t, w)
	sigtest.Sign(t, index, w.team.Signer, sigtest.SignOptions{})
	writePolicy(t, w.policy, fmt.Sprintf("version: 1\nimages:\n  - match: \"%s/multi-*/**\"\n    signature: {keys: [%s]}\n    scan: {fail_on: high}\n",
		w.reg.Host, w.team.PubPath))
	if r := w.sdocker(t, env, "pull", "-q", ref); r.code != 0 || architecture(ref) != "amd64" {
		t.Fatalf("sdocker pull %s (clean linux/amd64): %+v", ref, r)
	}
	if out, err := exec.Command("docker", "pull", "-q", "--platform", "linux/arm64", index.String()).CombinedOutput(); err != nil {
		t.Fatalf("docker pull --platform linux/arm64: %v\n%s", err, out)
	}
	r := w.sdocker(t, env, "create", "--label", bypassLabel+"="+runID, index.String(), "/x")
	if r.code != 125 {
		t.Fatalf("sdocker create %s with the vulnerable linux/arm64 image local: exit %d, container %s; want refused by the scan gate\n%s",
			index, r.code, strings.TrimSpace(r.stdout), r.stderr)
	}
}
