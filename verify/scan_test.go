package verify

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"sdocker/defaults"
	"sdocker/scripts/scanfixture"
)

// The tests in this file run the real trivy against the fixture database and images pushed
// to an in-memory registry.

var (
	scanNow    = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	pastDate   = defaults.Date{Time: time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC)}
	futureDate = defaults.Date{Time: time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)}
)

type scanFixture struct {
	trivy, trivyCache string
	vulnerable, clean string
	resolver          Resolver
}

func newScanFixture(t *testing.T) scanFixture {
	t.Helper()
	f := scanFixture{trivy: realTrivy(t), resolver: helperResolver(t)}
	f.trivyCache = fixtureTrivyCache(t, t.TempDir(), scanfixture.UpdatedAt)
	host := startRegistry(t)
	f.vulnerable = pushImage(t, host, "fixture/vulnerable", fixtureImage(t, scanfixture.Vulnerable))
	f.clean = pushImage(t, host, "fixture/clean", fixtureImage(t, scanfixture.Clean))
	return f
}

func (f scanFixture) input(ref string, rule defaults.Scan) ScanInput {
	return ScanInput{Ref: ref, Source: SourceRemote, Rule: rule, Trivy: f.trivy, TrivyCacheDir: f.trivyCache, Now: scanNow,
		Resolver: f.resolver}
}

func blockingIDs(rep *ScanReport) []string {
	var ids []string
	for _, f := range rep.Findings {
		if f.Verdict == VerdictBlock {
			ids = append(ids, f.ID)
		}
	}
	return ids
}

func TestScanGateWithTrivy(t *testing.T) {
	f := newScanFixture(t)
	cases := []struct {
		name     string
		clean    bool
		auto     bool // SourceAuto: the daemon does not have the image, the registry does
		rule     defaults.Scan
		wantPass bool
		want     []string // blocking IDs, most severe first
		wantWarn string
	}{
		{name: "vulnerable image refused at high", rule: defaults.Scan{FailOn: "high"},
			want: []string{"CVE-2099-1003", "CVE-2099-1001"}},
		{name: "default threshold is high", rule: defaults.Scan{Required: true},
			want: []string{"CVE-2099-1003", "CVE-2099-1001"}},
		{name: "clean image accepted even at low", clean: true, rule: defaults.Scan{FailOn: "low"}, wantPass: true},
		{name: "auto source falls back to the registry", auto: true, rule: defaults.Scan{FailOn: "critical"},
			want: []string{"CVE-2099-1003"}},
		{name: "threshold critical", rule: defaults.Scan{FailOn: "critical"}, want: []string{"CVE-2099-1003"}},
		{name: "threshold low", rule: defaults.Scan{FailOn: "low"},
			want: []string{"CVE-2099-1003", "CVE-2099-1001", "CVE-2099-1002", "CVE-2099-1004"}},
		{name: "ignore_unfixed lets the unfixed critical through", rule: defaults.Scan{FailOn: "critical", IgnoreUnfixed: true},
			wantPass: true},
		{name: "ignore entries", rule: defaults.Scan{FailOn: "high", Ignore: []defaults.ScanIgnore{
			{ID: "CVE-2099-1001", Package: "musl", Reason: "not reachable", Expires: futureDate},
			{ID: "cve-2099-1003", Reason: "no fix upstream"},
		}}, wantPass: true},
		{name: "ignore entry for another package does not ignore", rule: defaults.Scan{FailOn: "high", IgnoreUnfixed: true,
			Ignore: []defaults.ScanIgnore{{ID: "CVE-2099-1001", Package: "busybox"}}},
			want: []string{"CVE-2099-1001"}},
		{name: "expired ignore entry no longer ignores, and says so", rule: defaults.Scan{FailOn: "high", IgnoreUnfixed: true,
			Ignore: []defaults.ScanIgnore{{ID: "CVE-2099-1001", Reason: "waiting for r9", Expires: pastDate}}},
			want: []string{"CVE-2099-1001"}, wantWarn: "expired on 2026-01-31"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ref := f.vulnerable
			if tc.clean {
				ref = f.clean
			}
			in := f.input(ref, tc.rule)
			if tc.auto {
				in.Source = SourceAuto
			}
			rep, err := Scan(context.Background(), in)
			var refused *ScanRefusedError
			switch {
			case tc.wantPass && err != nil:
				t.Fatalf("Scan refused: %v", err)
			case !tc.wantPass && !errors.As(err, &refused):
				t.Fatalf("Scan = %v, want *ScanRefusedError", err)
			}
			if rep.Passed != tc.wantPass {
				t.Errorf("Passed = %v, want %v", rep.Passed, tc.wantPass)
			}
			if got := blockingIDs(rep); !slices.Equal(got, tc.want) {
				t.Errorf("blocking = %v, want %v", got, tc.want)
			}
			if tc.wantWarn != "" && !strings.Contains(strings.Join(rep.Warnings, "\n"), tc.wantWarn) {
				t.Errorf("warnings %q lack %q", rep.Warnings, tc.wantWarn)
			}
			if refused != nil && !strings.Contains(RenderRefusal(rep), tc.want[0]) {
				t.Errorf("refusal does not name %s:\n%s", tc.want[0], RenderRefusal(rep))
			}
			if !tc.clean && rep.OS != "alpine 3.22.1" {
				t.Errorf("OS = %q, want alpine 3.22.1", rep.OS)
			}
		})
	}
}

