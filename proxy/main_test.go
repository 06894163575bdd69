package proxy_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sdocker/defaults"
	"sdocker/internal/testenv"
	"sdocker/internal/testimage"
	"sdocker/proxy"
	"sdocker/wrapper"
)

// The integration tests put an in-process proxy in front of the real dockerd (DOCKER_HOST or
// the default socket) and drive it with real clients. Outside CI they skip loudly when no
// daemon answers; in CI they fail.

var (
	image     string // the test image, imported for this run
	runLabel  string // key=value on every container a test creates
	daemonErr error
	tmpDir    string
)

func TestMain(m *testing.M) {
	os.Exit(func() int {
		var err error
		if tmpDir, err = os.MkdirTemp("", "sdocker-proxy-it-"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(tmpDir)
		b := make([]byte, 4)
		rand.Read(b)
		id := hex.EncodeToString(b)
		runLabel = "sdocker-proxy-it=" + id
		image = "sdocker-proxy-test/ctr:" + id
		daemonErr = prepare()
		code := m.Run()
		if daemonErr == nil {
			cleanup()
		}
		return code
	}())
}

// prepare imports the test image: testdata/ctr, a static Go program, as /ctr, its entrypoint.
func prepare() error {
	return testimage.Import("./testdata/ctr", tmpDir, image)
}

func cleanup() {
	out, _ := exec.Command("docker", "ps", "-aq", "--filter", "label="+runLabel).Output()
	if ids := strings.Fields(string(out)); len(ids) > 0 {
		exec.Command("docker", append([]string{"rm", "-f"}, ids...)...).Run()
	}
	exec.Command("docker", "rmi", "-f", image).Run()
}

func requireDaemon(t testing.TB) {
	t.Helper()
	if daemonErr != nil {
		testenv.Missing(t, daemonErr.Error())
	}
}

// running is a proxy serving for one test.
type running struct {
	sock string
	srv  *proxy.Server
	log  string // the decision log
}

// host is the DOCKER_HOST of the proxy.
func (r running) host() string { return "unix://" + r.sock }

// startProxy serves the proxy in front of the test daemon until the test ends.
func startProxy(t testing.TB, policyYAML string) running {
	t.Helper()
	return startProxyWith(t, policyYAML, nil)
}

// startProxyWith is startProxy with options changed by opt (nil: none).
func startProxyWith(t testing.TB, policyYAML string, opt func(*proxy.Options)) running {
	t.Helper()
	data := defaults.DefaultPolicyYAML()
	if policyYAML != "" {
		data = []byte("version: 1\n" + policyYAML)
	}
	return startProxyPolicyWith(t, data, opt)
}

// startProxyPolicy serves the proxy with a whole policy file (a preset) until the test ends.
func startProxyPolicy(t testing.TB, data []byte) running {
	t.Helper()
	return startProxyPolicyWith(t, data, nil)
}

func startProxyPolicyWith(t testing.TB, data []byte, opt func(*proxy.Options)) running {
	t.Helper()
	requireDaemon(t)
	p, err := defaults.Parse(data, "test policy")
	if err != nil {
		t.Fatal(err)
	}
	inv, err := wrapper.Parse(nil)
	if err != nil {
		t.Fatal(err)
	}
	ep, err := inv.Endpoint(os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	dial, err := wrapper.Dialer(ep)
	if err != nil {
		t.Fatal(err)
	}
	eng, err := wrapper.NewEngine(ep)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	logPath := filepath.Join(dir, "decisions.jsonl")
	dl := &defaults.DecisionLog{Path: logPath, Report: func(err error) { t.Error(err) }}
	o := proxy.Options{Policy: p, Dial: dial, Daemon: eng, ResolvePath: wrapper.ResolveHostPath, Log: dl.Write,
		SocketDir: filepath.Join(dir, "sockets"), DaemonSocket: strings.TrimPrefix(ep.Host, "unix://")}
	if opt != nil {
		opt(&o)
	}
	srv, err := proxy.New(o)
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "docker.sock")
	l, err := proxy.ListenUnix(proxy.ListenOptions{Path: sock, Mode: 0o600})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, l) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		dl.Close()
	})
	return running{sock: sock, srv: srv, log: logPath}
}

type result struct {
	stdout, stderr string
	code           int
}

// docker runs the docker CLI against host with stdin.
func docker(t testing.TB, host, stdin string, args ...string) result {
	t.Helper()
	cmd := exec.Command("docker", args...)
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+host, "DOCKER_CONTEXT=")
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("docker %q: %v", args, err)
	}
	return result{out.String(), errb.String(), code}
}

// inspect returns the daemon's view of a container (directly, not through the proxy).
func inspect(t testing.TB, id string) map[string]any {
	t.Helper()
	out, err := exec.Command("docker", "inspect", strings.TrimSpace(id)).Output()
	if err != nil {
		t.Fatalf("docker inspect %s: %v", id, err)
	}
	var v []map[string]any
	if err := json.Unmarshal(out, &v); err != nil || len(v) != 1 {
		t.Fatalf("decoding inspect: %v", err)
	}
	return v[0]
}

// labelled counts the containers this run created with an extra label value.
func labelled(t testing.TB, value string) int {
	t.Helper()
	out, err := exec.Command("docker", "ps", "-aq", "--filter", "label="+runLabel, "--filter", "label=case="+value).Output()
	if err != nil {
		t.Fatal(err)
	}
	return len(strings.Fields(string(out)))
}

// apiClient talks HTTP to the proxy's socket.
func apiClient(sock string) *http.Client {
	return &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
	}}
}

// decisions reads the decision log.
func decisions(t testing.TB, path string) []defaults.LogEntry {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []defaults.LogEntry
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var e defaults.LogEntry
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("decision log line %q: %v", l, err)
		}
		out = append(out, e)
	}
	return out
}
