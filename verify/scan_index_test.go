package verify

import (
	"context"
	"errors"
	"strings"
	"testing"

	"sdocker/defaults"
	"sdocker/scripts/scanfixture"
)

// The tests in this file run the real trivy, the real sdocker-verify helper and a registry on
// 127.0.0.1 against indexes whose images differ in platform variant and in vulnerabilities.

// TestScanIndexJudgesTheImageDockerPulls: of an index whose first linux/amd64 image carries the
// variant v3 and is clean, and whose plain linux/amd64 image is vulnerable, the gate scans the
// plain one for linux/amd64 (as dockerd picks it) and refuses, naming that image's digest and
// platform; for linux/amd64/v3 it scans and passes the v3 one. The cached result of one child
// is never the answer for another.
func TestScanIndexJudgesTheImageDockerPulls(t *testing.T) {
	f := newScanFixture(t)
	host, _, _ := strings.Cut(f.clean, "/")
	index, children := pushIndex(t, host, "fixture/variants", variantIndex(t, scanfixture.Clean))
	counting, calls := countingTrivy(t, f.trivy)
	in := f.input(index, defaults.Scan{FailOn: "high"})
	in.Trivy, in.Cache = counting, &Cache{Dir: t.TempDir()}

	cases := []struct {
		name, platform string
		wantChild      int // index into children
		wantPass       bool
		wantCalls      int // trivy runs so far
		wantHit        bool
	}{
		{"amd64/v3 scans and passes the v3 image", "linux/amd64/v3", 0, true, 1, false},
		{"plain amd64 is not answered by the v3 image's result", "linux/amd64", 1, false, 2, false},
		{"plain amd64 again, from its own cached result", "linux/amd64", 1, false, 2, true},
		{"DOCKER_DEFAULT_PLATFORM spelling of amd64", "linux/x86_64", 1, false, 2, true},
		{"arm64", "linux/arm64", 2, true, 3, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in.Platform = tc.platform
			rep, err := Scan(context.Background(), in)
			var refused *ScanRefusedError
			if tc.wantPass != (err == nil) || (!tc.wantPass && !errors.As(err, &refused)) {
				t.Fatalf("Scan = %v, want pass %v", err, tc.wantPass)
			}
			if rep.Digest != children[tc.wantChild] || rep.Index != refDigest(index) || rep.CacheHit != tc.wantHit || calls() != tc.wantCalls {
				t.Errorf("judged %s of %s (hit %v, %d trivy runs), want %s of %s (hit %v, %d runs)",
					rep.Digest, rep.Index, rep.CacheHit, calls(), children[tc.wantChild], refDigest(index), tc.wantHit, tc.wantCalls)
			}
			text := RenderSummary(rep)
			if !tc.wantPass {
				text = RenderRefusal(rep)
			}
			if !strings.Contains(text, rep.Platform) || !strings.Contains(text, rep.Digest) {
				t.Errorf("the message does not name the image judged (%s %s):\n%s", rep.Platform, rep.Digest, text)
			}
		})
	}

	t.Run("no image for the platform", func(t *testing.T) {
		in.Platform = "linux/s390x"
		_, err := Scan(context.Background(), in)
		var pe *PlatformError
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), "linux/amd64/v3, linux/amd64, linux/arm64") {
			t.Fatalf("Scan = %v, want a *PlatformError listing the index's platforms", err)
		}
	})
	t.Run("no platform at all", func(t *testing.T) {
		in.Platform = ""
		var pe *PlatformError
		if _, err := Scan(context.Background(), in); !errors.As(err, &pe) {
			t.Fatalf("Scan = %v, want a *PlatformError", err)
		}
	})
	t.Run("on_error allow does not let a missing platform through", func(t *testing.T) {
		in := in
		in.Platform, in.Rule.OnError = "linux/s390x", "allow"
		if rep, err := Scan(context.Background(), in); err == nil || rep.Passed {
			t.Fatalf("Scan passed: %+v", rep)
		}
	})
	t.Run("by tag", func(t *testing.T) {
		in := in
		in.Ref, in.Platform = strings.Split(index, "@")[0]+":latest", "linux/amd64"
		rep, err := Scan(context.Background(), in)
		if !errors.As(err, new(*ScanRefusedError)) || rep.Digest != children[1] || !rep.CacheHit {
			t.Fatalf("Scan by tag = %v, judged %s (hit %v), want the cached refusal of %s", err, rep.Digest, rep.CacheHit, children[1])
		}
	})
}

// TestScanIndexAllPlatforms: scan.all_platforms refuses an index any of whose images fails,
// naming that image, even when the one docker would run is clean.
func TestScanIndexAllPlatforms(t *testing.T) {
	f := newScanFixture(t)
	host, _, _ := strings.Cut(f.clean, "/")
	clean, err := scanfixture.Index(
		scanfixture.Child{Image: fixtureImage(t, scanfixture.Clean), Platform: specsPlatform("linux", "amd64", "")},
		scanfixture.Child{Image: fixtureImage(t, scanfixture.Clean), Platform: specsPlatform("linux", "arm64", "")},
	)
	if err != nil {
		t.Fatal(err)
	}
	cleanRef, _ := pushIndex(t, host, "fixture/all-clean", clean)
	mixedRef, children := pushIndex(t, host, "fixture/all-mixed", variantIndex(t, scanfixture.Clean))

	in := f.input(mixedRef, defaults.Scan{FailOn: "high", AllPlatforms: true})
	in.Platform = "linux/arm64"
	rep, err := Scan(context.Background(), in)
	if !errors.As(err, new(*ScanRefusedError)) || rep.Digest != children[1] || rep.Platform != "linux/amd64" {
		t.Fatalf("Scan = %v, judged %s (%s); want the refusal of the linux/amd64 image %s", err, rep.Digest, rep.Platform, children[1])
	}
	if !strings.Contains(RenderRefusal(rep), "scan.all_platforms") {
		t.Errorf("the refusal does not say why another platform counts:\n%s", RenderRefusal(rep))
	}

	in.Ref = cleanRef
	rep, err = Scan(context.Background(), in)
	if err != nil || len(rep.Children) != 1 || rep.Platform != "linux/arm64" || !strings.Contains(RenderSummary(rep), "1 other image") {
		t.Fatalf("clean index: %v, %+v", err, rep)
	}
}
