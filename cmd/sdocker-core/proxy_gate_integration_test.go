package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sdocker/scripts/scanfixture"
)

// The image gate at the API door: a create through sdocker proxy goes through the scan gate
// with the real trivy, as sdocker create does; a vulnerable image is refused with the daemon's
// error naming sdocker, a clean one is created pinned to the image ID that was scanned.
func TestProxyScanGate(t *testing.T) {
	requireDaemon(t)
	dir := t.TempDir()
	trivyCache, counting, _ := countingTrivy(t, dir)
	policy := filepath.Join(dir, "policy.yaml")
	os.WriteFile(policy, []byte("version: 1\nimages:\n  - match: \"sdocker-test/pgate-**\"\n    scan: {fail_on: high}\n"), 0o644)
	vulnerable, clean := "sdocker-test/pgate-vulnerable:1", "sdocker-test/pgate-clean:1"
	loadFixtureImage(t, vulnerable, scanfixture.Vulnerable)
	loadFixtureImage(t, clean, scanfixture.Clean)
	defer exec.Command("docker", "rmi", "-f", vulnerable, clean).Run()
	sock := filepath.Join(dir, "docker.sock")
	p := exec.Command(sdockerBin, "proxy", "--listen", "unix://"+sock)
	p.Env = append(os.Environ(), "SDOCKER_POLICY="+policy, "SDOCKER_TRIVY="+counting, "TRIVY_CACHE_DIR="+trivyCache,
		"XDG_CACHE_HOME="+filepath.Join(dir, "cache"))
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { p.Process.Signal(os.Interrupt); p.Wait() }()
	appears(sock)
	host := []string{"DOCKER_HOST=unix://" + sock}
	r := runBin(t, "docker", "", host, append(append([]string{"create"}, labelled()...), vulnerable)...)
	if r.code == 0 || !strings.Contains(r.stderr, "Error response from daemon: sdocker: refused image "+vulnerable) || !strings.Contains(r.stderr, "CVE-2099-1001") {
		t.Fatalf("create of the vulnerable image through the proxy: %+v", r)
	}
	t.Logf("refusal: %s", r.stderr)
	r = runBin(t, "docker", "", host, append(append([]string{"create"}, labelled()...), clean, "/bin/true")...)
	if r.code != 0 {
		t.Fatalf("create of the clean image through the proxy: %+v", r)
	}
	id, _ := exec.Command("docker", "image", "inspect", "--format", "{{.Id}}", clean).Output()
	if c := inspect(t, strings.TrimSpace(r.stdout)); c["Image"] != strings.TrimSpace(string(id)) {
		t.Errorf("the container's image is %v, want the scanned ID %s", c["Image"], id)
	}
}
