package argv

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Endpoint is the daemon a command line talks to, resolved the way the docker CLI resolves it:
// -H, then --context, then DOCKER_HOST, then DOCKER_CONTEXT, then the config's current context.
type Endpoint struct {
	Host string // unix:///var/run/docker.sock, tcp://host:2376, ssh://…
	// TLS is set when TLS is used; Verify when the server certificate is verified.
	TLS    bool
	Verify bool
	CA     string
	Cert   string
	Key    string
	// Source says where the host came from, for messages ("-H", "DOCKER_HOST", "context foo").
	Source string
}

// DefaultHost is docker's default daemon socket.
const DefaultHost = "unix:///var/run/docker.sock"

// Local reports whether the daemon is on this machine (a unix socket), so that host paths in
// binds are paths of this machine.
func (e Endpoint) Local() bool { return strings.HasPrefix(e.Host, "unix://") }

// InsecureTCP reports whether the endpoint speaks the Engine API over TCP without verifying
// the daemon's certificate (anyone on the path is root on the daemon's host).
func (e Endpoint) InsecureTCP() bool {
	return strings.HasPrefix(e.Host, "tcp://") && !e.Verify
}

func (inv *Invocation) global(name string) (string, bool) {
	v, ok := "", false
	for _, g := range inv.Globals {
		if g.Flag.Name == name {
			v, ok = g.Value, true
		}
	}
	return v, ok
}

// ConfigDir is docker's client configuration directory: --config, $DOCKER_CONFIG, ~/.docker.
func (inv *Invocation) ConfigDir(getenv func(string) string) string {
	if v, ok := inv.global("config"); ok {
		return v
	}
	if v := getenv("DOCKER_CONFIG"); v != "" {
		return v
	}
	home := getenv("HOME")
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	return filepath.Join(home, ".docker")
}

// Endpoint resolves the daemon endpoint of the invocation.
func (inv *Invocation) Endpoint(getenv func(string) string) (Endpoint, error) {
	cfg := inv.ConfigDir(getenv)
	ctxName, hasCtx := inv.global("context")
	var hosts []string
	for _, g := range inv.Globals {
		if g.Flag.Name == "host" {
			hosts = append(hosts, g.Value)
		}
	}
	if hasCtx && len(hosts) > 0 {
		return Endpoint{}, usagef("conflicting options: cannot specify both --host and --context")
	}
	if len(hosts) > 1 {
		return Endpoint{}, usagef("specify only one -H")
	}
	switch {
	case len(hosts) == 1:
		return inv.tlsFromFlags(Endpoint{Host: hosts[0], Source: "-H"}, cfg, getenv), nil
	case hasCtx:
	case getenv("DOCKER_HOST") != "":
		return inv.tlsFromFlags(Endpoint{Host: getenv("DOCKER_HOST"), Source: "DOCKER_HOST"}, cfg, getenv), nil
	case getenv("DOCKER_CONTEXT") != "":
		ctxName = getenv("DOCKER_CONTEXT")
	default:
		ctxName = currentContext(cfg)
	}
	if ctxName == "" || ctxName == "default" {
		return inv.tlsFromFlags(Endpoint{Host: DefaultHost, Source: "default"}, cfg, getenv), nil
	}
	return contextEndpoint(cfg, ctxName)
}

func (inv *Invocation) tlsFromFlags(e Endpoint, cfg string, getenv func(string) string) Endpoint {
	tlsFlag, _ := inv.global("tls")
	e.Verify = getenv("DOCKER_TLS_VERIFY") != ""
	if v, ok := inv.global("tlsverify"); ok {
		e.Verify = IsTrue(v)
	}
	e.TLS = IsTrue(tlsFlag) || e.Verify
	if !e.TLS {
		return e
	}
	certDir := getenv("DOCKER_CERT_PATH")
	if certDir == "" {
		certDir = cfg
	}
	file := func(flag, name string) string {
		if v, ok := inv.global(flag); ok {
			return v
		}
		return filepath.Join(certDir, name)
	}
	e.CA, e.Cert, e.Key = file("tlscacert", "ca.pem"), file("tlscert", "cert.pem"), file("tlskey", "key.pem")
	return e
}

func currentContext(cfg string) string {
	data, err := os.ReadFile(filepath.Join(cfg, "config.json"))
	if err != nil {
		return ""
	}
	var c struct {
		CurrentContext string `json:"currentContext"`
	}
	_ = json.Unmarshal(data, &c)
	return c.CurrentContext
}

func contextEndpoint(cfg, name string) (Endpoint, error) {
	sum := sha256.Sum256([]byte(name))
	id := hex.EncodeToString(sum[:])
	data, err := os.ReadFile(filepath.Join(cfg, "contexts", "meta", id, "meta.json"))
	if errors.Is(err, os.ErrNotExist) {
		return Endpoint{}, usagef("context %q does not exist", name)
	}
	if err != nil {
		return Endpoint{}, fmt.Errorf("reading context %q: %w", name, err)
	}
	var meta struct {
		Endpoints map[string]struct {
			Host          string
			SkipTLSVerify bool
		}
	}
	if err := json.Unmarshal(data, &meta); err != nil {
		return Endpoint{}, fmt.Errorf("reading context %q: %w", name, err)
	}
	ep, ok := meta.Endpoints["docker"]
	if !ok || ep.Host == "" {
		return Endpoint{}, fmt.Errorf("context %q has no docker endpoint", name)
	}
	e := Endpoint{Host: ep.Host, Source: "context " + name}
	tlsDir := filepath.Join(cfg, "contexts", "tls", id, "docker")
	if _, err := os.Stat(filepath.Join(tlsDir, "ca.pem")); err == nil {
		e.TLS, e.Verify = true, !ep.SkipTLSVerify
		e.CA = filepath.Join(tlsDir, "ca.pem")
	}
	if _, err := os.Stat(filepath.Join(tlsDir, "cert.pem")); err == nil {
		e.TLS = true
		e.Cert, e.Key = filepath.Join(tlsDir, "cert.pem"), filepath.Join(tlsDir, "key.pem")
	}
	return e, nil
}

// IsTrue reads a boolean flag value as pflag does (strconv.ParseBool): 1, t, T, TRUE, true, True.
func IsTrue(v string) bool {
	return v == "1" || strings.EqualFold(v, "t") || strings.EqualFold(v, "true")
}

// ExplicitEndpoint reports whether the daemon is named on the command line (-H, --context) or
// in the environment (DOCKER_HOST, DOCKER_CONTEXT): what can be checked without reading a file.
func (inv *Invocation) ExplicitEndpoint(getenv func(string) string) bool {
	for _, g := range inv.Globals {
		if g.Flag.Name == "host" || g.Flag.Name == "context" {
			return true
		}
	}
	return getenv("DOCKER_HOST") != "" || getenv("DOCKER_CONTEXT") != ""
}
