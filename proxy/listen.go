package proxy

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"time"
)

// ListenOptions say how the proxy's socket is made.
type ListenOptions struct {
	// Path is the socket's file.
	Path string
	// Group owns the socket (a name or a number); "" keeps the process's group.
	Group string
	// Mode is the socket's permission bits (0660 lets the group in).
	Mode os.FileMode
}

// ListenUnix makes the proxy's socket with its group and mode already set when it appears at
// Path: it is bound in a private directory beside Path, given its owner and mode there, and
// renamed into place, so no one outside the group ever reaches it. A stale socket at Path (one
// nobody answers on) is replaced; a live one is an error. Closing the listener removes Path.
func ListenUnix(o ListenOptions) (net.Listener, error) {
	gid := -1
	if o.Group != "" {
		g, err := lookupGroup(o.Group)
		if err != nil {
			return nil, err
		}
		gid = g
	}
	if err := clearStale(o.Path); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(filepath.Dir(o.Path), ".sdocker-proxy-")
	if err != nil {
		return nil, fmt.Errorf("making the socket %s: %w", o.Path, err)
	}
	defer os.RemoveAll(dir)
	tmp := filepath.Join(dir, "s")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: tmp, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", o.Path, err)
	}
	l.SetUnlinkOnClose(false)
	fail := func(what string, err error) (net.Listener, error) {
		l.Close()
		return nil, fmt.Errorf("%s %s: %w", what, o.Path, err)
	}
	if gid >= 0 {
		if err := os.Lchown(tmp, -1, gid); err != nil {
			return fail("giving group "+o.Group+" the socket", err)
		}
	}
	if err := os.Chmod(tmp, o.Mode.Perm()); err != nil {
		return fail("setting the mode of the socket", err)
	}
	if err := os.Rename(tmp, o.Path); err != nil {
		return fail("putting the socket in place at", err)
	}
	return &unixListener{UnixListener: l, path: o.Path}, nil
}

type unixListener struct {
	*net.UnixListener
	path string
}

func (l *unixListener) Close() error {
	err := l.UnixListener.Close()
	os.Remove(l.path)
	return err
}

func lookupGroup(name string) (int, error) {
	if n, err := strconv.Atoi(name); err == nil {
		return n, nil
	}
	g, err := user.LookupGroup(name)
	if err != nil {
		return 0, fmt.Errorf("looking up group %q: %w", name, err)
	}
	return strconv.Atoi(g.Gid)
}

// clearStale removes a socket nobody answers on; a live one, or a file that is not a socket, is
// an error.
func clearStale(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.Mode().Type() != os.ModeSocket {
		return fmt.Errorf("%s exists and is not a socket", path)
	}
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return fmt.Errorf("something already answers on %s", path)
	}
	return os.Remove(path)
}

// TLSListenOptions say how the proxy listens on TCP: only with mutual TLS, every client
// presenting a certificate signed by ClientCA.
type TLSListenOptions struct {
	Addr                  string // host:port
	ClientCA              string // PEM bundle the clients' certificates must chain to
	ServerCert, ServerKey string
}

// ListenTLS listens on TCP with mutual TLS; without a client CA, a certificate and a key it
// refuses to listen at all.
func ListenTLS(o TLSListenOptions) (net.Listener, error) {
	if o.ClientCA == "" || o.ServerCert == "" || o.ServerKey == "" {
		return nil, errors.New("a TCP socket needs mutual TLS: a client CA, a server certificate and its key")
	}
	pem, err := os.ReadFile(o.ClientCA)
	if err != nil {
		return nil, fmt.Errorf("reading the client CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("reading the client CA %s: no certificate found", o.ClientCA)
	}
	pair, err := tls.LoadX509KeyPair(o.ServerCert, o.ServerKey)
	if err != nil {
		return nil, fmt.Errorf("loading the server certificate: %w", err)
	}
	l, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", o.Addr, err)
	}
	return tls.NewListener(l, &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{pair},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pool,
	}), nil
}
