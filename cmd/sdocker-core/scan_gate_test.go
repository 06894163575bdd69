package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

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
