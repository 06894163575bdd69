package wrapper

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/docker/cli/cli/connhelper"
)

// Engine is a minimal Docker Engine API client: the few calls the CLI door needs before it
// execs docker (daemon facts, the policy's network, containers named by --volumes-from).
type Engine struct {
	base   string
	client *http.Client
	info   *Info // the daemon's answer to GET /info, once asked
}

// ErrNotFound is returned for a 404 from the daemon.
var ErrNotFound = errors.New("not found")

// NewEngine connects to an endpoint over a unix socket or TCP (with TLS where the endpoint
// says so), or over ssh:// as the docker CLI does. npipe:// is not supported.
func NewEngine(e Endpoint) (*Engine, error) {
	u, err := url.Parse(e.Host)
	if err != nil {
		return nil, fmt.Errorf("parsing daemon host %q: %w", e.Host, err)
	}
	tr := &http.Transport{MaxIdleConnsPerHost: 4, IdleConnTimeout: 10 * time.Second}
	base := "http://docker"
	switch u.Scheme {
	case "unix":
		sock := u.Path
		tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		}
	case "tcp", "http", "https":
		base = "http://" + u.Host
		if e.TLS || u.Scheme == "https" {
			cfg, err := tlsConfig(e)
			if err != nil {
				return nil, err
			}
			tr.TLSClientConfig = cfg
			base = "https://" + u.Host
		}
	case "ssh":
		// docker's own ssh connection: ssh HOST docker system dial-stdio, with the user's ssh
		// configuration, keys and agent.
		helper, err := connhelper.GetConnectionHelper(e.Host)
		if err != nil {
			return nil, fmt.Errorf("daemon host %q: %w", e.Host, err)
		}
		tr.DialContext = helper.Dialer
	default:
		return nil, fmt.Errorf("daemon host %q: sdocker talks to unix://, tcp:// and ssh:// daemons only", e.Host)
	}
	return &Engine{base: base, client: &http.Client{Transport: tr, Timeout: 30 * time.Second}}, nil
}

func tlsConfig(e Endpoint) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: !e.Verify}
	if e.CA != "" {
		if pem, err := os.ReadFile(e.CA); err == nil {
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("reading CA %s: no certificate found", e.CA)
			}
			cfg.RootCAs = pool
		} else if e.Verify {
			return nil, fmt.Errorf("reading CA: %w", err)
		}
	}
	if e.Cert != "" {
		if _, err := os.Stat(e.Cert); err == nil {
			pair, err := tls.LoadX509KeyPair(e.Cert, e.Key)
			if err != nil {
				return nil, fmt.Errorf("loading client certificate: %w", err)
			}
			cfg.Certificates = []tls.Certificate{pair}
		}
	}
	return cfg, nil
}

func (c *Engine) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return fmt.Errorf("talking to the docker daemon: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("reading the daemon's answer to %s %s: %w", method, path, err)
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return ErrNotFound
	case resp.StatusCode >= 300:
		var m struct{ Message string }
		_ = json.Unmarshal(data, &m)
		if m.Message == "" {
			m.Message = strings.TrimSpace(string(data))
		}
		return &APIError{Status: resp.StatusCode, Message: m.Message}
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("decoding the daemon's answer to %s %s: %w", method, path, err)
		}
	}
	return nil
}

// APIError is an error status from the daemon.
type APIError struct {
	Status  int
	Message string
}

func (e *APIError) Error() string { return fmt.Sprintf("daemon: %s (status %d)", e.Message, e.Status) }

// Info is the part of GET /info sdocker reads.
type Info struct {
	SecurityOptions []string
	LoggingDriver   string
	ServerVersion   string
	DefaultRuntime  string
	DockerRootDir   string
	// OSType and Architecture are the daemon's platform (Architecture as uname -m says it).
	OSType       string
	Architecture string
}

// HasSecurityOption reports whether the daemon lists name=NAME among its security options.
func (i Info) HasSecurityOption(name string) bool {
	_, ok := i.SecurityOption(name)
	return ok
}

// SecurityOption returns the key=value settings of a security option ("profile" → "default").
func (i Info) SecurityOption(name string) (map[string]string, bool) {
	for _, o := range i.SecurityOptions {
		kv := map[string]string{}
		for _, part := range strings.Split(o, ",") {
			k, v, _ := strings.Cut(part, "=")
			kv[k] = v
		}
		if kv["name"] == name || o == name {
			return kv, true
		}
	}
	return nil, false
}

// Get decodes the JSON answer to GET path (e.g. "/containers/json?all=1") into out.
func (c *Engine) Get(ctx context.Context, path string, out any) error {
	return c.do(ctx, http.MethodGet, path, nil, out)
}

// Info returns the daemon's information, asked once per Engine (one command).
func (c *Engine) Info(ctx context.Context) (Info, error) {
	if c.info != nil {
		return *c.info, nil
	}
	var i Info
	err := c.do(ctx, http.MethodGet, "/info", nil, &i)
	if err == nil {
		c.info = &i
	}
	return i, err
}

// Network is the part of GET /networks/{id} sdocker reads.
type Network struct {
	Name, Driver string
	Options      map[string]string
	Labels       map[string]string
}

