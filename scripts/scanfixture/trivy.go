package scanfixture

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sdocker/internal/testenv"
	"strings"
	"testing"
)

// Trivy is the trivy binary the integration tests run: $SDOCKER_TRIVY, else trivy on PATH.
// Without one the test skips loudly, or fails in CI (CI set), where trivy must be installed.
func Trivy(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("SDOCKER_TRIVY"); p != "" {
		return p
	}
	p, err := exec.LookPath("trivy")
	if err != nil {
		testenv.Missing(t, "trivy is not installed (run scripts/install-trivy.sh)")
	}
	return p
}

// CountingTrivy is a wrapper around a trivy binary that appends a line to a file on each
// execution, so a test can prove that a warm gate runs no scanner. It returns the wrapper's
// path and a function counting the executions so far.
func CountingTrivy(t testing.TB, real string) (string, func() int) {
	t.Helper()
	dir := t.TempDir()
	calls := filepath.Join(dir, "calls")
	script := filepath.Join(dir, "trivy")
	body := fmt.Sprintf("#!/bin/sh\necho run >> %q\nexec %q \"$@\"\n", calls, real)
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return script, func() int {
		data, _ := os.ReadFile(calls)
		return strings.Count(string(data), "run\n")
	}
}
