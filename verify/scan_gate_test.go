package verify

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"sdocker/defaults"
	"sdocker/internal/golden"
)

func rawFindings() []Finding {
	return []Finding{
		{ID: "CVE-1", Package: "musl", Installed: "1.2.5-r8", Fixed: "1.2.5-r9", Severity: "HIGH"},
		{ID: "CVE-2", Package: "zlib", Installed: "1.3.1-r2", Severity: "CRITICAL"},
		{ID: "CVE-3", Package: "busybox", Installed: "1.37.0-r12", Fixed: "1.37.0-r14", Severity: "MEDIUM"},
		{ID: "CVE-4", Aliases: []string{"GHSA-xxxx"}, Package: "x/text", Installed: "0.3.0", Fixed: "0.3.7", Severity: "LOW"},
		{ID: "CVE-5", Package: "musl", Installed: "1.2.5-r8", Fixed: "1.2.5-r9", Severity: "UNKNOWN"},
	}
}

func TestJudge(t *testing.T) {
	now := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	day := func(s string) defaults.Date {
		d, _ := time.Parse(time.DateOnly, s)
		return defaults.Date{Time: d}
	}
	cases := []struct {
		name        string
		rule        defaults.Scan
		want        []string // blocking IDs
		wantExpired int
	}{
		{"default threshold high", defaults.Scan{}, []string{"CVE-2", "CVE-1"}, 0},
		{"critical", defaults.Scan{FailOn: "critical"}, []string{"CVE-2"}, 0},
		{"medium", defaults.Scan{FailOn: "MEDIUM"}, []string{"CVE-2", "CVE-1", "CVE-3"}, 0},
		{"low never blocks UNKNOWN", defaults.Scan{FailOn: "low"}, []string{"CVE-2", "CVE-1", "CVE-3", "CVE-4"}, 0},
		{"ignore_unfixed", defaults.Scan{IgnoreUnfixed: true}, []string{"CVE-1"}, 0},
		{"ignore by id", defaults.Scan{Ignore: []defaults.ScanIgnore{{ID: "CVE-2"}}}, []string{"CVE-1"}, 0},
		{"ignore by alias", defaults.Scan{FailOn: "low", IgnoreUnfixed: true,
			Ignore: []defaults.ScanIgnore{{ID: "ghsa-xxxx"}, {ID: "CVE-1"}, {ID: "CVE-3"}}}, nil, 0},
		{"ignore in the wrong package", defaults.Scan{Ignore: []defaults.ScanIgnore{{ID: "CVE-1", Package: "zlib"}}},
			[]string{"CVE-2", "CVE-1"}, 0},
		{"expiry day still ignores", defaults.Scan{IgnoreUnfixed: true,
			Ignore: []defaults.ScanIgnore{{ID: "CVE-1", Expires: day("2026-11-20")}}}, nil, 0},
		{"expired ignore blocks and is reported once", defaults.Scan{IgnoreUnfixed: true,
			Ignore: []defaults.ScanIgnore{{ID: "CVE-1", Expires: day("2026-11-18")}, {ID: "CVE-5", Expires: day("2026-01-01")}}},
			[]string{"CVE-1"}, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rep := &ScanReport{FailOn: failOn(tc.rule)}
			judge(rep, rawFindings(), tc.rule, now)
			if got := blockingIDs(rep); !slices.Equal(got, tc.want) {
				t.Errorf("blocking = %v, want %v", got, tc.want)
			}
			if rep.Passed != (len(tc.want) == 0) {
				t.Errorf("Passed = %v with %d blocking", rep.Passed, len(tc.want))
			}
			if len(rep.Expired) != tc.wantExpired || len(rep.Warnings) != tc.wantExpired {
				t.Errorf("expired = %v, warnings = %q, want %d of each", rep.Expired, rep.Warnings, tc.wantExpired)
			}
			if rep.Counts["HIGH"] != 1 || rep.Counts["UNKNOWN"] != 1 {
				t.Errorf("counts = %v", rep.Counts)
			}
		})
	}
}

func TestRefDigest(t *testing.T) {
	hex := strings.Repeat("ab", 32)
	cases := map[string]string{
		"127.0.0.1:5000/a/b@sha256:" + hex: "sha256:" + hex,
		"repo:tag@sha256:" + hex:           "sha256:" + hex,
		"sha256:" + hex:                    "sha256:" + hex,
		hex:                                "sha256:" + hex,
		"busybox:latest":                   "",
		"busybox":                          "",
		"repo@sha256:" + hex[:10]:          "",
		"sha256:" + strings.ToUpper(hex):   "",
		"repo@sha512:" + hex + hex:         "",
	}
	for ref, want := range cases {
		if got := refDigest(ref); got != want {
			t.Errorf("refDigest(%q) = %q, want %q", ref, got, want)
		}
	}
}

func TestParseTrivyReport(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "scan", "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := parseTrivyReport(data)
	if err != nil {
		t.Fatal(err)
	}
	if res.OS != "alpine 3.22.1" || !strings.HasPrefix(res.ImageID, "sha256:") || len(res.Findings) != 2 {
		t.Fatalf("parsed %+v", res)
	}
	f := res.Findings[1]
	if f.ID != "CVE-2021-38561" || f.Package != "golang.org/x/text" || f.Fixed != "0.3.7" || f.Severity != "HIGH" || f.Target != "app" {
		t.Errorf("finding = %+v", f)
	}
	for _, bad := range []string{"", "{}", `{"SchemaVersion": 3}`, "null"} {
		if _, err := parseTrivyReport([]byte(bad)); err == nil {
			t.Errorf("parseTrivyReport(%q) accepted it", bad)
		}
	}
}

func TestRenderRefusalGolden(t *testing.T) {
	now := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	rule := defaults.Scan{FailOn: "high", Ignore: []defaults.ScanIgnore{
		{ID: "CVE-3", Reason: "tar is never run"},
		{ID: "CVE-1", Expires: defaults.Date{Time: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)}},
	}}
	rep := &ScanReport{Name: "registry.test/app@sha256:0123", Rule: "registry.test/**", FailOn: "high"}
	judge(rep, rawFindings(), rule, now)
	got := renderRefusal(rep, now) + "\n--- summary of a pass ---\n" + RenderSummary(&ScanReport{Name: "app", FailOn: "high",
		Counts: map[string]int{"LOW": 2}, CacheHit: true})
	golden.Check(t, filepath.Join("testdata", "scan", "refusal.golden"), []byte(got+"\n"))
}
