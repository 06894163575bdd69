package proxy_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"sdocker/internal/testimage"
)

// testcontainers-go v0.45.0 through the proxy with Ryuk enabled. Ryuk's image is on Docker Hub,
// so a replica of it (testdata/ryuk: its protocol, as testcontainers-go relies on it) is built
// here and tagged as exactly the image testcontainers-go asks for, which it then finds locally
// and does not pull. Ryuk asks for the daemon's socket (here the proxy's own, which the client
// talks to) and the default bridge: it gets the proxy's policed socket and the policy's network,
// and, once the program that started a container has ended, removes that container through the
// policed socket.
func TestTestcontainersGoRyuk(t *testing.T) {
	requireDaemon(t)
	dir := t.TempDir()
	bin, ryuk := testimage.Testcontainers(t, "testdata/testcontainers", "./testdata/ryuk", dir)
	repo, _, _ := strings.Cut(ryuk, ":")
	px := startProxy(t, fmt.Sprintf("runtime:\n  docker_socket:\n    images: [%q]\n", repo))

	run := exec.Command(bin, "reaped", image, runLabel)
	run.Env = append(os.Environ(), "DOCKER_HOST="+px.host(), "DOCKER_CONTEXT=", "TESTCONTAINERS_RYUK_DISABLED=false",
		"TESTCONTAINERS_RYUK_RECONNECTION_TIMEOUT=3s",
		// The test runs in a container: testcontainers-go would reach published ports at the
		// default bridge's gateway. They are on this host's loopback too.
		"TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1")
	start := time.Now()
	out, err := run.Output()
	if err != nil {
		t.Fatalf("testcontainers client: %v\n%s", err, out)
	}
	var got struct{ ID, Start string }
	if err := json.Unmarshal(out, &got); err != nil || got.ID == "" {
		t.Fatalf("the client said %s", out)
	}
	t.Logf("testcontainers-go started a container with Ryuk in %v", time.Since(start).Round(time.Millisecond))
	ended := time.Now()
	session := inspect(t, got.ID)["Config"].(map[string]any)["Labels"].(map[string]any)["org.testcontainers.sessionId"]
	ids, err := exec.Command("docker", "ps", "-q", "--filter", "label=org.testcontainers.ryuk=true",
		"--filter", fmt.Sprintf("label=org.testcontainers.sessionId=%v", session)).Output()
	if err != nil || len(strings.Fields(string(ids))) != 1 {
		t.Fatalf("no reaper of session %v running (%v): %q", session, err, ids)
	}
	reaper := inspect(t, strings.Fields(string(ids))[0])
	hc := reaper["HostConfig"].(map[string]any)
	if binds := fmt.Sprint(hc["Binds"]); !strings.Contains(binds, "/sockets/docker.sock:/var/run/docker.sock") {
		t.Errorf("reaper's Binds %s: want the proxy's policed socket", binds)
	}
	if fmt.Sprint(hc["NetworkMode"]) != "sdocker" || fmt.Sprint(hc["CapDrop"]) != "[ALL]" {
		t.Errorf("reaper's NetworkMode %v, CapDrop %v: want the policy's network and hardening", hc["NetworkMode"], hc["CapDrop"])
	}
	deadline := time.Now().Add(30 * time.Second)
	for exec.Command("docker", "inspect", got.ID).Run() == nil {
		if time.Now().After(deadline) {
			logs, _ := exec.Command("docker", "logs", strings.Fields(string(ids))[0]).CombinedOutput()
			t.Fatalf("Ryuk did not remove %s within 30 s of the client's end; its log:\n%s", got.ID, logs)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("Ryuk removed the container %v after the client ended (its reconnection timeout: 3 s)", time.Since(ended).Round(time.Millisecond))
	for _, e := range decisions(t, px.log) {
		if e.Image == ryuk && !e.Allowed {
			t.Errorf("the reaper's create was refused: %+v", e)
		}
	}
}
