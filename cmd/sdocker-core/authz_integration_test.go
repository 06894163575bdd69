package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"sdocker/internal/testenv"
)

// authzPluginDir is where dockerd looks for plugin sockets; each test's plugin has a name of its own.
const authzPluginDir = "/run/docker/plugins"

type authzPlugin struct {
	name, sock string
	cmd        *exec.Cmd
	log        *bytes.Buffer
	exited     chan struct{}
}

// startAuthz starts `sdocker authz` under a fresh name, asking daemonSock for the daemon's facts.
func startAuthz(t testing.TB, daemonSock string, extra ...string) *authzPlugin {
	t.Helper()
	b := make([]byte, 4)
	rand.Read(b)
	p := &authzPlugin{name: "sdt-authz-" + hex.EncodeToString(b), log: &bytes.Buffer{}, exited: make(chan struct{})}
	p.sock = filepath.Join(authzPluginDir, p.name+".sock")
	args := append([]string{"authz", "--listen", "unix://" + p.sock, "--daemon-host", "unix://" + daemonSock}, extra...)
	p.cmd = exec.Command(sdockerBin, args...)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting sdocker authz: %v", err)
	}
	go func() { p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		p.stop()
		os.Remove(p.sock)
		if t.Failed() {
			t.Logf("sdocker authz log:\n%s", p.log)
		}
	})
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("unix", p.sock); err == nil {
			c.Close()
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("sdocker authz did not listen on %s:\n%s", p.sock, p.log)
		}
	}
}

func (p *authzPlugin) stop() {
	select {
	case <-p.exited:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-p.exited
	}
}

// hardenedConfig is `sdocker daemon harden --dry-run` of an empty configuration with the plugin.
func hardenedConfig(t *testing.T, plugin string, extra ...string) map[string]any {
	t.Helper()
	r := sdocker(t, append([]string{"daemon", "harden", "--config", filepath.Join(t.TempDir(), "daemon.json"), "--dry-run", "--authz-plugin", plugin}, extra...)...)
	var cfg map[string]any
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &cfg) != nil {
		t.Fatalf("sdocker daemon harden --dry-run: %+v", r)
	}
	return cfg
}

// tryDocker runs docker against the test daemon and returns its output and whether it succeeded.
func (d *testDaemon) tryDocker(args ...string) (string, bool) {
	out, err := exec.Command("docker", append([]string{"-H", d.host()}, args...)...).CombinedOutput()
	return strings.TrimSpace(string(out)), err == nil
}

