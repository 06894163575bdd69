// Package proxy is sdocker's API door: an Engine API proxy that decides what it must
// (container create, exec create, update, network connect, plugins, builds with the host's
// network) with the same policy as the CLI door, changes a create body to harden it, and
// forwards everything else to the daemon untouched, hijacked streams and HTTP upgrades
// included. Compose, the SDKs, CI runners and Testcontainers meet the policy here.
package proxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"sync"
	"time"

	"sdocker/defaults"
	"sdocker/wrapper"
)

// Daemon is what the decisions ask of the daemon behind the proxy (*wrapper.Engine has it):
// its facts, the containers, volumes and networks a request names, the policy's network, the
// tag of a pull made by digest.
type Daemon interface {
	wrapper.Getter
	Info(ctx context.Context) (wrapper.Info, error)
	wrapper.NetworkAPI
	Tag(ctx context.Context, image, repo, tag string) error
}

// Options configure a Server.
type Options struct {
	// Policy decides every request.
	Policy *defaults.Policy
	// Dial opens a connection to the daemon that speaks HTTP (wrapper.Dialer).
	Dial func(ctx context.Context) (net.Conn, error)
	// Daemon answers the decisions' questions; usually the same daemon as Dial's.
	Daemon Daemon
	// ResolvePath resolves a host path's symlinks on the daemon's host; nil where the daemon
	// is remote.
	ResolvePath func(string) (string, error)
	// Host answers what the kernel makes of host paths, and Homes and Exists what the host's
	// homes are, where the daemon shares this host (see defaults.Input).
	Host   defaults.HostFS
	Homes  []defaults.Home
	Exists func(string) bool
	// Log receives every decision (nil: none).
	Log func(Entry)
	// MaxBody is the largest request body the proxy reads to judge; a larger one is refused,
	// never forwarded. Zero means DefaultMaxBody.
	MaxBody int64
	// ShutdownGrace is how long Serve waits for requests in flight once its context ends,
	// before it closes every connection (streams included). Zero means 2 seconds.
	ShutdownGrace time.Duration
	// Now is the clock (exceptions expire); nil means time.Now.
	Now func() time.Time
	// SocketDir is where the proxy makes the policed socket it gives containers whose image
	// runtime.docker_socket.images names, in place of the daemon's; "" gives none (they are
	// refused the daemon's socket). It must be on the daemon's host.
	SocketDir string
	// PolicedSocket is the path of that policed socket (runtime.docker_socket.policed), made when
	// Serve starts, so that the CLI door can give it to containers too; "" makes it in
	// SocketDir on first use.
	PolicedSocket string
	// SocketGroup, where set, may reach the policed socket too (its directory 0750 root:GROUP),
	// so the CLI door, run by that group's users, finds it served; "" keeps it root's (0700).
	// It is the proxy's own --group: the same users reach the same policy on its main socket.
	SocketGroup string
	// Images applies the policy's image rules to pulls and creates; nil forwards pulls
	// unchecked (and logged) and leaves a create's image as asked.
	Images ImageGate
	// DaemonSocket is the host path of the daemon's socket where it is local: a bind of it is
	// the daemon's socket too, whatever its name.
	DaemonSocket string
}

// DefaultMaxBody bounds a judged body: far above any real create body, and far above the
// 1 MiB past which dockerd hands its own authorization plugins an empty body.
const DefaultMaxBody = 32 << 20

// Server is the API door.
type Server struct {
	opt     Options
	forward *httputil.ReverseProxy
	up      *http.Transport

	mu        sync.Mutex
	facts     defaults.Facts
	factsTime time.Time
	conns     map[*trackedConn]struct{}
	httpSrv   *http.Server
	policed   string   // the policed socket, once made
	own       []string // the sockets the proxy serves its clients on
}

