package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"

	"sdocker/verify/sig/sigtest"
)

// BenchmarkVerifyVsCosign times `sdocker verify` cold (empty cache: helper, registry, bundle
// verification) and warm (cache hit: no helper, no registry request) against the cosign v3
// CLI's `cosign verify --key … --insecure-ignore-tlog` on the same image, signed by that CLI
// with its default format (a Sigstore bundle referrer, on a registry with the referrers API),
// and reports the ratios. It needs the cosign v3 CLI (scripts/install-cosign.sh).
func BenchmarkVerifyVsCosign(b *testing.B) {
	cosignBin := cosignCLI(b)
	c := cosignRun{t: b, bin: cosignBin, dir: b.TempDir()}
	dir := c.dir
	reg := sigtest.NewRegistry(b, registry.WithReferrersSupport(true))
	pub := c.key("team")
	ref := reg.Host + "/team/bench:v1"
	d := sigtest.PushRandom(b, ref)
	c.sign(strings.TrimSuffix(pub, ".pub"), d.String())
	policy := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(policy, []byte("version: 1\nimages:\n  - match: \"**\"\n    signature: {keys: ["+pub+"]}\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	warmCache := b.TempDir()
	run := func(env []string, bin string, args ...string) time.Duration {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), env...)
		start := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%s %v: %v\n%s", bin, args, err, out)
		}
		return time.Since(start)
	}
	sdocker := filepath.Join(binDir, "sdocker")
	sdockerEnv := func(cache string) []string {
		return []string{"SDOCKER_POLICY=" + policy, "XDG_CACHE_HOME=" + cache, "DOCKER_CONTENT_TRUST="}
	}
	cosignEnv := []string{"TUF_ROOT=" + filepath.Join(dir, "tuf"), "HOME=" + dir}
	// What is measured is the bundle path: the image has no legacy signature.
	check := exec.Command(sdocker, "verify", "--format", "json", ref)
	check.Env = append(os.Environ(), sdockerEnv(b.TempDir())...)
	if out, err := check.CombinedOutput(); err != nil || !strings.Contains(string(out), `"sigstore-bundle"`) {
		b.Fatalf("sdocker verify did not verify a bundle: %v\n%s", err, out)
	}
	run(sdockerEnv(warmCache), sdocker, "verify", ref) // fill the warm cache
	var cold, warm, cosign time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cold += run(sdockerEnv(b.TempDir()), sdocker, "verify", ref)
		before := reg.Requests.Load()
		warm += run(sdockerEnv(warmCache), sdocker, "verify", ref)
		if n := reg.Requests.Load() - before; n != 0 {
			b.Fatalf("a warm verify made %d registry requests", n)
		}
		cosign += run(cosignEnv, cosignBin, "verify", "--key", pub, "--insecure-ignore-tlog=true", ref)
	}
	n := float64(b.N)
	b.ReportMetric(float64(cold.Microseconds())/n/1000, "ms-cold")
	b.ReportMetric(float64(warm.Microseconds())/n/1000, "ms-warm")
	b.ReportMetric(float64(cosign.Microseconds())/n/1000, "ms-cosign")
	b.ReportMetric(float64(cold)/float64(cosign), "cold/cosign")
	b.ReportMetric(float64(warm)/float64(cosign), "warm/cosign")
}