// api makes one Engine API request on the daemon's socket.
func (d *testDaemon) api(t testing.TB, method, path string, body []byte) (int, string) {
	t.Helper()
	c := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var nd net.Dialer
		return nd.DialContext(ctx, "unix", d.sock)
	}}}
	req, _ := http.NewRequest(method, "http://d"+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

func TestAuthzPluginGuardsTheDaemon(t *testing.T) {
	t.Parallel()
	requireDaemon(t)
	if _, err := exec.LookPath("dockerd"); err != nil {
		testenv.Missing(t, "dockerd is not on PATH")
	}
	// The plugin asks the daemon on a second socket of its own naming; dockerd needs the plugin
	// up before it starts.
	tmp, err := os.MkdirTemp("/tmp", "sdz")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(tmp) })
	factsSock := filepath.Join(tmp, "d.sock")
	// The default policy, and a signature rule for one repository.
	key := filepath.Join(tmp, "team.pub")
	os.WriteFile(key, []byte("-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n"), 0o644)
	pol := filepath.Join(tmp, "policy.yaml")
	os.WriteFile(pol, []byte("version: 1\nimages:\n  - match: \"sdocker-test/signed/**\"\n    signature: {keys: ["+key+"]}\n"), 0o644)
	p := startAuthz(t, factsSock, "--policy", pol)
	// TLS with client verification from sdocker tls init, on a TCP port given on the command line.
	tlsDir := filepath.Join(tmp, "tls")
	if r := sdocker(t, "tls", "init", "--dir", tlsDir, "--ip", "127.0.0.1"); r.code != 0 {
		t.Fatalf("sdocker tls init: %+v", r)
	}
	cfg := hardenedConfig(t, p.name, "--tls", tlsDir)
	// icc=false needs iptables, which a test daemon leaves to the host's own daemon.
	delete(cfg, "icc")
	d := startDaemon(t, cfg, true, "-H", "unix://"+factsSock)
	denied := "authorization denied by plugin " + p.name

	// sdocker's own hardened run passes the plugin.
	if r := sdocker(t, "-H", d.host(), "run", "--rm", testImage, "say", "hello", "", "0"); r.code != 0 || !strings.Contains(r.stdout, "hello") {
		t.Fatalf("sdocker run through the plugin: %+v", r)
	}
	r := sdocker(t, "-H", d.host(), "run", "-d", "--name", "hardened", testImage, "sleep")
	if r.code != 0 {
		t.Fatalf("sdocker run -d through the plugin: %+v", r)
	}

	cases := []struct {
		name string
		args []string
		want []string // in the denial
	}{
		{"privileged", []string{"create", "--network", "sdocker", "--privileged", testImage}, []string{"rule privileged", "HostConfig.Privileged=true"}},
		{"unhardened", []string{"create", "--network", "sdocker", testImage}, []string{"rule capabilities", "HostConfig.CapDrop lacks ALL", "--cap-drop=ALL", "through sdocker"}},
		{"default bridge", []string{"create", testImage}, []string{"rule network", "HostConfig.NetworkMode=default"}},
		{"socket bind", []string{"create", "--network", "sdocker", "-v", "/run/docker.sock:/s", testImage}, []string{"rule mounts", "HostConfig.Binds=/run/docker.sock:/s"}},
		{"exec privileged", []string{"exec", "--privileged", "hardened", "/ctr", "status"}, []string{"rule privileged", "Privileged=true"}},
		{"update beyond the maximum", []string{"update", "--memory", "64g", "hardened"}, []string{"rule resources", "Memory=68719476736"}},
		{"connect the default bridge", []string{"network", "connect", "bridge", "hardened"}, []string{"rule network"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, ok := d.tryDocker(tc.args...)
			if ok || !strings.Contains(out, denied) {
				t.Fatalf("docker %s: %q, want a denial by %s", strings.Join(tc.args, " "), out, p.name)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("denial of docker %s does not say %q:\n%s", strings.Join(tc.args, " "), w, out)
				}
			}
		})
	}
	// Plain docker with every setting sdocker adds passes; the same under a name whose rule asks
	// for a signature does not, when the image was loaded or tagged here.
	flags := []string{"create", "--network", "sdocker", "--cap-drop", "ALL", "--security-opt", "no-new-privileges", "--memory", "1g",
		"--cpus", "1", "--pids-limit", "512", "--cgroupns", "private", "--log-opt", "max-size=10m", "--log-opt", "max-file=3"}
	if out, ok := d.tryDocker(append(flags, testImage)...); !ok {
		t.Errorf("plain docker with the hardening sdocker adds was denied: %s", out)
	}
	d.docker(t, "tag", testImage, "sdocker-test/signed/app:1")
	if out, ok := d.tryDocker(append(flags, "sdocker-test/signed/app:1")...); ok || !strings.Contains(out, "no repo digest") {
		t.Errorf("an unsigned image tagged under a signed name: %q, want a denial", out)
	}
	if out, ok := d.tryDocker("exec", "hardened", "/ctr", "say", "in", "", "0"); !ok || out != "in" {
		t.Errorf("a plain exec was not let through: %q", out)
	}

	// A privileged body of 1.1 MiB reaches the plugin empty (CVE-2026-34040): denied, and nothing
	// is created.
	big, _ := json.Marshal(map[string]any{"Image": testImage, "Labels": map[string]string{"pad": strings.Repeat("x", 1100<<10)},
		"HostConfig": map[string]any{"Privileged": true, "NetworkMode": "sdocker"}})
	code, body := d.api(t, "POST", "/v1.41/containers/create?name=bigpriv", big)
	if code != http.StatusForbidden || !strings.Contains(body, "CVE-2026-34040") {
		t.Errorf("1.1 MiB privileged create: %d %s, want 403 naming CVE-2026-34040", code, body)
	}
	if out, ok := d.tryDocker("inspect", "bigpriv"); ok {
		t.Errorf("the 1.1 MiB privileged container exists: %s", out)
	}
	// HostConfig's fields at the body's top level, which dockerd 20.10 still applies.
	code, body = d.api(t, "POST", "/v1.41/containers/create?name=toplevel", []byte(`{"Image":"`+testImage+`","Privileged":true,"NetworkMode":"sdocker"}`))
	if code != http.StatusForbidden || !strings.Contains(body, "rule privileged") {
		t.Errorf("privileged at the body's top level: %d %s, want a denial", code, body)
	}
	// A HostConfig on start (API before 1.24) is not judged: denied.
	code, body = d.api(t, "POST", "/v1.23/containers/hardened/start", []byte(`{"Privileged":true}`))
	if code != http.StatusForbidden || !strings.Contains(body, "HostConfig given on start") {
		t.Errorf("start with a HostConfig on API 1.23: %d %s, want a denial", code, body)
	}
	// Installing a managed plugin is denied before the daemon reaches any registry.
	code, body = d.api(t, "POST", "/plugins/pull?remote=example.invalid/p:1", []byte(`[]`))
	if code != http.StatusForbidden || !strings.Contains(body, "--insecure-allow=plugins") {
		t.Errorf("plugin pull: %d %s, want a denial naming --insecure-allow=plugins", code, body)
	}

	// Over TLS, the decision log names the client certificate's user.
	tlsOut, err := exec.Command("docker", "-H", d.tcp, "--tlsverify", "--tlscacert", filepath.Join(tlsDir, "ca.pem"), "--tlscert", filepath.Join(tlsDir, "client", "cert.pem"),
		"--tlskey", filepath.Join(tlsDir, "client", "key.pem"), "create", "--network", "sdocker", "--privileged", testImage).CombinedOutput()
	if err == nil || !strings.Contains(string(tlsOut), denied) {
		t.Errorf("privileged create over TLS: %q, want a denial", tlsOut)
	}
	if !strings.Contains(p.log.String(), "user sdocker-client (TLS): POST") {
		t.Errorf("the decision log does not name the TLS client:\n%s", p.log)
	}

	// The audit of this daemon has none of the findings harden fixes.
	fs, _ := runAudit(t, "none", "-H", d.host())
	for _, id := range []string{"CIS-2.7", "CIS-2.12", "CIS-2.14", "CIS-2.15", "SD-LOG-ROTATION"} {
		if f, ok := findingFor(fs, id, "daemon"); ok {
			t.Errorf("audit of the hardened daemon reports %s: %+v", id, f)
		}
	}
	if !strings.Contains(p.log.String(), "user -: POST") {
		t.Errorf("the decision log names no user and request:\n%s", p.log)
	}

	// With the plugin down, creates fail closed.
	p.stop()
	start := time.Now()
	out, ok := d.tryDocker("create", "--network", "sdocker", "--cap-drop", "ALL", testImage)
	if ok {
		t.Fatalf("create with the plugin down succeeded: %s", out)
	}
	t.Logf("with the plugin down, create failed after %s: %s", time.Since(start).Round(time.Millisecond), out)
}
