package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"sdocker/audit"
	"sdocker/defaults"
	"sdocker/wrapper"
)

// exitFindings is audit's status when it found something at or above --fail-on.
const exitFindings = 1

// auditOptions are the flags of `sdocker audit`; docker's global flags (-H, --context, --tls…)
// may be given among them and pick the daemon, as they do for docker.
type auditOptions struct {
	format, failOn, policy, daemonConfig string
}

func newAuditCmd(e env) *cobra.Command {
	o := &auditOptions{}
	c := &cobra.Command{
		Use: "audit [--format text|json|sarif|html] [--fail-on info|low|medium|high|critical|none] " +
			"[--policy FILE] [--daemon-config FILE] [-H HOST | --context NAME] [--tlsverify --tlscacert … --tlscert … --tlskey …]",
		Short: "Audit the daemon, the host and every container against the hardening guide and the policy",
		Long: `Inspects the daemon (its live /info, and the daemon.json and flags of the dockerd behind the
socket), the host (socket owner and mode, docker group, DOCKER_HOST), the engine, containerd and
runc versions against known escapes, and every container against the runtime policy. Each finding
has an ID (the CIS Docker Benchmark number where there is one), a severity, the evidence and the
fix. --format html writes one self-contained page (no script, nothing fetched), grouped by target
and severity. Exit status 1 when a finding reaches --fail-on. docker's global flags pick the daemon.`,
		DisableFlagParsing:    true, // docker's global flags are read with docker's grammar
		DisableFlagsInUseLine: true,
		RunE: func(c *cobra.Command, a []string) error {
			globals, help, err := ownFlags(c, a, true)
			switch {
			case err != nil:
				return err
			case help:
				return c.Help()
			}
			return o.Run(c, e, globals)
		},
	}
	f := c.Flags()
	f.StringVar(&o.format, "format", "text", "output format: text, json (sdocker-audit/v1), sarif (2.1.0) or html (one self-contained page)")
	f.StringVar(&o.failOn, "fail-on", "high", "exit 1 when a finding has this severity or higher (none: never)")
	f.StringVar(&o.policy, "policy", "", "policy file the containers are judged by (default: the effective policy)")
	f.StringVar(&o.daemonConfig, "daemon-config", "", "the daemon.json to read (default: the one the running dockerd uses)")
	return c
}

// Run audits the daemon, the host and the containers, prints the report and fails when a
// finding reaches --fail-on.
func (o *auditOptions) Run(c *cobra.Command, e env, globals []string) error {
	format := o.format
	if !slices.Contains(audit.Formats, format) {
		return &wrapper.UsageError{Msg: fmt.Sprintf("unknown format %q (text, json, sarif or html)", format)}
	}
	failOn, failNever := audit.Critical+1, o.failOn == "none"
	if !failNever {
		sev, err := audit.ParseSeverity(o.failOn)
		if err != nil {
			return &wrapper.UsageError{Msg: "--fail-on: " + err.Error()}
		}
		failOn = sev
	}
	inv, err := wrapper.Parse(globals)
	if err != nil {
		return err
	}
	if n := len(inv.Globals); len(globals) > 0 && (n == 0 || inv.Globals[n-1].End != len(globals)) {
		return usageError(c, "")
	}
	ep, err := inv.Endpoint(e.getenv)
	if err != nil {
		return err
	}
	eng, err := wrapper.NewEngine(ep)
	if err != nil {
		return err
	}
	p, err := defaults.Load(o.policy)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	report, err := audit.Run(ctx, audit.Options{
		API: eng, Endpoint: ep, Policy: p, DaemonConfig: o.daemonConfig, Getenv: e.getenv,
	})
	if err != nil {
		return err
	}
	if err := audit.Render(e.stdout, report, format, buildVersion().version); err != nil {
		return err
	}
	if n := len(report.AtLeast(failOn)); n > 0 && !failNever {
		fmt.Fprintf(e.stderr, "sdocker: audit: %d finding(s) at or above %s\n", n, failOn)
		return &silentError{code: exitFindings}
	}
	return nil
}
