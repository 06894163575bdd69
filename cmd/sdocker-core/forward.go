package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"sdocker/defaults"
	"sdocker/verify"
	"sdocker/wrapper"
)

// forward handles every docker command line: commands sdocker does not decide are exec'd
// untouched; run, create, exec and update are decided, rewritten and exec'd.
func forward(argv []string, e env) error {
	inv, err := wrapper.Parse(argv)
	if err != nil {
		return err
	}
	if err := checkTransport(inv, e); err != nil {
		return err
	}
	if inv.Command == "" || inv.Help {
		return execDocker(e, argv)
	}
	p, err := defaults.Load("")
	if err != nil {
		return err
	}
	ep, err := inv.Endpoint(e.getenv)
	if err != nil {
		return err
	}
	eng, err := wrapper.NewEngine(ep)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	if inv.Command == "pull" {
		pinned, err := checkImage(ctx, e, p, inv, eng)
		if err != nil {
			return err
		}
		if ref, err := verify.ParseRef(inv.Image()); err == nil && pinned != "" && ref.Digest == "" {
			return pullAndTag(e, eng, inv, pinned, ref)
		}
		return execDocker(e, wrapper.Render(inv, wrapper.Edit{Image: pinned}))
	}

	req, err := wrapper.Request(inv, wrapper.RequestInput{Cwd: cwd(), ReadFile: os.ReadFile})
	if err != nil {
		return err
	}
	in := defaults.Input{Policy: p, Request: req, Now: time.Now()}
	if ep.Local() {
		in.ResolvePath, in.Host = wrapper.ResolveHostPath, wrapper.LocalHostFS()
		in.Homes, in.Exists = wrapper.HostHomes(), wrapper.HostPathExists
	}
	if inv.Command == "run" || inv.Command == "create" {
		facts, err := daemonFacts(ctx, eng, ep, e)
		if err != nil {
			return err
		}
		in.Facts = facts
		if sock, ok := strings.CutPrefix(ep.Host, "unix://"); ok {
			in.Facts.DaemonSockets = []string{sock}
		}
		if in.Facts.Image, err = wrapper.InspectImage(ctx, eng, in.Request.Image); err != nil {
			return err
		}
		if err := wrapper.ResolveDaemonRefs(ctx, eng, &in.Request); err != nil {
			return err
		}
	}
	d := defaults.Decide(in)
	if inv.Command == "update" && d.Allowed {
		// Each container's current limits complete what the flags change.
		for _, c := range inv.Args {
			one := in
			if one.Request, err = wrapper.WithCurrentLimits(ctx, eng, in.Request, c); err != nil {
				return err
			}
			if d = defaults.Decide(one); !d.Allowed {
				break
			}
		}
	}
	if err := report(e, d); err != nil {
		return err
	}
	ed, err := wrapper.EditFor(inv, d, func(data []byte) (string, error) { return pinProfile(e, data) })
	if err != nil {
		return err
	}
	if inv.Command == "run" || inv.Command == "create" {
		if ed.Image, err = checkImage(ctx, e, p, inv, eng); err != nil {
			return err
		}
		if ed.Image == "" {
			ed.Image = d.Change.Image // a content-bound exception: exactly the image judged
		}
	}
	for _, a := range d.Change.Add {
		if a.Field == defaults.FieldNetworkMode && p.Runtime.Network.Create {
			if err := ensureNetwork(ctx, eng, a.Value, p.Runtime.Network.Isolate); err != nil {
				return err
			}
		}
	}
	if inv.Command == "run" && !flagSet(inv, "detach") && e.exec == nil {
		docker, err := wrapper.FindDocker(e.getenv)
		if err != nil {
			return err
		}
		return runWatched(watched{e: e, docker: docker, inv: inv, edit: ed, in: in, d: d, eng: eng})
	}
	return execDocker(e, wrapper.Render(inv, ed))
}

// pullAndTag pulls the checked digest and then gives it the tag the user asked for, as docker
// itself does when it pulls by digest for content trust: docker pulls what was checked, and
// REPO:TAG exists afterwards. docker runs as a child here (it cannot be exec'd: the tag comes
// after); its output and exit status are passed through.
func pullAndTag(e env, eng *wrapper.Engine, inv *wrapper.Invocation, pinned string, ref verify.Ref) error {
	docker, err := wrapper.FindDocker(e.getenv)
	if err != nil {
		return err
	}
	cmd := exec.Command(docker, wrapper.Render(inv, wrapper.Edit{Image: pinned})...)
	cmd.Args[0] = "docker"
	cmd.Stdin, cmd.Stdout, cmd.Stderr = e.stdin, e.stdout, e.stderr
	// Ctrl-C reaches docker through the terminal's process group; sdocker waits for its status.
	signal.Ignore(os.Interrupt, syscall.SIGTERM)
	defer signal.Reset(os.Interrupt, syscall.SIGTERM)
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return &silentError{code: exit.ExitCode()}
		}
		return fmt.Errorf("running %s: %w", docker, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return eng.Tag(ctx, pinned, ref.Repo, ref.TagOrLatest())
}

