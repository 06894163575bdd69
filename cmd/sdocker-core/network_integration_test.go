package main

import (
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Containers sdocker puts on its default network cannot reach each other (the network keeps
// inter-container communication off), while containers the user puts on a network of their own
// talk as with docker.
func TestDefaultNetworkKeepsContainersApart(t *testing.T) {
	requireDaemon(t)
	name := strings.ReplaceAll(runLabel, "=", "-")
	listen := func(cname string, extra ...string) {
		t.Helper()
		args := append(append([]string{"run", "-d", "--name", cname}, labelled()...), extra...)
		if r := sdocker(t, append(args, testImage, "listen", "8080")...); r.code != 0 {
			t.Fatalf("starting %s: exit %d: %s", cname, r.code, r.stderr)
		}
		t.Cleanup(func() { exec.Command("docker", "rm", "-f", cname).Run() })
	}
	dial := func(addr string, extra ...string) result {
		t.Helper()
		args := append(append([]string{"run", "--rm"}, labelled()...), extra...)
		var r result
		for i := 0; i < 10; i++ { // the listener may need a moment
			if r = sdocker(t, append(args, testImage, "dial", addr)...); r.code == 0 {
				break
			}
			time.Sleep(300 * time.Millisecond)
		}
		return r
	}

	listen(name + "-a")
	// The listener answers the host (which inter-container rules leave alone) before any
	// container is asked to reach it, so one try of the neighbour is enough.
	ip, err := exec.Command("docker", "inspect", "--format", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", name+"-a").Output()
	if err != nil {
		t.Fatalf("docker inspect: %v", err)
	}
	for deadline := time.Now().Add(15 * time.Second); ; {
		c, err := net.DialTimeout("tcp", strings.TrimSpace(string(ip))+":8080", time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the listener never answered the host: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if out, err := exec.Command("docker", "network", "inspect", "--format", `{{index .Options "com.docker.network.bridge.enable_icc"}}`, "sdocker").Output(); err != nil ||
		strings.TrimSpace(string(out)) != "false" {
		t.Fatalf("sdocker's network keeps inter-container communication on: %q %v", out, err)
	}
	args := append(append([]string{"run", "--rm"}, labelled()...), testImage, "dial", name+"-a:8080")
	if r := sdocker(t, args...); r.code == 0 {
		t.Fatalf("a container on sdocker's default network reached another: %q", r.stdout)
	} else if !strings.Contains(r.stderr, "timeout") {
		// The name resolves (the network's DNS answers); the connection is what is dropped.
		t.Fatalf("the neighbour was not reached for another reason than isolation: %q", r.stderr)
	}

	own := name + "-net"
	if out, err := exec.Command("docker", "network", "create", own).CombinedOutput(); err != nil {
		t.Fatalf("docker network create: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command("docker", "network", "rm", own).Run() })
	listen(name+"-b", "--network", own)
	if r := dial(name+"-b:8080", "--network", own); r.code != 0 || !strings.Contains(r.stdout, "hello") {
		t.Fatalf("containers on the user's own network could not talk: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
}
