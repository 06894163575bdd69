package verify

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"sdocker/defaults"
	"sdocker/scripts/scanfixture"
)

// benchRefs pushes what the gate benchmarks scan: an image by its digest, an index (of the
// issue-15 kind: a v3 and a plain linux/amd64 image) by its digest and by its tag. For each it
// also returns the single image trivy alone is given for comparison (for the index, the child
// the gate picks for linux/amd64).
func benchRefs(b *testing.B) (names, refs, alone []string) {
	host := startRegistry(b)
	img := pushImage(b, host, "bench/vulnerable", fixtureImage(b, scanfixture.Vulnerable))
	index, children := pushIndex(b, host, "bench/index", variantIndex(b, scanfixture.Clean))
	child := strings.Split(index, "@")[0] + "@" + children[1]
	tag := strings.Split(index, "@")[0] + ":latest"
	return []string{"image-digest", "index-digest", "index-tag", "index-tag-fresh"},
		[]string{img, index, tag, tag},
		[]string{img, child, child, child}
}

// BenchmarkScanGateWarm is the gate's cost when the result is cached: what `sdocker run` pays
// for a scan before it execs docker (target ≤ 5 ms). A digest, or a tag resolved less than
// TagTTL ago, needs no registry request; "index-tag-fresh" is a pull's, which resolves the tag
// on the registry each time, through the sdocker-verify helper. warm-ms/op is reported.
func BenchmarkScanGateWarm(b *testing.B) {
	trivy := realTrivy(b)
	trivyCache := fixtureTrivyCache(b, b.TempDir(), scanfixture.UpdatedAt)
	names, refs, _ := benchRefs(b)
	for i, ref := range refs {
		b.Run(names[i], func(b *testing.B) {
			in := ScanInput{Ref: ref, Source: SourceRemote, Platform: "linux/amd64", Trivy: trivy, TrivyCacheDir: trivyCache,
				Cache: &Cache{Dir: b.TempDir()}, Rule: defaults.Scan{FailOn: "critical", IgnoreUnfixed: true}, Resolver: helperResolver(b),
				FreshTag: strings.HasSuffix(names[i], "-fresh")}
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
		})
	}
}

// BenchmarkScanGateCold compares a cold gate (the manifest read through the helper, trivy run
// on the image picked, its report parsed and judged, the result cached) with trivy alone run
// on that image with the same arguments, alternating the two so that both see the same machine
// load. It reports both times and the gate's overhead in percent (the target is at most 5 %).
func BenchmarkScanGateCold(b *testing.B) {
	trivy := realTrivy(b)
	trivyCache := fixtureTrivyCache(b, b.TempDir(), scanfixture.UpdatedAt)
	names, refs, alone := benchRefs(b)
	for i, ref := range refs {
		if strings.HasSuffix(names[i], "-fresh") {
			continue // a cold gate always resolves afresh
		}
		b.Run(names[i], func(b *testing.B) {
			in := ScanInput{Ref: ref, Source: SourceRemote, Platform: "linux/amd64", Trivy: trivy, TrivyCacheDir: trivyCache,
				Rule: defaults.Scan{FailOn: "critical", IgnoreUnfixed: true}, Resolver: helperResolver(b), FreshTag: true}
			args := trivyRun{path: trivy, cacheDir: trivyCache, ref: alone[i], source: SourceRemote}.args()
			var gate, trivyAlone time.Duration
			b.ResetTimer()
			runGate := func() {
				in.Cache = &Cache{Dir: b.TempDir()} // empty: every gate reads the manifest and runs trivy
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
				trivyAlone += time.Since(start)
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
			b.ReportMetric(float64(trivyAlone.Microseconds())/1000/n, "trivy-ms/op")
			b.ReportMetric(100*(float64(gate)/float64(trivyAlone)-1), "overhead-%")
		})
	}
}
