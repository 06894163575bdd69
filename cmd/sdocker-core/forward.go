package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
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

	if handled, err := forwardMore(ctx, e, p, inv, eng, ep); handled {
		return err
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
		facts, err := daemonFacts(ctx, eng, e)
		if err != nil {
			return err
		}
		in.Facts = facts
		if sock, ok := strings.CutPrefix(ep.Host, "unix://"); ok {
			in.Facts.DaemonSockets = []string{sock}
		}
		if ep.Local() {
			in.Facts.PolicedSocket = wrapper.PolicedSocket(p.Runtime.DockerSocket.Policed)
		}
		if in.Facts.Image, err = wrapper.InspectImage(ctx, eng, in.Request.Image); err != nil {
			return err
		}
		if err := wrapper.ResolveDaemonRefs(ctx, eng, &in.Request); err != nil {
			return err
		}
		if in.Request.RestartPolicy != nil {
			// The daemon will mount these again on its own: who could swap them matters.
			if err := wrapper.MarkSwappable(in.Request.Mounts, swapCheck(ep)); err != nil {
				return err
			}
		} else if ep.Local() {
			// Between this check and the daemon's mount, another user must not be able to swap
			// a source for a link (the user's own directories are theirs to change).
			if err := wrapper.MarkSwappable(in.Request.Mounts, wrapper.SwappableByOthers); err != nil {
				return err
			}
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
			if one.Request, err = wrapper.WithContainerMounts(ctx, eng, one.Request, c, swapCheck(ep)); err != nil {
				return err
			}
			if d = defaults.Decide(one); !d.Allowed {
				break
			}
		}
	}
	if err := report(e, d); err != nil {
		logDecision(e, p, inv, d, "")
		return err
	}
	ed, err := wrapper.EditFor(inv, d, wrapper.PinProfile)
	if err != nil {
		return err
	}
	if inv.Command == "run" || inv.Command == "create" {
		if ed.Image, err = checkImage(ctx, e, p, inv, eng); err != nil {
			logDecision(e, p, inv, defaults.Decision{Mode: d.Mode, Violations: []defaults.Violation{{Rule: "image-gate", Field: defaults.FieldImage, From: inv.Image()}}}, "")
			return err
		}
		if ed.Image == "" {
			ed.Image = d.Change.Image // a content-bound exception: exactly the image judged
		}
	}
	logDecision(e, p, inv, d, ed.Image)
	for _, a := range d.Change.Add {
		if a.Field == defaults.FieldNetworkMode && p.Runtime.Network.Create {
			if err := wrapper.EnsureNetwork(ctx, eng, a.Value, p.Runtime.Network.Isolate); err != nil {
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

// daemonFacts asks the daemon what the decision needs to know, afresh for every command: facts
// read back from a file the user can write could be made to say what weakens the decision (a
// built-in seccomp default, another default runtime, a log driver that needs no rotation).
// GET /info costs the daemon about 10 ms, a fiftieth of a container start, and is asked once
// per command (the Engine keeps its answer for the scan gate).
func daemonFacts(ctx context.Context, eng *wrapper.Engine, e env) (defaults.Facts, error) {
	return askFacts(ctx, eng, e)
}

func askFacts(ctx context.Context, eng *wrapper.Engine, e env) (defaults.Facts, error) {
	info, err := eng.Info(ctx)
	if err != nil {
		return defaults.Facts{}, fmt.Errorf("asking the daemon for its security options: %w", err)
	}
	return wrapper.FactsFromInfo(info), nil
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

// logDecision appends the CLI door's decision to the policy's decision log (log.decisions), if
// it names one. A log that cannot be written is reported and never stops the command.
func logDecision(e env, p *defaults.Policy, inv *wrapper.Invocation, d defaults.Decision, pinned string) {
	if p.Log.Decisions == "" {
		return
	}
	entry := defaults.NewLogEntry(time.Now(), "cli", inv.Command, inv.Image(), d)
	entry.Pinned = pinned
	entry.Peer = &defaults.LogPeer{UID: os.Getuid(), PID: os.Getpid()}
	l := &defaults.DecisionLog{Path: p.Log.Decisions, Report: func(err error) { fmt.Fprintln(e.stderr, "sdocker: warning: "+err.Error()) }}
	l.Write(entry)
	l.Close()
}
