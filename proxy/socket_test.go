package proxy_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sdocker/proxy"
)

// A container whose image runtime.docker_socket.images names gets a policed socket in place of
// the daemon's, by -v and by --mount: what it asks through it meets the same policy. A pattern
// that names a digest names one image: another image under the same name is refused the socket.
func TestDockerSocketSubstitution(t *testing.T) {
	requireDaemon(t)
	out, err := exec.Command("docker", "image", "inspect", "--format", "{{.Id}}", image).Output()
	if err != nil {
		t.Fatal(err)
	}
	id := strings.TrimSpace(string(out))
	repo, _, _ := strings.Cut(image, ":")
	px := startProxy(t, fmt.Sprintf("runtime:\n  docker_socket:\n    images: [%q]\n", repo+"@"+id))
	k, v, _ := strings.Cut(runLabel, "=")
	labels := fmt.Sprintf(`"Labels":{%q:%q}`, k, v)
	api := func(t *testing.T, img string, mount []string, method, path, body string) result {
		t.Helper()
		args := append(append([]string{"run", "--rm", "--label", runLabel}, mount...), img, "api", method, path, body)
		return docker(t, px.host(), "", args...)
	}
	for _, mount := range [][]string{
		{"-v", "/var/run/docker.sock:/var/run/docker.sock"},
		{"--mount", "type=bind,source=/run/docker.sock,target=/var/run/docker.sock"},
		{"--use-api-socket"}, // docker binds the socket it talks to: the proxy's own
	} {
		t.Run(mount[0], func(t *testing.T) {
			r := api(t, image, mount, "POST", "/v1.41/containers/create", fmt.Sprintf(`{"Image":%q,%s,"HostConfig":{"Privileged":true}}`, image, labels))
			if r.code != 0 || !strings.HasPrefix(r.stdout, "403 ") || !strings.Contains(r.stdout, "sdocker: refused HostConfig.Privileged=true (rule privileged)") {
				t.Fatalf("a privileged create through the policed socket: exit %d, %q %q", r.code, r.stdout, r.stderr)
			}
			r = api(t, image, mount, "POST", "/v1.41/containers/create", fmt.Sprintf(`{"Image":%q,%s}`, image, labels))
			created, _, _ := strings.Cut(strings.TrimPrefix(r.stdout, `201 {"Id":"`), `"`)
			if !strings.HasPrefix(r.stdout, "201 ") || created == "" {
				t.Fatalf("a plain create through the policed socket: exit %d, %q %q", r.code, r.stdout, r.stderr)
			}
			if hc := inspect(t, created)["HostConfig"].(map[string]any); fmt.Sprint(hc["CapDrop"]) != "[ALL]" {
				t.Errorf("created through the policed socket unhardened: CapDrop %v", hc["CapDrop"])
			}
		})
	}
	t.Run("the socket the container holds", func(t *testing.T) {
		r := docker(t, px.host(), "", "create", "--label", runLabel, "-v", "/var/run/docker.sock:/var/run/docker.sock", image)
		if r.code != 0 {
			t.Fatal(r.stderr)
		}
		binds := fmt.Sprint(inspect(t, r.stdout)["HostConfig"].(map[string]any)["Binds"])
		if strings.Contains(binds, "/var/run/docker.sock:/var/run/docker.sock") || !strings.Contains(binds, "/sockets/docker.sock:/var/run/docker.sock") {
			t.Errorf("Binds %s: want the policed socket as the source", binds)
		}
	})
	t.Run("another image under the named name", func(t *testing.T) {
		ctr, err := exec.Command("docker", "create", image).Output()
		if err != nil {
			t.Fatal(err)
		}
		defer exec.Command("docker", "rm", strings.TrimSpace(string(ctr))).Run()
		retag := repo + ":retagged-" + strings.TrimPrefix(runLabel, "sdocker-proxy-it=")
		if out, err := exec.Command("docker", "commit", "--change", "LABEL retagged=1", strings.TrimSpace(string(ctr)), retag).CombinedOutput(); err != nil {
			t.Fatalf("commit: %v %s", err, out)
		}
		defer exec.Command("docker", "rmi", retag).Run()
		for _, mount := range [][]string{{"-v", "/var/run/docker.sock:/var/run/docker.sock"}, {"--use-api-socket"}} {
			r := api(t, retag, mount, "GET", "/_ping", "")
			if r.code == 0 || !strings.Contains(r.stderr, "(rule mounts)") {
				t.Fatalf("%s: exit %d, %q %q; want the socket refused (rule mounts)", mount[0], r.code, r.stdout, r.stderr)
			}
		}
	})
}

// The directory the policed socket is made in is the proxy's own: one that someone else made
// first (a link to a directory of the host's, a directory of another user's, beside a --listen
// in /tmp) is neither chmodded nor chowned through, nor served from; the create that would
// have got the socket is refused.
func TestSocketDirOfAnother(t *testing.T) {
	requireDaemon(t)
	if os.Geteuid() != 0 {
		t.Skip("SKIPPED LOUDLY: a directory owned by another user needs root (CI runs as root)")
	}
	out, err := exec.Command("docker", "image", "inspect", "--format", "{{.Id}}", image).Output()
	if err != nil {
		t.Fatal(err)
	}
	repo, _, _ := strings.Cut(image, ":")
	policy := fmt.Sprintf("runtime:\n  docker_socket:\n    images: [%q]\n", repo+"@"+strings.TrimSpace(string(out)))
	for _, tc := range []struct {
		name string
		make func(t *testing.T, sockets, host string)
	}{
		{"host link", func(t *testing.T, sockets, host string) {
			if err := os.Symlink(host, sockets); err != nil {
				t.Fatal(err)
			}
		}},
		{"theirs", func(t *testing.T, sockets, _ string) {
			if err := os.Mkdir(sockets, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Chown(sockets, 4242, 4242); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			host := filepath.Join(base, "host")
			if err := os.Mkdir(host, 0o755); err != nil {
				t.Fatal(err)
			}
			sockets := filepath.Join(base, "sockets")
			tc.make(t, sockets, host)
			px := startProxyWith(t, policy, func(o *proxy.Options) { o.SocketDir = sockets })
			r := docker(t, px.host(), "", "create", "--label", runLabel, "-v", "/var/run/docker.sock:/var/run/docker.sock", image)
			if r.code == 0 {
				docker(t, "", "", "rm", "-f", strings.TrimSpace(r.stdout))
				t.Errorf("the create got a policed socket in %s", sockets)
			}
			if fi, err := os.Stat(host); err != nil || fi.Mode().Perm() != 0o755 {
				t.Errorf("the host's directory was changed through the link: %v %v", fi.Mode(), err)
			}
			if _, err := os.Lstat(filepath.Join(host, "docker.sock")); err == nil {
				t.Errorf("the proxy served its socket in the host's directory")
			}
		})
	}
}
