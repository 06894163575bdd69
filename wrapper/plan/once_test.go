package plan

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/http"
	"net/http/httputil"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"sdocker/internal/testenv"
	"sdocker/internal/testimage"
	"sdocker/verify"
	"sdocker/wrapper"
)

// countingDaemon is a unix socket in front of the real daemon that counts the requests it
// forwards, by method and unversioned path.
type countingDaemon struct {
	sock string
	mu   sync.Mutex
	seen map[string]int
}

var apiVersion = regexp.MustCompile(`^/v[0-9.]+`)

func startCountingDaemon(t *testing.T) *countingDaemon {
	t.Helper()
	target := strings.TrimPrefix(wrapper.DefaultHost, "unix://")
	if h := os.Getenv("DOCKER_HOST"); strings.HasPrefix(h, "unix://") {
		target = strings.TrimPrefix(h, "unix://")
	}
	c := &countingDaemon{sock: filepath.Join(t.TempDir(), "docker.sock"), seen: map[string]int{}}
	l, err := net.Listen("unix", c.sock)
	if err != nil {
		t.Fatal(err)
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) { r.Out.URL.Scheme, r.Out.URL.Host = "http", "docker" },
		Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", target)
		}},
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		c.seen[r.Method+" "+apiVersion.ReplaceAllString(r.URL.Path, "")]++
		c.mu.Unlock()
		rp.ServeHTTP(w, r)
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return c
}

// count is how many requests matched pattern, a regular expression of method and path
// ("GET /info", "GET /images/.+/json").
func (c *countingDaemon) count(pattern string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	re := regexp.MustCompile("^" + pattern + "$")
	n := 0
	for k, v := range c.seen {
		if re.MatchString(k) {
			n += v
		}
	}
	return n
}

// TestRunIsPlannedOnce proves that one `run` resolves its endpoint once, asks the daemon for
// its facts once and inspects its image at most once, though the decision (the image's user)
// and the image gate (the names an ID stands for, the image to verify) both need the image.
func TestRunIsPlannedOnce(t *testing.T) {
	dir := t.TempDir()
	b := make([]byte, 4)
	rand.Read(b)
	tag := "sdocker-test/plan:" + hex.EncodeToString(b)
	if err := testimage.Import("./testdata/ctr", dir, tag); err != nil {
		testenv.Missing(t, err.Error())
	}
	t.Cleanup(func() { exec.Command("docker", "rmi", tag).Run() })
	id, err := exec.Command("docker", "image", "inspect", "--format", "{{.Id}}", tag).Output()
	if err != nil {
		t.Fatal(err)
	}
	// A signature required of every image, and local images with no repo digest let through:
	// the gate looks the image up, and an ID makes it ask which names it stands for.
	pol := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(pol, []byte("version: 1\nimages:\n  - match: \"**\"\n    signature: {keys: [/nonexistent.pub], unverifiable_local: allow}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SDOCKER_POLICY", pol)
	for _, tc := range []struct{ name, image string }{
		{"by tag", tag},
		{"by ID", strings.TrimPrefix(strings.TrimSpace(string(id)), "sha256:")[:12]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := startCountingDaemon(t)
			hostReads := 0
			getenv := func(k string) string {
				switch k {
				case "DOCKER_HOST":
					hostReads++
					return "unix://" + d.sock
				case "DOCKER_CONTEXT", "DOCKER_CONTENT_TRUST", "DOCKER_DEFAULT_PLATFORM":
					return ""
				}
				return os.Getenv(k)
			}
			var out bytes.Buffer
			env := Env{Getenv: getenv, Out: &out, Cwd: dir, ReadFile: os.ReadFile, Signatures: &verify.SigChecker{Getenv: getenv}}
			pl, err := Make(context.Background(), env, []string{"run", "--rm", tc.image})
			if err != nil {
				t.Fatalf("Make: %v\n%s", err, out.String())
			}
			// The endpoint is resolved once: a resolution reads DOCKER_HOST twice (is it set,
			// and what is it).
			if hostReads != 2 {
				t.Errorf("DOCKER_HOST read %d times, want 2 (one endpoint resolution)", hostReads)
			}
			if n := d.count("GET /info"); n != 1 {
				t.Errorf("GET /info asked %d times, want 1; requests: %v", n, d.seen)
			}
			if n := d.count("GET /images/.+/json"); n > 1 {
				t.Errorf("the image inspected %d times, want at most 1; requests: %v", n, d.seen)
			}
			if !strings.Contains(out.String(), "running it unverified") {
				t.Errorf("the gate did not judge the local image; it said:\n%s", out.String())
			}
			if pl.Action != Exec || !pl.Foreground || pl.Argv[len(pl.Argv)-1] != tc.image {
				t.Errorf("plan: action %v, foreground %v, argv %q", pl.Action, pl.Foreground, pl.Argv)
			}
			if pl.Endpoint.Host != "unix://"+d.sock || pl.Input.Facts.Image == nil || !pl.Input.Facts.Known {
				t.Errorf("plan: endpoint %q, image facts %v, daemon facts known %v", pl.Endpoint.Host, pl.Input.Facts.Image, pl.Input.Facts.Known)
			}
		})
	}
}

func TestImageInspected(t *testing.T) {
	for _, tc := range []struct {
		path, name string
		ok         bool
	}{
		{"/images/busybox/json", "busybox", true},
		{"/images/reg.example%2Fteam%2Fapp:1/json", "reg.example/team/app:1", true},
		{"/images/reg.example/team/app:1/json", "reg.example/team/app:1", true},
		{"/images/json", "", false},
		{"/images/busybox/history", "", false},
		{"/containers/c/json", "", false},
	} {
		name, ok := imageInspected(tc.path)
		if name != tc.name || ok != tc.ok {
			t.Errorf("imageInspected(%q) = %q, %v; want %q, %v", tc.path, name, ok, tc.name, tc.ok)
		}
	}
}
