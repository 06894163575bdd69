package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"sdocker/defaults"
	"sdocker/proxy"
	"sdocker/wrapper"
)

// proxyOptions are the flags of `sdocker proxy`; docker's global flags (-H, --context, --tls…)
// among them pick the daemon behind the proxy, as they do for docker.
type proxyOptions struct {
	listen, group, mode, policy     string
	listenCA, listenCert, listenKey string
}

func newProxyCmd(e env) *cobra.Command {
	o := &proxyOptions{}
	c := &cobra.Command{
		Use: "proxy --listen unix:///PATH [--group NAME] [--mode 0660] | --listen tcp://ADDR:PORT --listen-ca FILE --listen-cert FILE --listen-key FILE " +
			"[--policy FILE] [-H HOST | --context NAME]",
		Short: "Serve the Docker Engine API on a socket of its own, with every container decided by the policy",
		Long: `Serves the Docker Engine API in front of the daemon sdocker talks to (DOCKER_HOST, the context,
-H). Container creates are decided and hardened by changing their body, exactly as sdocker run
adds flags; privileged execs, updates beyond the maxima, plugins, swarm services, the host's
network on connect and on classic builds are refused with "Error response from daemon: sdocker:
…". Everything else, streams included, is forwarded untouched. The socket gets --group and --mode
before it appears. On TCP it listens only with mutual TLS (--listen-ca, --listen-cert,
--listen-key: every client presents a certificate signed by that CA). Containers whose image runtime.docker_socket.images names get, in place of
the daemon's socket, a policed one of their own (in a "sockets" directory beside --listen).
SIGTERM or SIGINT stops it.`,
		DisableFlagParsing:    true,
		DisableFlagsInUseLine: true,
		RunE: func(c *cobra.Command, a []string) error {
			globals, help, err := ownFlags(c, a, true)
			switch {
			case err != nil:
				return err
			case help:
				return c.Help()
			case o.listen == "":
				return usageError(c, "--listen is required")
			}
			return o.Run(c, e, globals)
		},
	}
	f := c.Flags()
	f.StringVar(&o.listen, "listen", "", "the socket to serve on: unix:///PATH, or tcp://ADDR:PORT with mutual TLS")
	f.StringVar(&o.listenCA, "listen-ca", "", "TCP: the CA that signs the clients' certificates (sdocker tls init's ca.pem)")
	f.StringVar(&o.listenCert, "listen-cert", "", "TCP: the proxy's server certificate")
	f.StringVar(&o.listenKey, "listen-key", "", "TCP: the proxy's server key")
	f.StringVar(&o.group, "group", "", "group owning the socket (a name or a number)")
	f.StringVar(&o.mode, "mode", "0660", "permission bits of the socket, in octal")
	f.StringVar(&o.policy, "policy", "", "policy file (default: the effective policy)")
	return c
}

// Run serves until SIGTERM or SIGINT.
func (o *proxyOptions) Run(c *cobra.Command, e env, globals []string) error {
	path, ok := strings.CutPrefix(o.listen, "unix://")
	addr, tcp := strings.CutPrefix(o.listen, "tcp://")
	switch {
	case tcp && (o.listenCA == "" || o.listenCert == "" || o.listenKey == ""):
		return usageError(c, fmt.Sprintf("--listen %s: on TCP the proxy listens only with mutual TLS: give --listen-ca, "+
			"--listen-cert and --listen-key (sdocker tls init makes them)", o.listen))
	case tcp && addr == "":
		return usageError(c, "--listen tcp://ADDR:PORT needs an address")
	case !tcp && (!ok && strings.Contains(o.listen, "://") || path == ""):
		return usageError(c, fmt.Sprintf("--listen %s: expected unix:///PATH or tcp://ADDR:PORT", o.listen))
	}
	mode, err := strconv.ParseUint(o.mode, 8, 32)
	if err != nil || mode > 0o777 {
		return usageError(c, fmt.Sprintf("--mode %s: expected permission bits in octal, like 0660", o.mode))
	}
	inv, err := wrapper.Parse(globals)
	if err != nil {
		return err
	}
	if n := len(inv.Globals); len(globals) > 0 && (n == 0 || inv.Globals[n-1].End != len(globals)) {
		return usageError(c, "")
	}
	p, err := defaults.Load(o.policy)
	if err != nil {
		return err
	}
	socketDir := "" // on TCP, no policed sockets for containers: they are unix sockets beside --listen
	if !tcp {
		socketDir = filepath.Join(filepath.Dir(path), "sockets")
	}
	policed := "" // the policy's policed socket, which the CLI door gives containers too
	if !tcp {
		policed = p.Runtime.DockerSocket.Policed
	}
	srv, closeLog, err := newProxyServer(e, inv, p, socketDir, policed, o.group)
	if err != nil {
		return err
	}
	defer closeLog()
	var l net.Listener
	if tcp {
		l, err = proxy.ListenTLS(proxy.TLSListenOptions{Addr: addr, ClientCA: o.listenCA, ServerCert: o.listenCert, ServerKey: o.listenKey})
	} else {
		l, err = proxy.ListenUnix(proxy.ListenOptions{Path: path, Group: o.group, Mode: os.FileMode(mode)})
	}
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	fmt.Fprintf(e.stderr, "sdocker: proxy: serving the Engine API on %s, policy %s\n", o.listen, p.Source)
	return srv.Serve(ctx, l)
}

