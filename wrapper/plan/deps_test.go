package plan

import (
	"os/exec"
	"strings"
	"testing"
)

// TestIsALibrary keeps the pipeline a library: the command framework is cmd's alone.
func TestIsALibrary(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, "github.com/spf13/cobra") || strings.HasPrefix(dep, "sdocker/cmd/") {
			t.Errorf("wrapper/plan links %s: commands are wired in cmd/", dep)
		}
	}
}