// New makes a Server; it serves nothing until Serve.
func New(opt Options) (*Server, error) {
	if opt.Policy == nil || opt.Dial == nil || opt.Daemon == nil {
		return nil, errors.New("proxy: a policy, a dialer and a daemon are required")
	}
	if opt.MaxBody == 0 {
		opt.MaxBody = DefaultMaxBody
	}
	if opt.ShutdownGrace == 0 {
		opt.ShutdownGrace = 2 * time.Second
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	opt.Daemon = &cachedDaemon{Daemon: opt.Daemon}
	s := &Server{opt: opt, conns: map[*trackedConn]struct{}{}}
	s.up = &http.Transport{
		DialContext:         func(ctx context.Context, _, _ string) (net.Conn, error) { return opt.Dial(ctx) },
		MaxIdleConnsPerHost: 32,
		IdleConnTimeout:     30 * time.Second,
		DisableCompression:  true,
	}
	s.forward = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.Out.URL.Scheme, r.Out.URL.Host = "http", "docker"
			r.Out.Host = r.In.Host // the client's Host header, as the daemon would see it
		},
		Transport:     s.up,
		FlushInterval: -1, // logs -f, events, stats, pulls: every write reaches the client at once
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if r.Context().Err() != nil {
				return // the client left
			}
			writeError(w, http.StatusBadGateway, "sdocker: proxy: the daemon did not answer "+r.Method+" "+r.URL.Path+": "+err.Error())
		},
	}
	return s, nil
}

// Serve answers connections from l until ctx ends, then stops accepting, lets requests in
// flight finish for the shutdown grace and closes every connection left, hijacked streams
// included. It returns nil after a shutdown asked by ctx.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 30 * time.Second,
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			if tc, ok := c.(*trackedConn); ok {
				return context.WithValue(ctx, peerKey{}, tc.peer)
			}
			return ctx
		},
		ErrorLog: discardLog(),
	}
	s.mu.Lock()
	s.httpSrv = srv
	if ul, ok := l.(*unixListener); ok {
		s.own = append(s.own, ul.path)
	} else if a, ok := l.Addr().(*net.UnixAddr); ok {
		s.own = append(s.own, a.Name)
	}
	s.mu.Unlock()
	if s.opt.PolicedSocket != "" {
		if _, err := s.policedSocket(); err != nil {
			return fmt.Errorf("serving the policed socket for containers: %w", err)
		}
	}
	tl := &trackingListener{Listener: l, s: s}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(tl) }()
	select {
	case err := <-errc:
		s.closeAll()
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), s.opt.ShutdownGrace)
	defer cancel()
	_ = srv.Shutdown(sctx) // stops accepting and closes idle connections; streams are closed next
	s.closeAll()
	<-errc
	s.up.CloseIdleConnections()
	return nil
}

// closeAll closes every client connection still open, hijacked ones included.
func (s *Server) closeAll() {
	s.mu.Lock()
	conns := make([]*trackedConn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}

// Conns is the number of client connections open now (hijacked streams included).
func (s *Server) Conns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// facts returns the daemon's facts, asked at most every 30 seconds.
func (s *Server) daemonFacts(ctx context.Context) (defaults.Facts, error) {
	s.mu.Lock()
	if !s.factsTime.IsZero() && time.Since(s.factsTime) < 30*time.Second {
		f := s.facts
		s.mu.Unlock()
		return f, nil
	}
	s.mu.Unlock()
	info, err := s.opt.Daemon.Info(ctx)
	if err != nil {
		return defaults.Facts{}, err
	}
	f := defaults.Facts{Known: true, AppArmor: info.HasSecurityOption("apparmor"), LogDriver: info.LoggingDriver, SeccompBuiltin: true}
	if sc, ok := info.SecurityOption("seccomp"); ok {
		switch sc["profile"] {
		case "default", "builtin", "":
		default:
			f.SeccompBuiltin = false
		}
	}
	s.mu.Lock()
	s.facts, s.factsTime = f, time.Now()
	s.mu.Unlock()
	return f, nil
}

// CloseIdleConnections closes the proxy's idle connections to the daemon (kept for reuse).
func (s *Server) CloseIdleConnections() { s.up.CloseIdleConnections() }
