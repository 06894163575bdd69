package verify

import (
	"context"
	"os/exec"
	"testing"
	"time"

	"sdocker/defaults"
	"sdocker/scripts/scanfixture"
)

// BenchmarkScanGateWarm is the gate's cost when the digest is cached: what `sdocker run` pays
// for a scan before it execs docker. The target is at most 5 ms; warm-ms/op is reported.
func BenchmarkScanGateWarm(b *testing.B) {
	trivy := realTrivy(b)
	trivyCache := fixtureTrivyCache(b, b.TempDir(), scanfixture.UpdatedAt)
	ref := pushImage(b, startRegistry(b), "bench/vulnerable", fixtureImage(b, scanfixture.Vulnerable))
	in := ScanInput{Ref: ref, Source: SourceRemote, Trivy: trivy, TrivyCacheDir: trivyCache,
		Cache: &Cache{Dir: b.TempDir()}, Rule: defaults.Scan{FailOn: "critical", IgnoreUnfixed: true}, Resolver: helperResolver(b)}
	if _, err := Scan(context.Background(), in); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rep, err := Scan(context.Background(), in)
		if err != nil || !rep.CacheHit {
			b.Fatalf("warm scan: %v, hit=%v", err, rep.CacheHit)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "warm-ms/op")
}

// BenchmarkScanGateCold compares a cold gate (trivy runs, its report is parsed and judged, the
// result cached) with trivy alone run with the same arguments, alternating the two so that
// both see the same machine load. It reports both times and the gate's overhead in percent
// (the target is at most 5 %).
func BenchmarkScanGateCold(b *testing.B) {
	trivy := realTrivy(b)
	trivyCache := fixtureTrivyCache(b, b.TempDir(), scanfixture.UpdatedAt)
	ref := pushImage(b, startRegistry(b), "bench/vulnerable", fixtureImage(b, scanfixture.Vulnerable))
	in := ScanInput{Ref: ref, Source: SourceRemote, Trivy: trivy, TrivyCacheDir: trivyCache,
		Rule: defaults.Scan{FailOn: "critical", IgnoreUnfixed: true}, Resolver: helperResolver(b)}
	args := trivyRun{path: trivy, cacheDir: trivyCache, ref: ref, source: SourceRemote}.args()
	var gate, alone time.Duration
	b.ResetTimer()
	runGate := func() {
		in.Cache = &Cache{Dir: b.TempDir()} // empty: every gate runs trivy
		start := time.Now()
		if _, err := Scan(context.Background(), in); err != nil {
			b.Fatal(err)
		}
		gate += time.Since(start)
	}
	runAlone := func() {
		start := time.Now()
		cmd := exec.Command(trivy, args...)
		cmd.Env, cmd.Dir = trivyEnv(), "/"
		if out, err := cmd.Output(); err != nil || len(out) == 0 {
			b.Fatalf("trivy alone: %v", err)
		}
		alone += time.Since(start)
	}
	for i := 0; i < b.N; i++ {
		// Alternate the order, so that neither always runs on the other's warm caches.
		if i%2 == 0 {
			runGate()
			runAlone()
		} else {
			runAlone()
			runGate()
		}
	}
	n := float64(b.N)
	b.ReportMetric(float64(gate.Microseconds())/1000/n, "gate-ms/op")
	b.ReportMetric(float64(alone.Microseconds())/1000/n, "trivy-ms/op")
	b.ReportMetric(100*(float64(gate)/float64(alone)-1), "overhead-%")
}
