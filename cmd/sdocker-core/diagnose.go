package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"sdocker/defaults"
	"sdocker/wrapper"
)

// diagnoseTail is how many of a container's last output lines a diagnosis reads.
const diagnoseTail = 50

// diagnoseOptions are the flags of `sdocker diagnose`.
type diagnoseOptions struct{ policy string }

func newDiagnoseCmd(e env) *cobra.Command {
	o := &diagnoseOptions{}
	c := &cobra.Command{
		Use:   "diagnose [--policy FILE] CONTAINER",
		Short: "Say whether a dropped capability or no-new-privileges explains why a container failed",
		Long: `Reads a container's exit status, its last lines of output and its HostConfig, and says whether a
capability sdocker dropped or no-new-privileges explains the failure, with the flag or policy
change that allows it.`,
		Args:                  positional(cobra.ExactArgs(1)),
		DisableFlagsInUseLine: true,
		RunE:                  func(c *cobra.Command, a []string) error { return o.Run(e, a[0]) },
	}
	c.Flags().StringVar(&o.policy, "policy", "", "policy file (default: SDOCKER_POLICY, then the user's and the system's, then the embedded one)")
	return c
}

// Run says, for a container that exited, whether a capability sdocker dropped or
// no-new-privileges explains its failure, and how to allow it.
func (o *diagnoseOptions) Run(e env, container string) error {
	policyFile := o.policy
	p, err := defaults.Load(policyFile)
	if err != nil {
		return err
	}
	inv, err := wrapper.Parse(nil)
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
	c, err := wrapper.InspectContainer(ctx, eng, container, diagnoseTail)
	if err != nil {
		return err
	}
	state := fmt.Sprintf("exited with status %d", c.State.ExitCode)
	if c.Running {
		state = "is still running"
	}
	fmt.Fprintf(e.stdout, "%s (%s) %s; capabilities added back: %s; no-new-privileges: %v\n", c.Name, c.State.Image, state,
		orNone(c.State.CapAdd), c.State.NoNewPrivileges)
	ds := defaults.Diagnose(p, c.State)
	if len(ds) == 0 {
		fmt.Fprintf(e.stdout, "nothing in its last %d lines of output points at a dropped capability or no-new-privileges\n", diagnoseTail)
		return nil
	}
	for _, d := range ds {
		fmt.Fprintf(e.stdout, "likely cause: %s\n  %q\n  to allow it, %s\n", cause(d), d.Line, d.Hint)
	}
	return nil
}

func cause(d defaults.Diagnosis) string {
	if d.Cause == "no-new-privileges" {
		return "no-new-privileges (sdocker sets it: setuid programs such as sudo and su cannot gain privileges)"
	}
	return "capability " + d.Cause + " (sdocker started the container without it)"
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, " ")
}
