// Package plan is the CLI door's pipeline: for one docker command line it works out, once,
// everything sdocker must know before docker runs — the daemon's endpoint, the policy, the
// daemon's facts, the request with the daemon's references resolved, the decision, the image
// pinned by the image gate, the network to ensure, and the argv docker is handed. The command
// that calls it only prints what it is told and runs docker.
package plan

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"sdocker/defaults"
	"sdocker/verify"
	"sdocker/wrapper"
)

// Env is what a plan works with, from the process that asks for it.
type Env struct {
	// Getenv reads the environment (DOCKER_HOST, DOCKER_CONFIG, DOCKER_CONTENT_TRUST…).
	Getenv func(string) string
	// Out receives what sdocker says along the way: warnings, exceptions that let something
	// through, the verified digest and signers, the scan summary.
	Out io.Writer
	// Cwd is the working directory: relative paths on the command line are read from it.
	Cwd string
	// ReadFile reads files the command line names (seccomp profiles, env files).
	ReadFile func(string) ([]byte, error)
	// Stdin is the standard input: a compose file given as -c -.
	Stdin io.Reader
	// Signatures checks signatures (and caches verifications).
	Signatures *verify.SigChecker
	// ScanBase is what every scan shares (trivy, its database, the cache, progress).
	ScanBase func() (verify.ScanInput, error)
	// BuildKit reports whether `docker build` runs on BuildKit here.
	BuildKit func() bool
}

// Action is what the command does with a plan.
type Action int

const (
	// Exec: exec docker with Argv.
	Exec Action = iota
	// PullAndTag: run `docker Argv` (a pull of the checked digest), then tag it as Tag says.
	PullAndTag
	// StackDeploy: exec docker with Argv, Stack's checked bytes on its standard input, from
	// Stack's directory.
	StackDeploy
)

// Plan is one docker command line, worked out once.
type Plan struct {
	// Action is what to do with it.
	Action Action
	// Invocation is the command line as docker reads it.
	Invocation *wrapper.Invocation
	// Argv is the command line docker is handed (the user's tokens kept, the policy's additions
	// after the command words, the image pinned).
	Argv []string
	// Edit is what was changed of the command line to make Argv.
	Edit wrapper.Edit
	// Endpoint is the daemon the command talks to, resolved once.
	Endpoint wrapper.Endpoint
	// Policy is the policy the command was decided by; nil for a command passed through.
	Policy *defaults.Policy
	// Engine talks to the endpoint's daemon; nil for a command passed through.
	Engine *wrapper.Engine
	// Input is what the decision of a run, create, exec or update was made of: the request
	// with its references resolved, the daemon's facts, the image's facts.
	Input defaults.Input
	// Decision is the decision of a run, create, exec or update.
	Decision defaults.Decision
	// Networks are the policy's networks the daemon must have before docker runs (Ensure).
	Networks []string
	// Tag is, for PullAndTag, the repository and tag the pulled digest is given.
	Tag struct{ Repo, Tag string }
	// Stack is, for StackDeploy, the compose file as checked.
	Stack *StackFile
	// Foreground: a `run` without --detach, whose container docker waits for.
	Foreground bool
	// ContentTrust: DOCKER_CONTENT_TRUST was honoured by the image gate; docker must not try
	// Notary on top of it.
	ContentTrust bool
}

// RefusedError is a command line the policy refuses; each violation names its rule, the
// argument as typed and how to allow it.
type RefusedError struct {
	Violations []defaults.Violation
}

func (e *RefusedError) Error() string { return "refused by policy" }

// Make works out the plan of a docker command line. Commands sdocker does not decide come back
// with Action Exec and the command line untouched. A refusal is a *RefusedError, an image the
// scan gate refuses a *verify.ScanRefusedError, bad input a *wrapper.UsageError.
func Make(ctx context.Context, env Env, argv []string) (*Plan, error) {
	inv, err := wrapper.Parse(argv)
	if err != nil {
		return nil, err
	}
	ep, err := inv.Endpoint(env.Getenv)
	if err != nil {
		return nil, err
	}
	var p *defaults.Policy
	if ep.InsecureTCP() {
		if p, err = defaults.Load(""); err != nil {
			return nil, err
		}
		if err := checkTransport(env, p, ep); err != nil {
			return nil, err
		}
	}
	pl := &Plan{Action: Exec, Invocation: inv, Argv: argv, Endpoint: ep}
	if inv.Command == "" || inv.Help {
		return pl, nil
	}
	if p == nil {
		if p, err = defaults.Load(""); err != nil {
			return nil, err
		}
	}
	eng, err := wrapper.NewEngine(ep)
	if err != nil {
		return nil, err
	}
	pl.Policy, pl.Engine = p, eng
	daemon := &onceDaemon{eng: eng}
	switch inv.Command {
	case "pull":
		return pl, pl.pull(ctx, env, daemon)
	case "run", "create", "exec", "update":
		return pl, pl.decide(ctx, env, daemon)
	case "service create", "service update", "stack deploy":
		return pl, pl.decideSwarm(ctx, env)
	}
	return pl, pl.decideMore(ctx, env)
}

