package proxy_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sdocker/internal/testenv"
)

// The Python SDK (Debian's python3-docker, installed by scripts/install-api-clients.sh):
// hardened creates, refusals as APIError, run with output, exec, and an attach that hijacks
// without an Upgrade header.
func TestPythonSDK(t *testing.T) {
	px := startProxy(t, "")
	if exec.Command("/usr/bin/python3", "-c", "import docker").Run() != nil {
		testenv.Missing(t, "Debian's python3-docker is not installed (scripts/install-api-clients.sh)")
	}
	out, err := exec.Command("/usr/bin/python3", "testdata/sdk.py", px.host(), image, runLabel).CombinedOutput()
	if err != nil {
		t.Fatalf("sdk.py: %v\n%s", err, out)
	}
	var got map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("sdk.py said %s", out)
	}
	for key, want := range map[string]string{
		"capdrop":         "[ALL]",
		"network":         "sdocker",
		"secopt":          "[no-new-privileges]",
		"privileged":      "sdocker: refused HostConfig.Privileged=true (rule privileged)",
		"socket":          "sdocker: refused HostConfig.Binds=/var/run/docker.sock:/s:rw (rule mounts)",
		"run":             "hi 0\nhi 1\n",
		"exec":            "exec 0\n",
		"exec_privileged": "sdocker: refused Privileged=true (rule privileged)",
		"attach":          "spliced",
	} {
		if g := fmt.Sprint(got[key]); !strings.Contains(g, want) {
			t.Errorf("%s = %q, want %q", key, g, want)
		}
	}
}

// Debian's docker-compose (1.29.2, through docker-py) against the proxy: a hardened service,
// and a privileged one that fails the command with sdocker's message.
func TestDockerComposeV1(t *testing.T) {
	px := startProxy(t, "")
	if _, err := exec.LookPath("docker-compose"); err != nil {
		testenv.Missing(t, "Debian's docker-compose is not installed (scripts/install-api-clients.sh)")
	}
	dir := t.TempDir()
	project := "sdpx" + strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(runLabel, "sdocker-proxy-it="), "-", ""))
	k, v, _ := strings.Cut(runLabel, "=")
	write := func(privileged bool) {
		extra := ""
		if privileged {
			extra = "    privileged: true\n"
		}
		os.WriteFile(filepath.Join(dir, "docker-compose.yml"), []byte(fmt.Sprintf(
			"version: \"2.4\"\nservices:\n  app:\n    image: %s\n    command: [\"sleep\"]\n    labels: {%q: %q}\n%s", image, k, v, extra)), 0o644)
	}
	compose := func(args ...string) result {
		cmd := exec.Command("docker-compose", append([]string{"-p", project}, args...)...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "DOCKER_HOST="+px.host())
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		return result{stdout: string(out), code: code}
	}
	defer compose("down", "-t", "0")
	write(false)
	if r := compose("up", "-d"); r.code != 0 {
		t.Fatalf("up: exit %d\n%s", r.code, r.stdout)
	}
	id := strings.TrimSpace(docker(t, px.host(), "", "ps", "-q", "--filter", "label=com.docker.compose.project="+project).stdout)
	if id == "" {
		t.Fatal("no container for the service")
	}
	if hc := inspect(t, id)["HostConfig"].(map[string]any); fmt.Sprint(hc["CapDrop"]) != "[ALL]" || fmt.Sprint(hc["PidsLimit"]) != "512" {
		t.Errorf("the service is not hardened: CapDrop %v PidsLimit %v", hc["CapDrop"], hc["PidsLimit"])
	}
	compose("down", "-t", "0")
	write(true)
	if r := compose("up", "-d"); r.code == 0 || !strings.Contains(r.stdout, "sdocker: refused HostConfig.Privileged=true (rule privileged)") {
		t.Fatalf("privileged service: exit %d\n%s", r.code, r.stdout)
	}
}
