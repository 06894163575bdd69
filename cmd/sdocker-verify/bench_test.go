package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"sdocker/verify/sig/sigtest"
)

// BenchmarkVerifyVsCosign times `sdocker verify` cold (empty cache: helper, registry, cosign
// library) and warm (cache hit: no helper, no registry request) against the cosign CLI's
// `cosign verify --key` on the same signed image, and reports the ratios. It needs the cosign
// CLI named by $COSIGN_BIN (scripts/bench-verify.sh builds one); the tests never do.
func BenchmarkVerifyVsCosign(b *testing.B) {
	cosignBin := os.Getenv("COSIGN_BIN")
	if cosignBin == "" {
		b.Skip("COSIGN_BIN is not set; run scripts/bench-verify.sh")
	}
	dir := b.TempDir()
	reg := sigtest.NewRegistry(b)
	key := sigtest.NewKey(b, dir, "team")
	ref := reg.Host + "/team/bench:v1"
	d := sigtest.PushRandom(b, ref)
	sigtest.Sign(b, d, key.Signer, sigtest.SignOptions{})
	policy := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(policy, []byte("version: 1\nimages:\n  - match: \"**\"\n    signature: {keys: ["+key.PubPath+"]}\n"), 0o644); err != nil {
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
	cosignEnv := []string{"TUF_ROOT=" + filepath.Join(dir, "tuf"), "COSIGN_EXPERIMENTAL=0"}
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
		cosign += run(cosignEnv, cosignBin, "verify", "--key", key.PubPath, "--insecure-ignore-tlog=true", ref)
	}
	n := float64(b.N)
	b.ReportMetric(float64(cold.Microseconds())/n/1000, "ms-cold")
	b.ReportMetric(float64(warm.Microseconds())/n/1000, "ms-warm")
	b.ReportMetric(float64(cosign.Microseconds())/n/1000, "ms-cosign")
	b.ReportMetric(float64(cold)/float64(cosign), "cold/cosign")
	b.ReportMetric(float64(warm)/float64(cosign), "warm/cosign")
}
