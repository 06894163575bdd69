package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"sdocker/audit"
	"sdocker/defaults"
	"sdocker/wrapper"
)

const auditUsage = "usage: sdocker audit [--format text|json|sarif] [--fail-on info|low|medium|high|critical|none] " +
	"[--policy FILE] [--daemon-config FILE] [-H HOST | --context NAME] [--tlsverify --tlscacert … --tlscert … --tlskey …]"

// exitFindings is audit's status when it found something at or above --fail-on.
const exitFindings = 1

// cmdAudit audits the daemon, the host and the containers, prints the report and fails when
// a finding reaches --fail-on (high unless told otherwise).
func cmdAudit(args []string, e env) error {
	opts := map[string]string{"format": "text", "fail-on": "high", "policy": "", "daemon-config": ""}
	var globals []string
	for i := 0; i < len(args); i++ {
		name, val, hasVal := strings.Cut(strings.TrimPrefix(args[i], "--"), "=")
		if _, own := opts[name]; !own || !strings.HasPrefix(args[i], "--") {
			if args[i] == "--help" || args[i] == "-h" {
				fmt.Fprintln(e.stdout, auditUsage)
				return nil
			}
			globals = append(globals, args[i]) // docker's global flags pick the daemon
			continue
		}
		if !hasVal {
			if i+1 >= len(args) {
				return &wrapper.UsageError{Msg: "--" + name + " needs a value; " + auditUsage}
			}
			i++
			val = args[i]
		}
		opts[name] = val
	}
	format := opts["format"]
	if format != "text" && format != "json" && format != "sarif" {
		return &wrapper.UsageError{Msg: fmt.Sprintf("unknown format %q (text, json or sarif)", format)}
	}
	failOn, failNever := audit.Critical+1, opts["fail-on"] == "none"
	if !failNever {
		sev, err := audit.ParseSeverity(opts["fail-on"])
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
		return &wrapper.UsageError{Msg: auditUsage}
	}
	ep, err := inv.Endpoint(e.getenv)
	if err != nil {
		return err
	}
	eng, err := wrapper.NewEngine(ep)
	if err != nil {
		return err
	}
	p, err := defaults.Load(opts["policy"])
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	report, err := audit.Run(ctx, audit.Options{
		API: eng, Endpoint: ep, Policy: p, DaemonConfig: opts["daemon-config"], Getenv: e.getenv,
	})
	if err != nil {
		return err
	}
	if err := audit.Render(e.stdout, report, format, version); err != nil {
		return err
	}
	if n := len(report.AtLeast(failOn)); n > 0 && !failNever {
		fmt.Fprintf(e.stderr, "sdocker: audit: %d finding(s) at or above %s\n", n, failOn)
		return &silentError{code: exitFindings}
	}
	return nil
}