// TestScanCacheSkipsTrivy proves that a warm gate does not execute trivy, that the cached
// findings are judged afresh (an ignore entry that expires takes effect), and that a new
// database rescans.
func TestScanCacheSkipsTrivy(t *testing.T) {
	f := newScanFixture(t)
	wrapper, calls := countingTrivy(t, f.trivy)
	cache := &Cache{Dir: t.TempDir()}
	ignore := []defaults.ScanIgnore{{ID: "CVE-2099-1001", Expires: futureDate}}
	in := ScanInput{Ref: f.vulnerable, Source: SourceRemote, Trivy: wrapper, TrivyCacheDir: f.trivyCache, Cache: cache,
		Now: scanNow, Rule: defaults.Scan{FailOn: "high", IgnoreUnfixed: true, Ignore: ignore}, Resolver: f.resolver}

	rep, err := Scan(context.Background(), in)
	if err != nil || rep.CacheHit || calls() != 1 {
		t.Fatalf("cold scan: err=%v hit=%v calls=%d, want pass, miss, 1 call", err, rep.CacheHit, calls())
	}
	rep, err = Scan(context.Background(), in)
	if err != nil || !rep.CacheHit || calls() != 1 {
		t.Fatalf("warm scan: err=%v hit=%v calls=%d, want pass, hit, still 1 call", err, rep.CacheHit, calls())
	}

	// The ignore entry expires: the cached findings now fail the gate, still without trivy.
	in.Now = futureDate.AddDate(0, 0, 2)
	rep, err = Scan(context.Background(), in)
	var refused *ScanRefusedError
	if !errors.As(err, &refused) || !rep.CacheHit || calls() != 1 {
		t.Fatalf("after expiry: err=%v hit=%v calls=%d, want refused from the cache", err, rep.CacheHit, calls())
	}

	// A newer database is a different key: trivy runs again.
	fixtureTrivyCache(t, f.trivyCache, scanfixture.UpdatedAt.Add(time.Hour))
	in.Now = scanNow
	if rep, err = Scan(context.Background(), in); err != nil || rep.CacheHit || calls() != 2 {
		t.Fatalf("new database: err=%v hit=%v calls=%d, want a fresh scan (2 calls)", err, rep.CacheHit, calls())
	}

	// A tag is resolved on the registry every time, and the digest it names now is what is
	// looked up: here the one just scanned. A tag moved to another image is scanned afresh.
	tagged := strings.Split(f.vulnerable, "@")[0] + ":latest"
	in.Ref = tagged
	if rep, err = Scan(context.Background(), in); err != nil || !rep.CacheHit || calls() != 2 || rep.Digest != refDigest(f.vulnerable) {
		t.Fatalf("tag scan: err=%v hit=%v calls=%d digest=%s, want the cached result of %s", err, rep.CacheHit, calls(), rep.Digest, f.vulnerable)
	}
	host, _, _ := strings.Cut(f.clean, "/")
	pushImage(t, host, "fixture/vulnerable", fixtureImage(t, scanfixture.Clean))
	// Within TagTTL the tag still names what it named (and that is what the caller pins); a
	// pull asks the registry afresh.
	if rep, err = Scan(context.Background(), in); err != nil || !rep.CacheHit || rep.Digest != refDigest(f.vulnerable) {
		t.Fatalf("moved tag, cached: err=%v hit=%v digest=%s, want the cached %s", err, rep.CacheHit, rep.Digest, f.vulnerable)
	}
	in.FreshTag = true
	if rep, err = Scan(context.Background(), in); err != nil || rep.CacheHit || calls() != 3 || rep.Digest == refDigest(f.vulnerable) {
		t.Fatalf("moved tag, fresh: err=%v hit=%v calls=%d digest=%s, want a fresh scan of the new image", err, rep.CacheHit, calls(), rep.Digest)
	}
}

