package proxy_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// testcontainers-go v0.45.0 (a module of its own under testdata, so sdocker's go.mod does not
// carry it) through the proxy, Ryuk disabled (its image is on Docker Hub): a container started
// the Testcontainers way is hardened, a privileged one is refused with sdocker's message.
func TestTestcontainersGo(t *testing.T) {
	px := startProxy(t, "")
	bin := filepath.Join(t.TempDir(), "tc")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = "testdata/testcontainers"
	build.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the testcontainers-go client: %v\n%s", err, out)
	}
	run := exec.Command(bin, image, runLabel)
	run.Env = append(os.Environ(), "DOCKER_HOST="+px.host(), "TESTCONTAINERS_RYUK_DISABLED=true", "DOCKER_CONTEXT=")
	out, err := run.Output()
	if err != nil {
		t.Fatalf("testcontainers client: %v\n%s", err, out)
	}
	var got map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("the client said %s", out)
	}
	for key, want := range map[string]string{
		"capdrop":    "[ALL]",
		"network":    "sdocker",
		"privileged": "sdocker: refused HostConfig.Privileged=true (rule privileged)",
	} {
		if g := fmt.Sprint(got[key]); !strings.Contains(g, want) {
			t.Errorf("%s = %q, want %q (all: %s)", key, g, want, out)
		}
	}
}
