package proxy_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sdocker/internal/testenv"
)

// a bind of the user's own directory is judged at create; the directory is then
// replaced by a symlink to /etc and the container started through the proxy. The daemon
// resolves the source again at start and binds /etc. The CLI door's start re-check refuses
// this; the proxy's start (judgeStart reads only the body) does not.
func TestAPIReviewStartAfterSwapThroughProxy(t *testing.T) {
	px := startProxy(t, "")
	dir := filepath.Join(t.TempDir(), "src")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	r := docker(t, px.host(), "", "create", "--label", runLabel, "-v", dir+":/x", image)
	if r.code != 0 {
		t.Fatalf("create: %d %s", r.code, r.stderr)
	}
	id := strings.TrimSpace(r.stdout)
	defer docker(t, px.host(), "", "rm", "-f", id)
	os.Remove(dir)
	if err := os.Symlink("/etc", dir); err != nil {
		t.Fatal(err)
	}
	if r := docker(t, px.host(), "", "start", id); r.code == 0 {
		t.Errorf("start after the bind source became a link to /etc was let through")
	}
	// docker cp mounts the container's binds too, without any start.
	if r := docker(t, px.host(), "", "cp", id+":/x/hostname", "-"); r.code == 0 {
		t.Errorf("docker cp read /etc/hostname through a bind swapped for a link to /etc")
	}
}

// BuildKit's network mode travels in the gRPC solve request on /grpc, which the
// proxy forwards unread: buildx build --network host runs RUN steps in the host's network
// namespace, although /build?networkmode=host is refused.
func TestAPIReviewBuildKitNetworkHost(t *testing.T) {
	px := startProxy(t, "")
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM "+image+"\nRUN [\"/ctr\"]\n"), 0o644)
	tag := strings.Replace(image, ":", "-bkhost:", 1)
	defer docker(t, px.host(), "", "rmi", "-f", tag)
	if r := docker(t, px.host(), "", "buildx", "build", "--network", "host", "--no-cache", "-t", tag, dir); r.code == 0 {
		t.Errorf("buildx build --network host through the proxy succeeded")
	}
}

// A network on the host's own segment that the daemon already has (made on its own socket, by
// an administrator or before the policy) is refused to join, by create and by network connect,
// as its creation through the proxy is: its containers are reachable from the network.
func TestJoiningANetworkOnTheHostSegment(t *testing.T) {
	px := startProxy(t, "")
	id := strings.TrimPrefix(runLabel, "sdocker-proxy-it=")
	name := "sdocker-it-lan-" + id
	if r := docker(t, "", "", "network", "create", "--label", runLabel, "-o", "com.docker.network.bridge.name=sdk"+id[:6], name); r.code != 0 {
		testenv.Missing(t, "the daemon cannot make a bridge network on a named bridge here: "+r.stderr)
	}
	defer docker(t, "", "", "network", "rm", name)
	r := docker(t, px.host(), "", "create", "--label", runLabel, "--network", name, image)
	if r.code == 0 {
		docker(t, "", "", "rm", "-f", strings.TrimSpace(r.stdout))
		t.Errorf("create --network %s (a host bridge by name) was let through", name)
	} else if !strings.Contains(r.stderr, "(rule network)") {
		t.Errorf("create --network %s: refused for another reason: %s", name, r.stderr)
	}
	c := docker(t, px.host(), "", "create", "--label", runLabel, image) // on the policy's network
	if c.code != 0 {
		t.Fatal(c.stderr)
	}
	ctr := strings.TrimSpace(c.stdout)
	defer docker(t, "", "", "rm", "-f", ctr)
	if r := docker(t, px.host(), "", "network", "connect", name, ctr); r.code == 0 {
		t.Errorf("network connect %s was let through", name)
	} else if !strings.Contains(r.stderr, "(rule network)") {
		t.Errorf("network connect %s: refused for another reason: %s", name, r.stderr)
	}
}
