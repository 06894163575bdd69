package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"sdocker/authz"
	"sdocker/defaults"
	"sdocker/verify"
	"sdocker/wrapper"
)

// authzOptions are the flags of `sdocker authz`.
type authzOptions struct {
	listen, policy, daemonHost string
	timeout                    time.Duration
	insecureAllow              []string
}

func newAuthzCmd(e env) *cobra.Command {
	o := &authzOptions{}
	c := &cobra.Command{
		Use:   "authz [--listen unix:///run/docker/plugins/sdocker.sock] [--policy FILE] [--daemon-host unix:///var/run/docker.sock] [--timeout 10s]",
		Short: "Serve dockerd's authorization-plugin protocol: the policy for every client of the daemon",
		Long: `Serves Docker's authorization-plugin protocol on a unix socket, for
dockerd --authorization-plugin=NAME (or "authorization-plugins" in daemon.json), where NAME is the
socket's name in /run/docker/plugins. Every request any client makes of the daemon is judged by
the policy: creates in require mode (what sdocker would add but the request lacks is denied, with
the JSON field and how to comply), privileged exec, updates beyond the maxima, network connects,
pulls by the image rules; plugin installs and swarm services are denied unless --insecure-allow
names them. Each decision answers within --timeout.

Start it before dockerd: a daemon whose plugin is missing at start does not start, and one whose
plugin is down fails every request after 15 s (fail closed).`,
		Args:                  positional(cobra.NoArgs),
		DisableFlagsInUseLine: true,
		RunE:                  func(*cobra.Command, []string) error { return o.Run(e) },
	}
	f := c.Flags()
	f.StringVar(&o.listen, "listen", "unix:///run/docker/plugins/sdocker.sock", "the unix socket to serve the plugin protocol on")
	f.StringVar(&o.policy, "policy", "", "policy file (default: the effective policy)")
	f.StringVar(&o.daemonHost, "daemon-host", wrapper.DefaultHost, "the guarded daemon's socket, asked for its facts")
	f.DurationVar(&o.timeout, "timeout", authz.DefaultTimeout, "longest time one decision may take; past it the request is denied")
	f.StringSliceVar(&o.insecureAllow, "insecure-allow", nil, "let through requests the policy does not judge: plugins, swarm (comma-separated)")
	return c
}

// Run serves the plugin until SIGTERM or SIGINT.
func (o *authzOptions) Run(e env) error {
	sock, ok := strings.CutPrefix(o.listen, "unix://")
	if !ok || sock == "" {
		return &wrapper.UsageError{Msg: fmt.Sprintf("--listen %q: give a unix socket as unix:///run/docker/plugins/NAME.sock", o.listen)}
	}
	if o.timeout <= 0 || o.timeout > 60*time.Second {
		return &wrapper.UsageError{Msg: fmt.Sprintf("--timeout %s: give a duration between 1ms and 60s (dockerd waits for ever on a plugin that does not answer)", o.timeout)}
	}
	allow := map[string]bool{}
	for _, a := range o.insecureAllow {
		switch a {
		case "plugins", "swarm":
			allow[a] = true
		default:
			return &wrapper.UsageError{Msg: fmt.Sprintf("--insecure-allow %q: known classes are plugins and swarm", a)}
		}
		fmt.Fprintf(e.stderr, "sdocker: warning: --insecure-allow=%s: those requests are let through unjudged\n", a)
	}
	p, err := defaults.Load(o.policy)
	if err != nil {
		return err
	}
	ep := wrapper.Endpoint{Host: o.daemonHost, Source: "--daemon-host"}
	eng, err := wrapper.NewEngine(ep)
	if err != nil {
		return err
	}
	opts := authz.Options{Policy: p, Daemon: eng, Images: imageChecker{e: e, p: p, eng: eng}, Local: ep.Local(), Timeout: o.timeout,
		Log: e.stderr, InsecureAllow: allow}
	if s, ok := strings.CutPrefix(ep.Host, "unix://"); ok {
		opts.Sockets = []string{s}
	}
	door, err := authz.New(opts)
	if err != nil {
		return err
	}
	l, err := listenUnix(sock)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: authz.Handler(door), ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: o.timeout + 5*time.Second, IdleTimeout: 5 * time.Minute}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(stop)
	go func() {
		<-stop
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}()
	fmt.Fprintf(e.stderr, "sdocker authz: serving the authorization plugin %q on %s (policy %s)\n",
		strings.TrimSuffix(filepath.Base(sock), ".sock"), sock, p.Source)
	if err := notifyReady(e.getenv("NOTIFY_SOCKET")); err != nil {
		fmt.Fprintf(e.stderr, "sdocker authz: warning: telling systemd it is ready: %v\n", err)
	}
	if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving the authorization plugin: %w", err)
	}
	return nil
}

// listenUnix listens on a unix socket readable by root only, replacing a stale socket (never
// another kind of file).
func listenUnix(path string) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("creating the plugin's socket directory: %w", err)
	}
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("listening on %s: a file that is not a socket is in the way", path)
		}
		if c, err := net.Dial("unix", path); err == nil {
			c.Close()
			return nil, fmt.Errorf("listening on %s: another process serves it", path)
		}
		os.Remove(path)
	}
	old := syscall.Umask(0o077)
	l, err := net.Listen("unix", path)
	syscall.Umask(old)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", path, err)
	}
	return l, nil
}

// imageChecker checks signature rules through sdocker-verify, with the policy the door was
// started with, as the CLI door checks them.
type imageChecker struct {
	e   env
	p   *defaults.Policy
	eng *wrapper.Engine
}

// CheckCreate judges the image of a create as sdocker create would: an image ID by the names
// the daemon knows it by, a local image by its repo digest, one with none by
// signature.unverifiable_local. It prints what it verified to the log, as the CLI door does.
func (c imageChecker) CheckCreate(ctx context.Context, image string) error {
	_, err := verify.GateSignatures(ctx, c.gateEnv(), verify.GateRequest{Image: image})
	return err
}

func (c imageChecker) CheckPull(ctx context.Context, ref string) error {
	sr, err := verify.SignatureRule(c.p, c.p.ImageRule(ref), ref, false)
	if err != nil || sr == nil {
		return err
	}
	_, err = signatureChecker(c.e).Check(ctx, verify.SigRequest{Reference: ref, Rule: sr.Rule}, false)
	if err != nil {
		return fmt.Errorf("%s: %w", sr.Name, err)
	}
	return nil
}

func (c imageChecker) gateEnv() verify.GateEnv {
	return verify.GateEnv{Policy: c.p, Daemon: c.eng, NotFound: wrapper.ErrNotFound, Getenv: c.e.getenv, Out: c.e.stderr,
		Signatures: signatureChecker(c.e)}
}

// notifyReady tells systemd (Type=notify) that the plugin listens, so that dockerd, ordered
// after it, finds it at start. No NOTIFY_SOCKET: not run by systemd, nothing to say.
func notifyReady(socket string) error {
	if socket == "" {
		return nil
	}
	if strings.HasPrefix(socket, "@") {
		socket = "\x00" + socket[1:] // an abstract socket
	}
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: socket, Net: "unixgram"})
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.Write([]byte("READY=1"))
	return err
}
