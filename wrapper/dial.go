package wrapper

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/url"

	"github.com/docker/cli/cli/connhelper"
)

// Dialer returns a function that opens one connection to the endpoint's daemon that speaks
// HTTP: a unix socket, TCP (inside TLS where the endpoint says so), or docker's own ssh
// connection. The API door forwards requests and hijacked streams over such connections.
func Dialer(e Endpoint) (func(ctx context.Context) (net.Conn, error), error) {
	u, err := url.Parse(e.Host)
	if err != nil {
		return nil, fmt.Errorf("parsing daemon host %q: %w", e.Host, err)
	}
	var d net.Dialer
	switch u.Scheme {
	case "unix":
		sock := u.Path
		return func(ctx context.Context) (net.Conn, error) { return d.DialContext(ctx, "unix", sock) }, nil
	case "tcp", "http", "https":
		host := u.Host
		if !e.TLS && u.Scheme != "https" {
			return func(ctx context.Context) (net.Conn, error) { return d.DialContext(ctx, "tcp", host) }, nil
		}
		cfg, err := tlsConfig(e)
		if err != nil {
			return nil, err
		}
		if cfg.ServerName == "" {
			cfg.ServerName, _, _ = net.SplitHostPort(host)
		}
		td := tls.Dialer{NetDialer: &d, Config: cfg}
		return func(ctx context.Context) (net.Conn, error) { return td.DialContext(ctx, "tcp", host) }, nil
	case "ssh":
		helper, err := connhelper.GetConnectionHelper(e.Host)
		if err != nil {
			return nil, fmt.Errorf("daemon host %q: %w", e.Host, err)
		}
		return func(ctx context.Context) (net.Conn, error) { return helper.Dialer(ctx, "tcp", "docker") }, nil
	}
	return nil, fmt.Errorf("daemon host %q: sdocker talks to unix://, tcp:// and ssh:// daemons only", e.Host)
}