// ICCDisabledOption is the bridge driver's option that keeps a network's containers apart.
const ICCDisabledOption = "com.docker.network.bridge.enable_icc"

// Isolated reports whether the network keeps its containers from reaching each other.
func (n Network) Isolated() bool {
	return n.Driver == "bridge" && n.Options[ICCDisabledOption] == "false"
}

// ManagedLabel marks the networks sdocker created.
const ManagedLabel = "dev.sdocker.managed"

// InspectNetwork returns a network by name or ID; ErrNotFound when there is none.
func (c *Engine) InspectNetwork(ctx context.Context, name string) (Network, error) {
	var n Network
	err := c.do(ctx, http.MethodGet, "/networks/"+url.PathEscape(name), nil, &n)
	return n, err
}

// NetworkContainers counts the containers, running or not, attached to a network.
func (c *Engine) NetworkContainers(ctx context.Context, name string) (int, error) {
	q := url.Values{"all": {"1"}, "filters": {`{"network":[` + strconv.Quote(name) + `]}`}}
	var list []struct{ ID string }
	if err := c.do(ctx, http.MethodGet, "/containers/json?"+q.Encode(), nil, &list); err != nil {
		return 0, err
	}
	return len(list), nil
}

// RemoveNetwork removes a network.
func (c *Engine) RemoveNetwork(ctx context.Context, name string) error {
	return c.do(ctx, http.MethodDelete, "/networks/"+url.PathEscape(name), nil, nil)
}

// NetworkExists reports whether a network of that name (or ID) exists.
func (c *Engine) NetworkExists(ctx context.Context, name string) (bool, error) {
	err := c.do(ctx, http.MethodGet, "/networks/"+url.PathEscape(name), nil, nil)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// CreateBridge creates a user-defined bridge network, isolated (inter-container communication
// off) if asked; one that appeared meanwhile is fine.
func (c *Engine) CreateBridge(ctx context.Context, name string, isolated bool) error {
	body := map[string]any{
		"Name":           name,
		"Driver":         "bridge",
		"CheckDuplicate": true,
		"Labels":         map[string]string{ManagedLabel: "true"},
	}
	if isolated {
		body["Options"] = map[string]string{ICCDisabledOption: "false"}
	}
	err := c.do(ctx, http.MethodPost, "/networks/create", body, nil)
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.Status == http.StatusConflict {
		return nil
	}
	return err
}

// Tag gives a local image (a name, repo@digest or ID) the name repo:tag.
func (c *Engine) Tag(ctx context.Context, image, repo, tag string) error {
	q := url.Values{"repo": {repo}, "tag": {tag}}
	if err := c.do(ctx, http.MethodPost, "/images/"+image+"/tag?"+q.Encode(), nil, nil); err != nil {
		return fmt.Errorf("tagging %s as %s:%s: %w", image, repo, tag, err)
	}
	return nil
}

// NetworkAPI is what EnsureNetwork needs of the Engine API (*Engine has it).
type NetworkAPI interface {
	InspectNetwork(ctx context.Context, name string) (Network, error)
	NetworkContainers(ctx context.Context, name string) (int, error)
	RemoveNetwork(ctx context.Context, name string) error
	CreateBridge(ctx context.Context, name string, isolated bool) error
}

// EnsureNetwork makes the policy's network exist, isolated (inter-container communication off)
// when asked: one that is missing is created; an old one of sdocker's own that lets its
// containers reach each other, with no container on it, is made anew; any other that does is
// refused, since containers put on it would reach each other.
func EnsureNetwork(ctx context.Context, eng NetworkAPI, name string, isolate bool) error {
	n, err := eng.InspectNetwork(ctx, name)
	switch {
	case errors.Is(err, ErrNotFound):
		if err := eng.CreateBridge(ctx, name, isolate); err != nil {
			return fmt.Errorf("creating network %s: %w", name, err)
		}
		return nil
	case err != nil:
		return fmt.Errorf("looking up network %s: %w", name, err)
	case !isolate || n.Isolated():
		return nil
	}
	// The network lets its containers reach each other: one sdocker made before it isolated
	// its network, or one made by hand. sdocker's own, with no container on it, is made anew.
	if n.Labels[ManagedLabel] == "true" {
		if count, err := eng.NetworkContainers(ctx, name); err == nil && count == 0 {
			if err := eng.RemoveNetwork(ctx, name); err != nil && !errors.Is(err, ErrNotFound) {
				return fmt.Errorf("removing network %s to make it anew, isolated: %w", name, err)
			}
			if err := eng.CreateBridge(ctx, name, true); err != nil {
				return fmt.Errorf("creating network %s: %w", name, err)
			}
			return nil
		}
	}
	return &UsageError{Msg: fmt.Sprintf("refused (rule network): the policy's network %s lets its containers reach each other "+
		"(it was made with inter-container communication on); to fix it, remove it once no container uses it (docker network rm %s) and "+
		"sdocker makes it anew, isolated; or name a network of your own with --network; or set runtime.network.isolate: false in the policy", name, name)}
}
