package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sdocker/internal/testenv"
)

// sdocker compose runs compose v2 behind a private proxy: a service is hardened, a privileged
// one fails the command with sdocker's message, and no proxy socket is left.
func TestComposeThroughPrivateProxy(t *testing.T) {
	requireDaemon(t)
	if exec.Command("docker", "compose", "version").Run() != nil {
		testenv.Missing(t, "docker compose v2 is not installed (scripts/install-api-clients.sh)")
	}
	dir := t.TempDir()
	project := "sdcompose" + strings.TrimPrefix(runLabel, "sdocker-it=")
	k, v, _ := strings.Cut(runLabel, "=")
	write := func(extra string) {
		os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(fmt.Sprintf(
			"services:\n  app:\n    image: %s\n    command: [\"sleep\"]\n    labels: {%q: %q}\n%s", testImage, k, v, extra)), 0o644)
	}
	compose := func(args ...string) result {
		cmd := exec.Command(sdockerBin, append([]string{"compose", "-p", project}, args...)...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "TMPDIR="+dir)
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		return result{stdout: string(out), code: code}
	}
	defer compose("down", "-t", "0")
	write("")
	if r := compose("up", "-d"); r.code != 0 {
		t.Fatalf("up: exit %d\n%s", r.code, r.stdout)
	}
	out, _ := exec.Command("docker", "ps", "-q", "--filter", "label=com.docker.compose.project="+project).Output()
	id := strings.TrimSpace(string(out))
	if id == "" {
		t.Fatal("no container for the service")
	}
	hc := inspect(t, id)["HostConfig"].(map[string]any)
	if fmt.Sprint(hc["CapDrop"]) != "[ALL]" || fmt.Sprint(hc["SecurityOpt"]) != "[no-new-privileges]" {
		t.Errorf("the service is not hardened: CapDrop %v SecurityOpt %v", hc["CapDrop"], hc["SecurityOpt"])
	}
	compose("down", "-t", "0")
	for _, tc := range []struct{ name, extra, want string }{
		{"privileged", "    privileged: true\n", "sdocker: refused HostConfig.Privileged=true (rule privileged)"},
		{"docker socket", "    volumes: [\"/var/run/docker.sock:/var/run/docker.sock\"]\n", "(rule mounts)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			write(tc.extra)
			if r := compose("up", "-d"); r.code == 0 || !strings.Contains(r.stdout, tc.want) {
				t.Fatalf("exit %d\n%s\nwant a failure with %q", r.code, r.stdout, tc.want)
			}
		})
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "sdocker-compose-*")); len(left) > 0 {
		t.Errorf("the private proxy left %v", left)
	}
}
