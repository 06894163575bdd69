package proxy

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"sdocker/defaults"
	"sdocker/wrapper"
)

// corpusCase is one file of testdata/ci: a create body a CI runner or Testcontainers sends,
// derived from its source (which file, at which commit), and what the API door makes of it
// under each policy.
type corpusCase struct {
	Runner, Shape, Config, Matters string
	Source                         struct {
		Repo, Commit string
		Files        []string
	}
	Expect  map[string]corpusOutcome
	Request struct {
		Method, Path string
		Body         json.RawMessage
	}
}

type corpusOutcome struct {
	Allowed bool
	Rules   []string // the rules that refuse it
	Hint    string   // a word the refusal's remedy says
	Network string   // the network the hardened body names
	Socket  string   // "policed": its docker socket bind gets the proxy's policed socket
	Publish string   // the address its published ports are bound to
}

// corpusPolicies are the presets the corpus is decided under (sdocker policy preset NAME).
var corpusPolicies = []string{"developer", "ci", "gitlab"}

// offlineDaemon answers the decision's questions as a daemon that has none of the corpus's
// images, volumes or networks yet (the runners make those just before the create).
type offlineDaemon struct{}

func (offlineDaemon) Get(ctx context.Context, path string, out any) error { return wrapper.ErrNotFound }
func (offlineDaemon) Info(ctx context.Context) (wrapper.Info, error) {
	return wrapper.Info{SecurityOptions: []string{"name=seccomp,profile=default"}, LoggingDriver: "json-file",
		ServerVersion: "20.10.24", DefaultRuntime: "runc", OSType: "linux", Architecture: "x86_64"}, nil
}
func (offlineDaemon) InspectNetwork(ctx context.Context, name string) (wrapper.Network, error) {
	return wrapper.Network{}, wrapper.ErrNotFound
}
func (offlineDaemon) NetworkContainers(ctx context.Context, name string) (int, error) { return 0, nil }
func (offlineDaemon) RemoveNetwork(ctx context.Context, name string) error            { return nil }
func (offlineDaemon) CreateBridge(ctx context.Context, name string, isolated bool) error {
	return nil
}
func (offlineDaemon) Tag(ctx context.Context, image, repo, tag string) error { return nil }

