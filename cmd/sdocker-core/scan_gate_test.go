package main

import (
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"sdocker/scripts/scanfixture"
)

// TestScanGateOnCreate: where the policy requires a scan, run and create go through the gate
// with the real trivy: a vulnerable image is refused with its table and nothing is created; a
// clean one is created pinned to the image ID that was scanned; the second time, no trivy runs.
func TestScanGateOnCreate(t *testing.T) {
	requireDaemon(t)
	dir := t.TempDir()
	trivyCache, counting, countCalls := countingTrivy(t, dir)
	policy := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(policy, []byte("version: 1\nimages:\n  - match: \"sdocker-test/gate-**\"\n    scan: {fail_on: high}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	vulnerable, clean := "sdocker-test/gate-vulnerable:1", "sdocker-test/gate-clean:1"
	loadFixtureImage(t, vulnerable, scanfixture.Vulnerable)
	loadFixtureImage(t, clean, scanfixture.Clean)
	env := []string{"SDOCKER_POLICY=" + policy, "SDOCKER_TRIVY=" + counting, "TRIVY_CACHE_DIR=" + trivyCache,
		"XDG_CACHE_HOME=" + filepath.Join(dir, "cache")}
	create := func(image string) result {
		return runBin(t, sdockerBin, "", env, append(append([]string{"create"}, labelled()...), image, "/bin/true")...)
	}

	for _, cmd := range [][]string{{"create"}, {"run", "--rm"}} {
		r := runBin(t, sdockerBin, "", env, append(append(cmd, labelled()...), vulnerable)...)
		if r.code != 125 || !strings.Contains(r.stderr, "refused by the scan gate") || !strings.Contains(r.stderr, "CVE-2099-1001") || r.stdout != "" {
			t.Fatalf("%v of the vulnerable image: %+v", cmd, r)
		}
	}
	out, _ := exec.Command("docker", "ps", "-aq", "--filter", "ancestor="+vulnerable).Output()
	if strings.TrimSpace(string(out)) != "" {
		t.Fatalf("a refused image got a container: %s", out)
	}

	r := create(clean)
	if r.code != 0 || !strings.Contains(r.stderr, "passed the scan gate") {
		t.Fatalf("create of the clean image: %+v", r)
	}
	id, err := exec.Command("docker", "image", "inspect", "--format", "{{.Id}}", clean).Output()
	if err != nil {
		t.Fatal(err)
	}
	c := inspect(t, strings.TrimSpace(r.stdout))
	if c["Image"] != strings.TrimSpace(string(id)) || c["Config"].(map[string]any)["Image"] != strings.TrimSpace(string(id)) {
		t.Fatalf("container not pinned to the scanned image %s: Image %v, Config.Image %v", id, c["Image"], c["Config"].(map[string]any)["Image"])
	}
	before := countCalls()
	if r := create(clean); r.code != 0 {
		t.Fatalf("warm create: %+v", r)
	}
	if n := countCalls(); n != before {
		t.Fatalf("a warm gate ran trivy (%d runs, was %d)", n, before)
	}
}

// TestScanGateOnPull: a pull of an image from a registry on 127.0.0.1 is scanned on the
// registry before docker pulls it: the vulnerable one is refused and never reaches the daemon;
// the clean one is pulled by the digest that was scanned.
func TestScanGateOnPull(t *testing.T) {
	requireDaemon(t)
	dir := t.TempDir()
	trivyCache, counting, _ := countingTrivy(t, dir)
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	push := func(repo string, pkgs []scanfixture.Package) (string, string) {
		img, err := scanfixture.Image(repo+" "+runLabel, pkgs...)
		if err != nil {
			t.Fatal(err)
		}
		ref := host + "/" + repo + ":1"
		tag, err := name.NewTag(ref, name.Insecure)
		if err != nil {
			t.Fatal(err)
		}
		if err := remote.Write(tag, img); err != nil {
			t.Fatal(err)
		}
		d, _ := img.Digest()
		t.Cleanup(func() { exec.Command("docker", "rmi", "-f", ref, host+"/"+repo+"@"+d.String()).Run() })
		return ref, d.String()
	}
	vulnerable, _ := push("gate/vulnerable", scanfixture.Vulnerable)
	clean, cleanDigest := push("gate/clean", scanfixture.Clean)
	policy := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(policy, []byte("version: 1\nimages:\n  - match: \""+host+"/gate/**\"\n    scan: {fail_on: high}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{"SDOCKER_POLICY=" + policy, "SDOCKER_TRIVY=" + counting, "TRIVY_CACHE_DIR=" + trivyCache,
		"XDG_CACHE_HOME=" + filepath.Join(dir, "cache")}

	r := runBin(t, sdockerBin, "", env, "pull", vulnerable)
	if r.code != 125 || !strings.Contains(r.stderr, "refused by the scan gate") {
		t.Fatalf("pull of the vulnerable image: %+v", r)
	}
	if exec.Command("docker", "image", "inspect", vulnerable).Run() == nil {
		t.Fatal("a refused image reached the daemon")
	}
	r = runBin(t, sdockerBin, "", env, "image", "pull", "-q", clean)
	if r.code != 0 || !strings.Contains(r.stdout, cleanDigest) {
		t.Fatalf("pull of the clean image: %+v, want it pulled by %s", r, cleanDigest)
	}
}
