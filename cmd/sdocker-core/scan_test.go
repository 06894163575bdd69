package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"sdocker/scripts/scanfixture"
	"sdocker/verify"
)

func TestParseScanArgs(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		want    scanOptions
		wantErr string
	}{
		{"images", []string{"a", "b:1"}, scanOptions{format: "text", images: []string{"a", "b:1"}}, ""},
		{"flags anywhere", []string{"a", "--format", "json", "--policy=p.yaml", "b"},
			scanOptions{format: "json", policy: "p.yaml", images: []string{"a", "b"}}, ""},
		{"image source", []string{"--image-src=remote", "a"},
			scanOptions{format: "text", source: verify.SourceRemote, sourceSet: true, images: []string{"a"}}, ""},
		{"platform", []string{"--platform", "linux/arm64/v8", "a"},
			scanOptions{format: "text", platform: "linux/arm64/v8", images: []string{"a"}}, ""},
		{"bad platform", []string{"--platform=linux/amd64/v3/x/y", "a"}, scanOptions{}, "reading platform"},
		{"double dash", []string{"--", "--format"}, scanOptions{format: "text", images: []string{"--format"}}, ""},
		{"no image", []string{"--format", "json"}, scanOptions{}, "no image given"},
		{"bad format", []string{"--format", "xml", "a"}, scanOptions{}, `unknown format "xml"`},
		{"bad source", []string{"--image-src", "podman", "a"}, scanOptions{}, `unknown image source "podman"`},
		{"unknown flag", []string{"--severity", "HIGH", "a"}, scanOptions{}, "unknown flag: --severity"},
		{"missing value", []string{"a", "--policy"}, scanOptions{}, "flag needs an argument: --policy"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseScanArgs(tc.args)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("parseScanArgs = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

// countingTrivy sets up the fixture database in dir and a trivy that records each run: it
// returns the database directory, the recording trivy, and a count of its runs so far.
func countingTrivy(t *testing.T, dir string) (cacheDir, trivyPath string, calls func() int) {
	t.Helper()
	cacheDir = filepath.Join(dir, "trivy")
	if err := scanfixture.TrivyCache(cacheDir, scanfixture.UpdatedAt); err != nil {
		t.Fatal(err)
	}
	trivyPath, calls = scanfixture.CountingTrivy(t, scanfixture.Trivy(t))
	return cacheDir, trivyPath, calls
}

// loadFixtureImage loads a fixture Alpine image into the daemon as tag and removes it after.
func loadFixtureImage(t *testing.T, tag string, pkgs []scanfixture.Package) {
	t.Helper()
	img, err := scanfixture.Image(tag+" "+runLabel, pkgs...)
	if err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(t.TempDir(), "image.tar")
	if err := scanfixture.WriteDockerArchive(archive, tag, img); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("docker", "load", "-i", archive).CombinedOutput(); err != nil {
		t.Fatalf("docker load %s: %v\n%s", tag, err, out)
	}
	t.Cleanup(func() { exec.Command("docker", "rmi", "-f", tag).Run() })
}

// TestScanLocalImages runs `sdocker scan` on images loaded into the real dockerd, with the
// real trivy and the fixture database: the vulnerable image is refused with its table, the
// clean one passes, and a second scan in a new process runs no trivy.
func TestScanLocalImages(t *testing.T) {
	requireDaemon(t)
	dir := t.TempDir()
	trivyCache, wrapper, countCalls := countingTrivy(t, dir)
	policy := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(policy, []byte(`version: 1
images:
  - match: "sdocker-test/scan-**"
    scan:
      fail_on: high
      ignore:
        - {id: CVE-2099-1002, package: busybox, reason: "tar applet unused", expires: 2099-01-01}
  - match: "**"
`), 0o644); err != nil {
		t.Fatal(err)
	}
	vulnerable, clean := "sdocker-test/scan-vulnerable:1", "sdocker-test/scan-clean:1"
	loadFixtureImage(t, vulnerable, scanfixture.Vulnerable)
	loadFixtureImage(t, clean, scanfixture.Clean)
	env := []string{"SDOCKER_TRIVY=" + wrapper, "TRIVY_CACHE_DIR=" + trivyCache, "XDG_CACHE_HOME=" + filepath.Join(dir, "cache")}
	scan := func(args ...string) result {
		return runBin(t, sdockerBin, "", env, append([]string{"scan", "--policy", policy}, args...)...)
	}

	r := scan(vulnerable)
	if r.code != 125 {
		t.Fatalf("scan of the vulnerable image: exit %d, want 125\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"refused by the scan gate", `(rule "sdocker-test/scan-**")`, "CVE-2099-1003", "zlib",
		"CVE-2099-1001", "musl", "1.2.5-r8", "1.2.5-r9", "blocking: 1 critical, 1 high", "1 ignored", "to ignore one"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("refusal lacks %q:\n%s", want, r.stderr)
		}
	}
	if strings.Contains(r.stderr, "\r") || r.stdout != "" {
		t.Errorf("progress or output on a non-terminal: stdout %q, stderr %q", r.stdout, r.stderr)
	}

	r = scan(clean)
	if r.code != 0 || !strings.Contains(r.stdout, "passed the scan gate") {
		t.Fatalf("scan of the clean image: exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	if n := countCalls(); n != 2 {
		t.Fatalf("trivy ran %d times for two images, want 2", n)
	}

	// Warm: new processes, same digests: no trivy, same verdicts.
	r = scan("--format", "json", vulnerable, clean)
	if r.code != 125 {
		t.Fatalf("warm scan: exit %d, want 125\nstderr: %s", r.code, r.stderr)
	}
	var got []struct {
		Name     string `json:"name"`
		Passed   bool   `json:"passed"`
		Refused  bool   `json:"refused"`
		CacheHit bool   `json:"cache_hit"`
		ImageID  string `json:"image_id"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || len(got) != 2 {
		t.Fatalf("json output: %v\n%s", err, r.stdout)
	}
	if !got[0].Refused || got[0].Passed || !got[1].Passed || got[1].Refused || !got[0].CacheHit || !got[1].CacheHit {
		t.Errorf("warm results = %+v, want vulnerable refused, clean passed, both from the cache", got)
	}
	if n := countCalls(); n != 2 {
		t.Errorf("trivy ran %d times, want still 2: a warm gate runs no scanner", n)
	}

	// A missing scanner fails closed.
	r = runBin(t, sdockerBin, "", append(env[1:], "SDOCKER_TRIVY="+filepath.Join(dir, "no-trivy"),
		"XDG_CACHE_HOME="+t.TempDir()), "scan", "--policy", policy, clean)
	if r.code != 125 || !strings.Contains(r.stderr, "finding trivy") {
		t.Errorf("missing trivy: exit %d, stderr %q; want 125 and a clear line", r.code, r.stderr)
	}
}
