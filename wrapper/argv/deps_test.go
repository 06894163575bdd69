package argv

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLinksOnlyTheStandardLibrary keeps the front lean: everything the pass-through path links
// comes from this package, so it may use a few standard packages and nothing heavier.
func TestLinksOnlyTheStandardLibrary(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	forbidden := []string{"net", "net/http", "crypto/tls", "crypto/x509", "text/template", "regexp"}
	for _, dep := range strings.Fields(string(out)) {
		if dep == "sdocker/wrapper/argv" {
			continue
		}
		first, _, _ := strings.Cut(dep, "/")
		if strings.Contains(first, ".") || strings.HasPrefix(dep, "sdocker") {
			t.Errorf("argv links %s: only the standard library is allowed", dep)
		}
		for _, f := range forbidden {
			if dep == f {
				t.Errorf("argv links %s, which the pass-through path must not pay for", dep)
			}
		}
	}
}
