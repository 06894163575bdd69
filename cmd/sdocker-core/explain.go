package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"sdocker/defaults"
	"sdocker/wrapper"
	"sdocker/wrapper/plan"
)

// explanation is the JSON form of `sdocker explain`; its keys are stable.
type explanation struct {
	Allowed    bool                 `json:"allowed"`
	Mode       defaults.Mode        `json:"mode"`
	Policy     string               `json:"policy"`
	Argv       []string             `json:"argv"`
	Violations []defaults.Violation `json:"violations"`
	Excepted   []defaults.Violation `json:"excepted"`
	Injected   []wrapper.Injection  `json:"injected"`
	Removed    []string             `json:"removed"`
	Notes      []string             `json:"notes"`
	// Capabilities is the set given back after the drop, and why.
	Capabilities *defaults.CapabilityChoice `json:"capabilities,omitempty"`
}

// explainOptions are the flags of `sdocker explain`; the docker command line follows them.
type explainOptions struct {
	format, policy string
}

func newExplainCmd(e env) *cobra.Command {
	o := &explainOptions{}
	c := &cobra.Command{
		Use:   "explain [--format text|json] [--policy FILE] run|create|exec|update|build [DOCKER ARGS…]",
		Short: "Show what the policy decides for a docker command line, without a daemon",
		Long: `Prints the decision for a docker run, create, exec, update or build command line without a daemon
or network: allowed or refused, each violation (rule, argument, what is wrong, how to allow it),
what the policy adds and removes, notes, and the exact argv docker would get. Exit status 0 when
allowed, 125 when refused, so CI can lint docker command lines. sdocker's flags come first; the
rest is docker's command line, read exactly as docker reads it.`,
		Example:               "  sdocker explain run --rm -v data:/data busybox sh\n  sdocker explain --format json create --privileged img",
		DisableFlagParsing:    true, // everything after sdocker's flags is docker's command line
		DisableFlagsInUseLine: true,
		RunE: func(c *cobra.Command, a []string) error {
			rest, help, err := ownFlags(c, a, false)
			switch {
			case err != nil:
				return err
			case help:
				return c.Help()
			}
			return o.Run(c, e, rest)
		},
		ValidArgsFunction: func(c *cobra.Command, a []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			var out []cobra.Completion // explain's docker command; after it, docker completes (see complete)
			for _, w := range []string{"run", "create", "exec", "update", "container"} {
				if strings.HasPrefix(w, toComplete) {
					out = append(out, w)
				}
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		},
	}
	c.Flags().StringVar(&o.format, "format", "text", "output format: text or json")
	c.Flags().StringVar(&o.policy, "policy", "", "policy file (default: SDOCKER_POLICY, then the user's and the system's, then the embedded one)")
	return c
}

// Run prints the decision for the docker command line args.
func (o *explainOptions) Run(c *cobra.Command, e env, args []string) error {
	format, policyFile := o.format, o.policy
	if format != "text" && format != "json" {
		return &wrapper.UsageError{Msg: fmt.Sprintf("unknown format %q (text or json)", format)}
	}
	inv, err := wrapper.Parse(args)
	if err != nil {
		return err
	}
	switch inv.Command {
	case "run", "create", "exec", "update", "build", "buildx build", "buildx":
	default:
		// start, restart, network connect, plugins and swarm are judged against what the
		// daemon holds: explain has no daemon to ask.
		return usageError(c, "")
	}
	if inv.Command == "build" {
		if inv, err = inv.AsBuilder(buildKitBuilds(e.getenv)); err != nil {
			return err
		}
	}
	p, err := defaults.Load(policyFile)
	if err != nil {
		return err
	}
	req, err := wrapper.Request(inv, wrapper.RequestInput{Cwd: cwd(), ReadFile: os.ReadFile})
	if err != nil {
		return err
	}
	if inv.Command == "buildx" {
		req = defaults.Request{Kind: defaults.KindBuildKit, BuildKit: "docker " + wrapper.Quote(inv.Argv)}
	}
	facts := defaults.AssumedFacts()
	// The substitution a run would make is shown whether or not the proxy serves the socket now.
	facts.PolicedSocket = p.Runtime.DockerSocket.Policed
	d := defaults.Decide(defaults.Input{Policy: p, Request: req, Facts: facts, Now: time.Now(),
		// This machine is taken to be the daemon's host, as a local run would see it: its homes,
		// and its paths as the kernel resolves them (symlinks, bind mounts, sockets).
		Homes: wrapper.HostHomes(), Exists: wrapper.HostPathExists,
		ResolvePath: wrapper.ResolveHostPath, Host: wrapper.LocalHostFS(),
	})
	d = plan.RunnerHints(inv, defaults.Input{Policy: p, Request: req, Facts: facts, Now: time.Now(),
		Homes: wrapper.HostHomes(), Exists: wrapper.HostPathExists, ResolvePath: wrapper.ResolveHostPath, Host: wrapper.LocalHostFS()}, d, e.getenv)
	for _, a := range d.Change.Add {
		if a.Rule == defaults.RuleDockerSocket && wrapper.PolicedSocket(a.Value) == "" {
			d.Notes = append(d.Notes, fmt.Sprintf("docker socket: %s is not being served here; run refuses the socket until the proxy serves it", a.Value))
			break
		}
	}
	// explain writes nothing: a checked profile is shown as the user named it.
	ed, err := wrapper.EditFor(inv, d, nil)
	if err != nil {
		return err
	}
	injected, err := wrapper.Injections(d.Change, nil)
	if err != nil {
		return err
	}
	x := explanation{
		Allowed: d.Allowed, Mode: d.Mode, Policy: p.Source,
		Argv:       wrapper.Render(inv, ed),
		Violations: worded(d.Violations), Excepted: worded(d.Excepted), Injected: nonNil(injected),
		Removed: nonNil(d.Change.Remove), Notes: nonNil(d.Notes), Capabilities: d.Capabilities,
	}
	if format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(x); err != nil {
			return err
		}
	} else {
		writeExplanation(e.stdout, x)
	}
	if !d.Allowed {
		return &silentError{code: exitFailure}
	}
	return nil
}

