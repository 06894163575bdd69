package defaults_test

import (
	"strings"
	"testing"

	"sdocker/defaults"
)

func TestScanRuleAllPlatforms(t *testing.T) {
	cases := []struct {
		name, scan    string
		required, all bool
		wantErr       string
	}{
		{"off by default", "{fail_on: high}", true, false, ""},
		{"all_platforms asks for a scan", "{all_platforms: true}", true, true, ""},
		{"with a threshold", "{fail_on: critical, all_platforms: true}", true, true, ""},
		{"not a boolean", "{all_platforms: every}", false, false, "line 4"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := defaults.Parse([]byte("version: 1\nimages:\n  - match: \"r.test/**\"\n    scan: "+tc.scan+"\n"), "p.yaml")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			r := p.ImageRule("r.test/app:1")
			if r == nil || r.Scan.Required != tc.required || r.Scan.AllPlatforms != tc.all {
				t.Fatalf("rule = %+v, want required %v, all_platforms %v", r, tc.required, tc.all)
			}
		})
	}
}