// TestScanFailsClosed: a missing, crashing or confused scanner, or a missing database, is a
// *ScannerError, never a pass, unless the rule says on_error: allow.
func TestScanFailsClosed(t *testing.T) {
	f := newScanFixture(t)
	corrupt := t.TempDir()
	fixtureTrivyCache(t, corrupt, scanfixture.UpdatedAt)
	if err := os.WriteFile(filepath.Join(corrupt, "db", "trivy.db"), []byte("not a bolt database"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, trivy, cacheDir string
		onError               string
		timeout               time.Duration
		want                  string // in the error
	}{
		{name: "missing trivy", trivy: filepath.Join(t.TempDir(), "trivy"), want: "finding trivy"},
		{name: "trivy not on PATH", trivy: "sdocker-no-such-trivy", want: "finding trivy"},
		{name: "crashing trivy", trivy: writeScript(t, "echo 'panic: boom' >&2; kill -SEGV $$"), want: "signal: segmentation fault"},
		{name: "failing trivy", trivy: writeScript(t, "echo '2026-11-20T12:00:00Z\tFATAL\tFatal error\trun error: boom' >&2; exit 1"),
			want: "exit status 1: FATAL Fatal error run error: boom"},
		{name: "garbage report", trivy: writeScript(t, "echo 'not json'"), want: "reading trivy's report"},
		{name: "missing database", cacheDir: t.TempDir(), want: "trivy image --download-db-only"},
		{name: "corrupt database, real trivy", cacheDir: corrupt, want: "running trivy: exit status"},
		{name: "on_error allow lets a crash through with a warning", onError: "allow",
			trivy: writeScript(t, "kill -SEGV $$")},
		{name: "on_error allow does not cover a timeout", onError: "allow", timeout: 200 * time.Millisecond,
			trivy: writeScript(t, "exec sleep 10"), want: "context deadline exceeded"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := f.input(f.vulnerable, defaults.Scan{FailOn: "high", OnError: tc.onError})
			if tc.trivy != "" {
				in.Trivy = tc.trivy
			}
			if tc.cacheDir != "" {
				in.TrivyCacheDir = tc.cacheDir
			}
			ctx := context.Background()
			if tc.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.timeout)
				defer cancel()
			}
			rep, err := Scan(ctx, in)
			if tc.onError == "allow" && tc.want == "" {
				if err != nil || !rep.Passed || len(rep.Warnings) == 0 || rep.ScanError == "" {
					t.Fatalf("on_error allow: err=%v report=%+v, want a pass with a warning", err, rep)
				}
				return
			}
			var se *ScannerError
			if !errors.As(err, &se) {
				t.Fatalf("Scan = %v, want *ScannerError", err)
			}
			if rep.Passed {
				t.Error("a failed scan passed")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q lacks %q", err, tc.want)
			}
		})
	}
}
