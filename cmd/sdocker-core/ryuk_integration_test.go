package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sdocker/defaults"
	"sdocker/internal/testimage"
)

// testcontainers-go v0.45.0 with Ryuk enabled through sdocker proxy as installed, running the ci
// preset with its policed socket at a path of the test's (runtime.docker_socket.policed): Ryuk,
// a replica of its protocol tagged as the image testcontainers-go asks for, gets that socket in
// place of the one its client talks to and the policy's network in place of the default bridge,
// publishes its port on the policy's address, and removes the client's container once the client
// has ended.
func TestProxyVerbTestcontainersRyuk(t *testing.T) {
	requireDaemon(t)
	dir := t.TempDir()
	preset, err := defaults.Preset("ci")
	if err != nil {
		t.Fatal(err)
	}
	policed := filepath.Join(dir, "policed", "docker.sock")
	policy := filepath.Join(dir, "policy.yaml")
	data := strings.Replace(string(preset), "policed: /run/sdocker/sockets/docker.sock", "policed: "+policed, 1)
	if data == string(preset) {
		t.Fatal("the ci preset names no policed socket at /run/sdocker/sockets/docker.sock")
	}
	if err := os.WriteFile(policy, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	bin, _ := testimage.Testcontainers(t, "../../proxy/testdata/testcontainers", "../../proxy/testdata/ryuk", dir)

	sock := filepath.Join(dir, "docker.sock")
	proxy := exec.Command(sdockerBin, "proxy", "--listen", "unix://"+sock)
	proxy.Env = append(os.Environ(), "SDOCKER_POLICY="+policy)
	var stderr strings.Builder
	proxy.Stderr = &stderr
	if err := proxy.Start(); err != nil {
		t.Fatal(err)
	}
	defer proxy.Process.Kill()
	appears(sock)
	run := exec.Command(bin, "reaped", testImage, runLabel)
	run.Env = append(os.Environ(), "DOCKER_HOST=unix://"+sock, "DOCKER_CONTEXT=", "TESTCONTAINERS_RYUK_DISABLED=false",
		"TESTCONTAINERS_RYUK_RECONNECTION_TIMEOUT=2s", "TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1")
	out, err := run.Output()
	var got struct{ ID string }
	if err != nil || json.Unmarshal(out, &got) != nil || got.ID == "" {
		t.Fatalf("testcontainers client: %v %s; the proxy said %s", err, out, stderr.String())
	}
	session := inspect(t, got.ID)["Config"].(map[string]any)["Labels"].(map[string]any)["org.testcontainers.sessionId"]
	ids, _ := exec.Command("docker", "ps", "-q", "--filter", "label=org.testcontainers.ryuk=true",
		"--filter", fmt.Sprintf("label=org.testcontainers.sessionId=%v", session)).Output()
	if len(strings.Fields(string(ids))) != 1 {
		t.Fatalf("no reaper of session %v running: %q", session, ids)
	}
	hc := inspect(t, strings.Fields(string(ids))[0])["HostConfig"].(map[string]any)
	if binds := fmt.Sprint(hc["Binds"]); binds != "["+policed+":/var/run/docker.sock]" {
		t.Errorf("reaper's Binds %s: want the policy's policed socket %s", binds, policed)
	}
	if ports := fmt.Sprint(hc["PortBindings"]); hc["NetworkMode"] != "sdocker" || !strings.Contains(ports, "127.0.0.1") {
		t.Errorf("reaper's NetworkMode %v, PortBindings %s: want the policy's network and address", hc["NetworkMode"], ports)
	}
	deadline := time.Now().Add(30 * time.Second)
	for exec.Command("docker", "inspect", got.ID).Run() == nil {
		if time.Now().After(deadline) {
			t.Fatalf("Ryuk did not remove %s within 30 s of the client's end", got.ID)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
