package argv

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The helper is started ahead only for `sdocker verify IMAGE…`, never for its help or another
// command, and only when there is a helper to start.
func TestPrestartHelperOnlyForVerify(t *testing.T) {
	dir := t.TempDir()
	helper := filepath.Join(dir, "sdocker-verify")
	if err := os.WriteFile(helper, []byte("#!/bin/sh\ncat >/dev/null\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	with := func(k string) string {
		if k == "SDOCKER_VERIFY" {
			return helper
		}
		return ""
	}
	for _, args := range [][]string{nil, {"verify"}, {"verify", "--help"}, {"verify", "-h", "app"}, {"run", "app"}, {"pull", "app"}, {"policy", "verify"}} {
		if got := PrestartHelper(args, with); got != "" {
			t.Errorf("PrestartHelper(%q) = %q, want nothing started", args, got)
		}
	}
	if got := PrestartHelper([]string{"verify", "app"}, func(string) string { return "" }); got != "" {
		t.Errorf("PrestartHelper without a helper = %q", got)
	}
	got := PrestartHelper([]string{"verify", "--format", "json", "app"}, with)
	if !strings.HasPrefix(got, PrestartEnv+"=") || !strings.HasSuffix(got, ":"+helper) {
		t.Fatalf("PrestartHelper(verify app) = %q", got)
	}
}
