// Package testenv holds what the integration tests share about their real parts (a dockerd,
// trivy, the docker CLI): a missing part skips the test loudly on a developer's machine, and
// fails it in CI (CI set), where the scripts must have provided it.
package testenv

import (
	"os"
	"testing"
)

// Missing reports a real part the test cannot run without: t.Fatal in CI, a loud skip elsewhere.
func Missing(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatal(why + " (CI must provide it)")
	}
	t.Skip("SKIPPED: " + why)
}