// newProxyServer makes the API door in front of the daemon the invocation names.
// Containers whose image runtime.docker_socket.images names get a policed socket: policed where
// given (made at start), else in socketDir.
func newProxyServer(e env, inv *wrapper.Invocation, p *defaults.Policy, socketDir, policed, group string) (*proxy.Server, func(), error) {
	ep, err := inv.Endpoint(e.getenv)
	if err != nil {
		return nil, nil, err
	}
	if ep.InsecureTCP() && !p.Daemon.InsecureAllowTCPWithoutTLS {
		return nil, nil, &wrapper.UsageError{Msg: fmt.Sprintf("refusing to talk to %s (from %s) without TLS verification; "+
			"use --tlsverify with certificates from `sdocker tls init`, or set daemon.insecure_allow_tcp_without_tls: true in the policy", ep.Host, ep.Source)}
	}
	dial, err := wrapper.Dialer(ep)
	if err != nil {
		return nil, nil, err
	}
	eng, err := wrapper.NewEngine(ep)
	if err != nil {
		return nil, nil, err
	}
	opt := proxy.Options{Policy: p, Dial: dial, Daemon: eng, Images: imageGate{e: e, p: p, eng: eng}}
	if ep.Local() {
		opt.ResolvePath = wrapper.ResolveHostPath
		opt.Host, opt.Homes, opt.Exists = wrapper.LocalHostFS(), wrapper.HostHomes(), wrapper.HostPathExists
		opt.SocketDir = socketDir // the policed socket must be on the daemon's host
		opt.PolicedSocket, opt.SocketGroup = policed, group
		opt.DaemonSocket = strings.TrimPrefix(ep.Host, "unix://")
	}
	closeLog := func() {}
	if path := p.Log.Decisions; path != "" {
		dl := &defaults.DecisionLog{Path: path, Report: func(err error) { fmt.Fprintln(e.stderr, "sdocker: warning: "+err.Error()) }}
		opt.Log, closeLog = dl.Write, func() { dl.Close() }
	}
	srv, err := proxy.New(opt)
	return srv, closeLog, err
}

// newComposeCmd runs docker compose (the v2 plugin) against a private proxy that lives as
// long as the command, so every service meets the policy.
func newComposeCmd(e env) *cobra.Command {
	c := &cobra.Command{
		Use:   "compose [ARGS…]",
		Short: "Run docker compose with every service decided by the policy (through a private proxy)",
		Long: `Runs docker compose ARGS… (the v2 CLI plugin) with DOCKER_HOST pointing at a private
sdocker proxy that lives as long as the command, in front of the daemon sdocker talks to. Every
service's container is decided and hardened as sdocker run would; a refused service fails the
command with sdocker's message. 'sdocker compose COMMAND --help' is compose's own help.`,
		DisableFlagParsing:    true,
		DisableFlagsInUseLine: true,
		RunE: func(c *cobra.Command, a []string) error {
			if len(a) == 1 && (a[0] == "--help" || a[0] == "-h") {
				return c.Help()
			}
			return runCompose(e, a)
		},
	}
	return c
}

func runCompose(e env, args []string) error {
	p, err := defaults.Load("")
	if err != nil {
		return err
	}
	inv, err := wrapper.Parse(nil)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "sdocker-compose-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	srv, closeLog, err := newProxyServer(e, inv, p, filepath.Join(dir, "sockets"), "", "")
	if err != nil {
		return err
	}
	defer closeLog()
	sock := dir + "/docker.sock"
	l, err := proxy.ListenUnix(proxy.ListenOptions{Path: sock, Mode: 0o600})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, l) }()
	defer func() { cancel(); <-served }()

	docker, err := wrapper.FindDocker(e.getenv)
	if err != nil {
		return err
	}
	cmd := exec.Command(docker, append([]string{"compose"}, args...)...)
	cmd.Args[0] = "docker"
	cmd.Env = composeEnv(os.Environ(), "unix://"+sock)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = e.stdin, e.stdout, e.stderr
	// Ctrl-C reaches compose through the terminal's process group; sdocker waits for it.
	signal.Ignore(os.Interrupt)
	defer signal.Reset(os.Interrupt)
	if err := cmd.Run(); err != nil {
		var exit interface{ ExitCode() int }
		if errors.As(err, &exit) && exit.ExitCode() >= 0 {
			return &silentError{code: exit.ExitCode()}
		}
		return fmt.Errorf("running docker compose: %w", err)
	}
	return nil
}

// composeEnv points docker at the proxy: DOCKER_HOST, and nothing that would pick another
// daemon or TLS for it.
func composeEnv(env []string, host string) []string {
	out := []string{"DOCKER_HOST=" + host}
	for _, kv := range env {
		switch k, _, _ := strings.Cut(kv, "="); k {
		case "DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH", "DOCKER_TLS":
		default:
			out = append(out, kv)
		}
	}
	return out
}

// imageGate is the CLI door's image check (signatures, the scan gate) for the API door: a pull
// or create of the image, judged as `sdocker pull IMAGE` or `sdocker create IMAGE` would be.
type imageGate struct {
	e   env
	p   *defaults.Policy
	eng *wrapper.Engine
}

// What the check prints goes to the proxy's stderr; where it refuses with what it printed (the
// scan gate's table), that becomes the refusal's message.
func (g imageGate) Check(ctx context.Context, action, ref string) (string, error) {
	inv, err := wrapper.Parse([]string{action, ref})
	if err != nil {
		return "", err
	}
	var said bytes.Buffer
	e := g.e
	e.stderr = &said
	pinned, err := checkImage(ctx, e, g.p, inv, g.eng)
	g.e.stderr.Write(said.Bytes())
	var silent *silentError
	if errors.As(err, &silent) {
		lines := strings.Split(strings.TrimSpace(said.String()), "\n")
		for i := range lines {
			lines[i] = strings.TrimPrefix(strings.TrimSpace(lines[i]), "sdocker: ")
		}
		err = errors.New(strings.Join(lines, "; "))
	}
	return pinned, err
}
