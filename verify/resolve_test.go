package verify

import (
	"context"
	"errors"
	"strings"
	"testing"

	"sdocker/defaults"
)

// fakeResolver answers with resolve and counts its calls.
type fakeResolver struct {
	resolve func(ResolveRequest) (ResolveResponse, error)
	calls   int
}

func (f *fakeResolver) Resolve(_ context.Context, req ResolveRequest) (ResolveResponse, error) {
	f.calls++
	return f.resolve(req)
}

func TestCachedResolver(t *testing.T) {
	d1, d2 := "sha256:"+strings.Repeat("1", 64), "sha256:"+strings.Repeat("2", 64)
	answer := d1
	f := &fakeResolver{resolve: func(req ResolveRequest) (ResolveResponse, error) {
		if d := refDigest(req.Reference); d != "" {
			return ResolveResponse{Digest: d, MediaType: MediaOCIManifest}, nil
		}
		return ResolveResponse{Digest: answer, MediaType: MediaOCIManifest}, nil
	}}
	cache := &Cache{Dir: t.TempDir()}
	resolve := func(ref string, fresh bool) string {
		t.Helper()
		resp, err := cachedResolver{r: f, cache: cache, fresh: fresh}.Resolve(context.Background(), ResolveRequest{Reference: ref})
		if err != nil {
			t.Fatal(err)
		}
		return resp.Digest
	}
	steps := []struct {
		name, ref string
		fresh     bool
		want      string
		calls     int
	}{
		{"a digest goes to the registry once", "r.test/a@" + d2, false, d2, 1},
		{"then comes from the cache", "r.test/a@" + d2, false, d2, 1},
		{"a tag goes to the registry", "r.test/a:1", false, d1, 2},
		{"a tag resolved a moment ago comes from the cache", "r.test/a:1", false, d1, 2},
		{"another spelling of the same tag too", "R.TEST:443/a:1", false, d1, 2},
		{"a pull asks afresh", "r.test/a:1", true, d1, 3},
	}
	for _, s := range steps {
		if got := resolve(s.ref, s.fresh); got != s.want || f.calls != s.calls {
			t.Errorf("%s: %s after %d calls, want %s after %d", s.name, got, f.calls, s.want, s.calls)
		}
	}
	answer = d2
	if got := resolve("r.test/a:1", true); got != d2 {
		t.Errorf("a moved tag, fresh: %s, want %s", got, d2)
	}
}

// TestScanRemoteRefusesWhatItCannotJudge: a registry that answers another digest than the one
// asked, an index without a platform to pick by or without an image for it, are refused before
// any scanner runs (the trivy named does not exist: reaching it would fail differently).
func TestScanRemoteRefusesWhatItCannotJudge(t *testing.T) {
	asked, other := "sha256:"+strings.Repeat("a", 64), "sha256:"+strings.Repeat("b", 64)
	index := ResolveResponse{Digest: asked, MediaType: MediaOCIIndex, Manifests: []Descriptor{
		desc(other, "linux", "amd64", "v3"), desc(other, "linux", "arm64", "")}}
	cases := []struct {
		name     string
		answer   ResolveResponse
		platform string
		onError  string
		want     string
		typed    any
	}{
		{"another digest than asked", ResolveResponse{Digest: other, MediaType: MediaOCIManifest}, "linux/amd64", "", "the registry answered", &ScannerError{}},
		{"an index and no platform", index, "", "", "pass --platform", &PlatformError{}},
		{"an index without an image for the platform", index, "linux/amd64", "allow", "has no image for linux/amd64 (it has linux/amd64/v3, linux/arm64)", &PlatformError{}},
		{"a bad platform", index, "linux/amd64/v3/x/y", "", "reading platform", &PlatformError{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := ScanInput{Ref: "r.test/a@" + asked, Source: SourceRemote, Platform: tc.platform, Trivy: "/nonexistent/trivy",
				Rule: defaults.Scan{OnError: tc.onError}, Resolver: &fakeResolver{resolve: func(ResolveRequest) (ResolveResponse, error) { return tc.answer, nil }}}
			rep, err := Scan(context.Background(), in)
			if err == nil || rep.Passed || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Scan = %v (passed %v), want an error with %q", err, rep.Passed, tc.want)
			}
			switch tc.typed.(type) {
			case *ScannerError:
				if !errors.As(err, new(*ScannerError)) {
					t.Errorf("%T, want *ScannerError", err)
				}
			case *PlatformError:
				if !errors.As(err, new(*PlatformError)) {
					t.Errorf("%T, want *PlatformError", err)
				}
			}
		})
	}
}
