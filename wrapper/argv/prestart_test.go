package argv

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The helper is started ahead only for `sdocker verify IMAGE…`, never for its help or another
// command, and only when there is a helper to start.
func TestPrestartHelperOnlyForVerify(t *testing.T) {
	dir := t.TempDir()
	helper := filepath.Join(dir, "sdocker-verify")
	if err := os.WriteFile(helper, []byte("#!/bin/sh\ncat >/dev/null\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	with := func(k string) string {
		switch k {
		case "SDOCKER_VERIFY":
			return helper
		case "XDG_CACHE_HOME":
			return cache
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
	relative := func(k string) string {
		if k == "SDOCKER_VERIFY" {
			return "sdocker-verify"
		}
		return with(k)
	}
	if got := PrestartHelper([]string{"verify", "app"}, relative); got != "" {
		t.Errorf("PrestartHelper with SDOCKER_VERIFY=sdocker-verify = %q, want nothing started", got)
	}
	got := PrestartHelper([]string{"verify", "--format", "json", "app"}, with)
	if !strings.HasPrefix(got, PrestartEnv+"=") || !strings.HasSuffix(got, ":"+helper) {
		t.Fatalf("PrestartHelper(verify app) = %q", got)
	}
	// A cache written to within TagTTL may answer: no helper is started for nothing.
	signatures := filepath.Join(cache, "sdocker", "signatures")
	if err := os.MkdirAll(signatures, 0o700); err != nil {
		t.Fatal(err)
	}
	if got := PrestartHelper([]string{"verify", "app"}, with); got != "" {
		t.Errorf("with a fresh cache, PrestartHelper = %q, want nothing started", got)
	}
	old := time.Now().Add(-TagTTL - time.Minute)
	if err := os.Chtimes(signatures, old, old); err != nil {
		t.Fatal(err)
	}
	if got := PrestartHelper([]string{"verify", "app"}, with); got == "" {
		t.Error("with a cache last written before TagTTL, no helper was started")
	}
}
