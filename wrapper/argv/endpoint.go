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
	// The "default" context is the one made of -H, DOCKER_HOST and the TLS flags.
	switch {
	case len(hosts) == 1 || (hasCtx && ctxName == "default"):
	case hasCtx:
		return contextEndpoint(cfg, ctxName)
	case getenv("DOCKER_HOST") != "":
	case getenv("DOCKER_CONTEXT") != "":
		if name := getenv("DOCKER_CONTEXT"); name != "default" {
			return contextEndpoint(cfg, name)
		}
	default:
		if name := currentContext(cfg); name != "" && name != "default" {
			return contextEndpoint(cfg, name)
		}
	}
	e := inv.tlsFromFlags(cfg, getenv)
	host, source := getenv("DOCKER_HOST"), "DOCKER_HOST"
	if len(hosts) == 1 {
		host, source = hosts[0], "-H"
	}
	if strings.TrimSpace(host) == "" {
		source = "default"
	}
	var err error
	if e.Host, err = ParseHost(host, e.TLS); err != nil {
		return Endpoint{}, err
	}
	e.Source = source
	return e, nil
}

// ParseHost reads a daemon address the way docker does: spaces trimmed, no scheme meaning
// tcp://, a missing TCP host or port filled in; empty means the default socket, or
// tcp://localhost:2376 when TLS is on.
func ParseHost(val string, tls bool) (string, error) {
	host := strings.TrimSpace(val)
	if host == "" {
		if tls {
			return "tcp://localhost:2376", nil
		}
		return DefaultHost, nil
	}
	proto, addr, ok := strings.Cut(host, "://")
	if !ok {
		proto, addr = "tcp", host
	}
	switch proto {
	case "unix", "npipe", "fd", "ssh":
		return host, nil
	case "tcp":
	default:
		return "", usagef("invalid daemon host %q: the scheme must be tcp, unix, npipe, fd or ssh", val)
	}
	addr, path, _ := strings.Cut(addr, "/")
	h, port := splitHostPort(addr)
	if h == "" {
		h = "localhost"
	}
	if port == "" {
		port = "2375"
		if tls {
			port = "2376"
		}
	}
	if strings.Contains(h, ":") {
		h = "[" + h + "]"
	}
	out := "tcp://" + h + ":" + port
	if path != "" {
		out += "/" + path
	}
	return out, nil
}

// splitHostPort splits "host:port", "[v6]:port", "host" or ":port" (no package net: the
// front links only the grammar).
func splitHostPort(addr string) (host, port string) {
	if strings.HasPrefix(addr, "[") {
		if i := strings.Index(addr, "]"); i > 0 {
			return addr[1:i], strings.TrimPrefix(addr[i+1:], ":")
		}
	}
	if strings.Count(addr, ":") > 1 {
		return addr, "" // a bare IPv6 address
	}
	h, p, _ := strings.Cut(addr, ":")
	return h, p
}

// tlsFromFlags reads the TLS settings of the default context: --tls (or DOCKER_TLS) turns TLS
// on, --tlsverify (given at all, whatever its value) turns it on too, and verification follows
// --tlsverify, else DOCKER_TLS_VERIFY.
func (inv *Invocation) tlsFromFlags(cfg string, getenv func(string) string) Endpoint {
	var e Endpoint
	tlsOn := getenv("DOCKER_TLS") != ""
	if v, ok := inv.global("tls"); ok {
		tlsOn = IsTrue(v)
	}
	e.Verify = getenv("DOCKER_TLS_VERIFY") != ""
	v, verifySet := inv.global("tlsverify")
	if verifySet {
		e.Verify = IsTrue(v)
	}
	e.TLS = tlsOn || verifySet || e.Verify
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
	id := contextID(name)
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
	host, err := ParseHost(ep.Host, false)
	if err != nil {
		return Endpoint{}, fmt.Errorf("context %q: %w", name, err)
	}
	e := Endpoint{Host: host, Source: "context " + name}
	tlsDir := filepath.Join(cfg, "contexts", "tls", id, "docker")
	if _, err := os.Stat(filepath.Join(tlsDir, "ca.pem")); err == nil {
		e.TLS, e.CA = true, filepath.Join(tlsDir, "ca.pem")
	}
	if _, err := os.Stat(filepath.Join(tlsDir, "cert.pem")); err == nil {
		e.TLS = true
		e.Cert, e.Key = filepath.Join(tlsDir, "cert.pem"), filepath.Join(tlsDir, "key.pem")
	}
	// With TLS data, docker verifies the daemon (against the context's CA, else the system's)
	// unless the context says to skip it.
	e.Verify = e.TLS && !ep.SkipTLSVerify
	return e, nil
}

// IsTrue reads a boolean flag value as pflag does (strconv.ParseBool): 1, t, T, TRUE, true, True.
func IsTrue(v string) bool {
	return v == "1" || strings.EqualFold(v, "t") || strings.EqualFold(v, "true")
}

// ExplicitEndpoint reports whether the daemon is named on the command line (-H, --context, the
// TLS flags, which may move it to tcp://localhost:2376) or in the environment.
func (inv *Invocation) ExplicitEndpoint(getenv func(string) string) bool {
	for _, g := range inv.Globals {
		switch g.Flag.Name {
		case "host", "context", "tls", "tlsverify":
			return true
		}
	}
	for _, v := range []string{"DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_TLS", "DOCKER_TLS_VERIFY"} {
		if getenv(v) != "" {
			return true
		}
	}
	return false
}

// CurrentContext is the context the config file selects ("" or "default" for none).
func (inv *Invocation) CurrentContext(getenv func(string) string) string {
	return currentContext(inv.ConfigDir(getenv))
}

// contextID is the directory name docker stores a context under: the SHA-256 of its name.
func contextID(name string) string {
	sum := sha256.Sum256([]byte(name))
	return hex.EncodeToString(sum[:])
}