// The corpus of testdata/ci, decided by the API door without a daemon under the presets: the
// legitimate bodies are let through hardened (on the network they name, or the policy's, their
// ports on the policy's address), the socket binds get the policed socket where the preset gives
// one, the privileged ones are refused with their rule and the way to do without.
func TestCICorpus(t *testing.T) {
	files, err := filepath.Glob("testdata/ci/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	servers := map[string]*Server{}
	for _, name := range corpusPolicies {
		servers[name] = corpusServer(t, name)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var c corpusCase
		if err := json.Unmarshal(data, &c); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if c.Source.Repo == "" || c.Source.Commit == "" || len(c.Source.Files) == 0 || c.Matters == "" {
			t.Errorf("%s: every case names its source (repository, commit, files) and what in it matters", f)
		}
		for policy, want := range c.Expect {
			t.Run(strings.TrimSuffix(filepath.Base(f), ".json")+"/"+policy, func(t *testing.T) {
				s := servers[policy]
				if s == nil {
					t.Fatalf("no policy %q", policy)
				}
				j, err := s.judgeCreate(context.Background(), c.Request.Body)
				if err != nil {
					t.Fatal(err)
				}
				checkOutcome(t, j, want, s.opt.SocketDir)
			})
		}
	}
}

func checkOutcome(t *testing.T, j judged, want corpusOutcome, socketDir string) {
	t.Helper()
	var rules []string
	for _, v := range j.d.Violations {
		rules = append(rules, string(v.Rule))
		if want.Hint != "" && !strings.Contains(v.Hint, want.Hint) {
			t.Errorf("rule %s: remedy %q does not say %q", v.Rule, v.Hint, want.Hint)
		}
	}
	if j.d.Allowed != want.Allowed || !want.Allowed && !slices.Equal(slices.Compact(slices.Sorted(slices.Values(rules))), want.Rules) {
		t.Fatalf("allowed %v, rules %v; want allowed %v, rules %v (%+v)", j.d.Allowed, rules, want.Allowed, want.Rules, j.d.Violations)
	}
	if !want.Allowed {
		return
	}
	var body struct {
		HostConfig struct {
			NetworkMode string
			CapDrop     []string
			Binds       []string
			SecurityOpt []string
		}
		NetworkingConfig struct{ EndpointsConfig map[string]any }
	}
	var ports struct {
		HostConfig struct {
			PortBindings map[string][]struct{ HostIp, HostPort string }
		}
	}
	if err := json.Unmarshal(j.body, &ports); err != nil {
		t.Fatal(err)
	}
	for port, bindings := range ports.HostConfig.PortBindings {
		for _, b := range bindings {
			if b.HostIp != want.Publish {
				t.Errorf("%s published on %q, want %q", port, b.HostIp, want.Publish)
			}
		}
	}
	if err := json.Unmarshal(j.body, &body); err != nil {
		t.Fatal(err)
	}
	hc := body.HostConfig
	// The network the daemon puts it on: NetworkMode, else the one endpoint it names.
	network := hc.NetworkMode
	if eps := body.NetworkingConfig.EndpointsConfig; (network == "" || network == "default") && len(eps) == 1 {
		for name := range eps {
			network = name
		}
	}
	if network != want.Network {
		t.Errorf("on network %q (NetworkMode %q), want %q", network, hc.NetworkMode, want.Network)
	}
	if !slices.Equal(hc.CapDrop, []string{"ALL"}) || !slices.Contains(hc.SecurityOpt, "no-new-privileges") {
		t.Errorf("not hardened: CapDrop %v, SecurityOpt %v", hc.CapDrop, hc.SecurityOpt)
	}
	policed := slices.Contains(hc.Binds, filepath.Join(socketDir, "docker.sock")+":/var/run/docker.sock")
	if policed != (want.Socket == "policed") {
		t.Errorf("Binds %v; want the policed socket: %v", hc.Binds, want.Socket == "policed")
	}
	for _, b := range hc.Binds {
		if strings.HasPrefix(b, "/var/run/docker.sock:") {
			t.Errorf("the daemon's socket is still bound: %v", hc.Binds)
		}
	}
}

// corpusServer is an API door in front of offlineDaemon, serving (so it can make its policed
// socket) on a socket of the test's.
func corpusServer(t *testing.T, preset string) *Server {
	t.Helper()
	data, err := defaults.Preset(preset)
	if err != nil {
		t.Fatal(err)
	}
	p, err := defaults.Parse(data, "preset "+preset)
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "sdocker-ci") // short: a unix socket's path has a limit
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	s, err := New(Options{Policy: p, Daemon: offlineDaemon{}, SocketDir: filepath.Join(dir, "sockets"),
		Dial: func(ctx context.Context) (net.Conn, error) { return nil, os.ErrNotExist },
		Now:  func() time.Time { return time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	l, err := ListenUnix(ListenOptions{Path: filepath.Join(dir, "docker.sock"), Mode: 0o600})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, l) }()
	t.Cleanup(func() { cancel(); <-done })
	for serving := false; !serving; time.Sleep(time.Millisecond) { // the policed socket needs it
		s.mu.Lock()
		serving = s.httpSrv != nil
		s.mu.Unlock()
	}
	return s
}

// Only a create that binds the docker socket, from an image the policy gives a policed one, is
// moved off the default bridge it names; any other is refused as --network bridge is.
func TestDefaultBridgeMovedOnlyForSocketTools(t *testing.T) {
	for _, tc := range []struct {
		name, preset, body string
		allowed            bool
	}{
		{"a tool with the socket", "ci", `{"Image":"testcontainers/ryuk:0.14.0","HostConfig":{"NetworkMode":"bridge","Binds":["/var/run/docker.sock:/var/run/docker.sock"]}}`, true},
		{"a container without the socket", "ci", `{"Image":"busybox","HostConfig":{"NetworkMode":"bridge"}}`, false},
		{"the bridge beside another network", "ci", `{"Image":"busybox","HostConfig":{"NetworkMode":"bridge","Binds":["/var/run/docker.sock:/var/run/docker.sock"]},"NetworkingConfig":{"EndpointsConfig":{"other":{}}}}`, false},
		{"an image without a policed socket", "developer", `{"Image":"testcontainers/ryuk:0.14.0","HostConfig":{"NetworkMode":"bridge","Binds":["/var/run/docker.sock:/var/run/docker.sock"]}}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j, err := corpusServer(t, tc.preset).judgeCreate(context.Background(), []byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			var network bool
			for _, v := range j.d.Violations {
				network = network || v.Rule == defaults.RuleNetwork
			}
			if j.d.Allowed != tc.allowed || network == tc.allowed {
				t.Fatalf("allowed %v, violations %+v; want allowed %v", j.d.Allowed, j.d.Violations, tc.allowed)
			}
			if tc.allowed && !strings.Contains(string(j.body), `"NetworkMode":"sdocker"`) {
				t.Errorf("body %s: want the policy's network", j.body)
			}
		})
	}
}