// report prints what the user must see before docker runs: refusals (as an error), warnings in
// warn mode, and exceptions that let something through.
func report(e env, d defaults.Decision) error {
	if !d.Allowed {
		return &refusedError{violations: d.Violations}
	}
	for _, v := range d.Violations {
		fmt.Fprintln(e.stderr, "sdocker: warning (mode: warn): would have "+violationLine(v))
	}
	for _, v := range d.Excepted {
		fmt.Fprintf(e.stderr, "sdocker: %s allowed by a policy exception (rule %s): %s\n", v.From, v.Rule, v.Excepted)
	}
	return nil
}

func execDocker(e env, argv []string) error {
	docker, err := wrapper.FindDocker(e.getenv)
	if err != nil {
		return err
	}
	if e.exec != nil {
		return e.exec(docker, argv)
	}
	return wrapper.Exec(docker, argv)
}

func cwd() string {
	d, _ := os.Getwd()
	return d
}

// factsTTL is how long the daemon's facts are reused. GET /info costs the daemon ~10 ms, a
// fortieth of a container start; the facts change only when the daemon is reconfigured and
// restarted, and docker applies its own AppArmor and seccomp defaults meanwhile.
const factsTTL = 30 * time.Second

// daemonFacts asks the daemon what the decision needs to know, or reuses what it said less than
// factsTTL ago.
func daemonFacts(ctx context.Context, eng *wrapper.Engine, ep wrapper.Endpoint, e env) (defaults.Facts, error) {
	var cache *verify.Cache
	key := "daemon-facts/v3 " + ep.Host
	if dir, err := verify.DefaultCacheDir(e.getenv, "daemon"); err == nil {
		cache = &verify.Cache{Dir: dir}
		var f defaults.Facts
		if cache.Get(key, &f) {
			return f, nil
		}
	}
	f, err := askFacts(ctx, eng, e)
	if err == nil && cache != nil {
		_ = cache.Put(key, f, factsTTL) // a cache that cannot be written costs a request, no more
	}
	return f, err
}

func askFacts(ctx context.Context, eng *wrapper.Engine, e env) (defaults.Facts, error) {
	info, err := eng.Info(ctx)
	if err != nil {
		return defaults.Facts{}, fmt.Errorf("asking the daemon for its security options: %w", err)
	}
	return wrapper.FactsFromInfo(info), nil
}

// pinProfile keeps a checked seccomp profile in the cache directory, named by its content.
func pinProfile(e env, data []byte) (string, error) {
	dir, err := cacheDir(e)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	path := filepath.Join(dir, "seccomp", hex.EncodeToString(sum[:])+".json")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", err
	}
	return path, verify.WriteFileAtomic(path, data, 0o644)
}

func cacheDir(e env) (string, error) {
	dir, err := verify.DefaultCacheDir(e.getenv, "")
	if err != nil {
		return "", err
	}
	return dir, os.MkdirAll(dir, 0o755)
}

func ensureNetwork(ctx context.Context, eng *wrapper.Engine, name string, isolate bool) error {
	n, err := eng.InspectNetwork(ctx, name)
	switch {
	case errors.Is(err, wrapper.ErrNotFound):
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
	if n.Labels[wrapper.ManagedLabel] == "true" {
		if count, err := eng.NetworkContainers(ctx, name); err == nil && count == 0 {
			if err := eng.RemoveNetwork(ctx, name); err != nil && !errors.Is(err, wrapper.ErrNotFound) {
				return fmt.Errorf("removing network %s to make it anew, isolated: %w", name, err)
			}
			if err := eng.CreateBridge(ctx, name, true); err != nil {
				return fmt.Errorf("creating network %s: %w", name, err)
			}
			return nil
		}
	}
	return &wrapper.UsageError{Msg: fmt.Sprintf("refused (rule network): the policy's network %s lets its containers reach each other "+
		"(it was made with inter-container communication on); to fix it, remove it once no container uses it (docker network rm %s) and "+
		"sdocker makes it anew, isolated; or name a network of your own with --network; or set runtime.network.isolate: false in the policy", name, name)}
}

// checkTransport refuses a TCP daemon without TLS verification unless the policy allows it.
func checkTransport(inv *wrapper.Invocation, e env) error {
	ep, err := inv.Endpoint(e.getenv)
	if err != nil || !ep.InsecureTCP() {
		return err
	}
	p, err := defaults.Load("")
	if err != nil {
		return err
	}
	if p.Daemon.InsecureAllowTCPWithoutTLS {
		fmt.Fprintf(e.stderr, "sdocker: warning: talking to %s (from %s) without TLS verification, as the policy allows\n", ep.Host, ep.Source)
		return nil
	}
	return &wrapper.UsageError{Msg: fmt.Sprintf("refusing to talk to %s (from %s) without TLS verification: anyone on the network path "+
		"would be root on that host; use --tlsverify with certificates from `sdocker tls init` (or DOCKER_TLS_VERIFY=1), "+
		"or set daemon.insecure_allow_tcp_without_tls: true in the policy", ep.Host, ep.Source)}
}
