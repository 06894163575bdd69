package proxy

import (
	"context"
	"errors"
	"io"
	"log"
	"net"
	"sync"
)

// Peer is the process at the other end of a client connection, as the kernel reports it for a
// unix socket (SO_PEERCRED). Known is false for other transports.
type Peer struct {
	Known    bool
	UID, PID int
}

type peerKey struct{}

// PeerOf returns the peer of the connection a request came on.
func PeerOf(ctx context.Context) Peer {
	p, _ := ctx.Value(peerKey{}).(Peer)
	return p
}

// trackingListener records every connection it accepts, so that Serve can close them all
// (hijacked ones too, which http.Server forgets) and tests can count them.
type trackingListener struct {
	net.Listener
	s *Server
}

func (l *trackingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c, s: l.s, peer: peerCred(c)}
	l.s.mu.Lock()
	l.s.conns[tc] = struct{}{}
	l.s.mu.Unlock()
	return tc, nil
}

type trackedConn struct {
	net.Conn
	s    *Server
	peer Peer
	once sync.Once
}

func (c *trackedConn) Close() error {
	c.once.Do(func() {
		c.s.mu.Lock()
		delete(c.s.conns, c)
		c.s.mu.Unlock()
	})
	return c.Conn.Close()
}

// CloseWrite passes a half-close on (docker run -i: stdin ended, output still to come).
func (c *trackedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.New("connection cannot half-close")
}

func discardLog() *log.Logger { return log.New(io.Discard, "", 0) }