// worded puts the CLI's words into violations.
func worded(vs []defaults.Violation) []defaults.Violation {
	out := []defaults.Violation{}
	for _, v := range vs {
		out = append(out, wrapper.Words(v))
	}
	return out
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func writeExplanation(w io.Writer, x explanation) {
	verdict := "allowed"
	if !x.Allowed {
		verdict = "refused"
	} else if len(x.Violations) > 0 {
		verdict = "allowed with warnings (mode: warn)"
	}
	fmt.Fprintf(w, "%s (policy: %s)\n", verdict, x.Policy)
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	section := func(title string, n int) {
		if n > 0 {
			tw.Flush()
			fmt.Fprintf(w, "\n%s:\n", title)
		}
	}
	section("violations", len(x.Violations))
	for _, v := range x.Violations {
		fmt.Fprintf(tw, "  %s\t[%s]\t%s\n  \t\tto allow it, %s\n", v.From, v.Rule, v.Message, v.Hint)
	}
	section("allowed by exception", len(x.Excepted))
	for _, v := range x.Excepted {
		fmt.Fprintf(tw, "  %s\t[%s]\t%s\n", v.From, v.Rule, v.Excepted)
	}
	section("added", len(x.Injected))
	for _, i := range x.Injected {
		fmt.Fprintf(tw, "  --%s=%s\t%s\n", i.Flag, i.Value, i.Reason)
	}
	if c := x.Capabilities; c != nil {
		tw.Flush()
		given := strings.Join(c.Given, " ")
		if given == "" {
			given = "nothing"
		}
		fmt.Fprintf(w, "\ncapabilities: set %s, given back: %s\n  %s\n", c.Set, given, c.Why)
	}
	section("removed", len(x.Removed))
	for _, r := range x.Removed {
		fmt.Fprintf(tw, "  %s\n", r)
	}
	section("notes", len(x.Notes))
	for _, n := range x.Notes {
		fmt.Fprintf(tw, "  %s\n", n)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nwould run:\n  docker %s\n", wrapper.Quote(x.Argv))
}