// Ensure makes the daemon ready for the plan's command: the policy's network exists (and is
// isolated where the policy says so).
func (pl *Plan) Ensure(ctx context.Context) error {
	for _, n := range pl.Networks {
		if err := wrapper.EnsureNetwork(ctx, pl.Engine, n, pl.Policy.Runtime.Network.Isolate); err != nil {
			return err
		}
	}
	return nil
}

// pull checks the image of a pull. A tag checked by its digest is pulled by that digest and
// then given the tag, as docker itself does when it pulls by digest for content trust.
func (pl *Plan) pull(ctx context.Context, env Env, daemon *onceDaemon) error {
	inv := pl.Invocation
	pinned, err := pl.checkImage(ctx, env, daemon)
	if err != nil {
		return err
	}
	pl.Edit = wrapper.Edit{Image: pinned}
	pl.Argv = wrapper.Render(inv, pl.Edit)
	if ref, err := verify.ParseRef(inv.Image()); err == nil && pinned != "" && ref.Digest == "" {
		pl.Action = PullAndTag
		pl.Tag.Repo, pl.Tag.Tag = ref.Repo, ref.TagOrLatest()
	}
	return nil
}

// Report says what the user must see before docker runs: refusals (as a *RefusedError),
// warnings in warn mode, and exceptions that let something through.
func Report(out io.Writer, d defaults.Decision) error {
	if !d.Allowed {
		return &RefusedError{Violations: d.Violations}
	}
	for _, v := range d.Violations {
		fmt.Fprintln(out, "sdocker: warning (mode: warn): would have "+ViolationLine(v))
	}
	for _, v := range d.Excepted {
		fmt.Fprintf(out, "sdocker: %s allowed by a policy exception (rule %s): %s\n", v.From, v.Rule, v.Excepted)
	}
	return nil
}

// ViolationLine names the argument as typed, the rule, what is wrong and how to allow it.
func ViolationLine(v defaults.Violation) string {
	v = wrapper.Words(v)
	arg := v.From
	if arg == "" {
		arg = "request"
	}
	return fmt.Sprintf("refused %s (rule %s): %s; to allow it, %s", arg, v.Rule, v.Message, v.Hint)
}

// checkTransport refuses a TCP daemon without TLS verification unless the policy allows it.
func checkTransport(env Env, p *defaults.Policy, ep wrapper.Endpoint) error {
	if p.Daemon.InsecureAllowTCPWithoutTLS {
		fmt.Fprintf(env.Out, "sdocker: warning: talking to %s (from %s) without TLS verification, as the policy allows\n", ep.Host, ep.Source)
		return nil
	}
	return &wrapper.UsageError{Msg: fmt.Sprintf("refusing to talk to %s (from %s) without TLS verification: anyone on the network path "+
		"would be root on that host; use --tlsverify with certificates from `sdocker tls init` (or DOCKER_TLS_VERIFY=1), "+
		"or set daemon.insecure_allow_tcp_without_tls: true in the policy", ep.Host, ep.Source)}
}

// LogDecision appends the CLI door's decision to the policy's decision log (log.decisions), if
// it names one. A log that cannot be written is reported to out and never stops the command.
func LogDecision(out io.Writer, p *defaults.Policy, inv *wrapper.Invocation, d defaults.Decision, pinned string) {
	if p.Log.Decisions == "" {
		return
	}
	entry := defaults.NewLogEntry(time.Now(), "cli", inv.Command, inv.Image(), d)
	entry.Pinned = pinned
	entry.Peer = &defaults.LogPeer{UID: os.Getuid(), PID: os.Getpid()}
	l := &defaults.DecisionLog{Path: p.Log.Decisions, Report: func(err error) { fmt.Fprintln(out, "sdocker: warning: "+err.Error()) }}
	l.Write(entry)
	l.Close()
}
