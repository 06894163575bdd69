package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"sdocker/defaults"
)

func newPolicyCmd(e env) *cobra.Command {
	c := &cobra.Command{
		Use:   "policy show|check|default|preset",
		Short: "Show the effective policy, check a policy file, or print the default one or a preset",
		Long: `One YAML policy drives every decision. It is read from --policy (for sdocker's own verbs) or
SDOCKER_POLICY, else $XDG_CONFIG_HOME/sdocker/policy.yaml, else /etc/sdocker/policy.yaml, else
the embedded default. A file overrides the default key by key; unknown keys are errors.`,
		DisableFlagsInUseLine: true,
		Args:                  cobra.ArbitraryArgs,
		RunE:                  groupRun,
	}
	show := &policyShowOptions{}
	showCmd := &cobra.Command{
		Use:                   "show [--policy FILE]",
		Short:                 "Print the effective policy and where it comes from",
		Args:                  positional(cobra.NoArgs),
		DisableFlagsInUseLine: true,
		RunE:                  func(*cobra.Command, []string) error { return show.Run(e) },
	}
	showCmd.Flags().StringVar(&show.policy, "policy", "", "policy file (default: SDOCKER_POLICY, then the user's and the system's, then the embedded one)")
	c.AddCommand(showCmd, &cobra.Command{
		Use:   "check FILE",
		Short: "Validate a policy file: one line per problem, with its line",
		Args:  positional(cobra.ExactArgs(1)),
		RunE:  func(_ *cobra.Command, a []string) error { return policyCheck(e, a[0]) },
	}, &cobra.Command{
		Use:   "preset [NAME]",
		Short: "Print a ready policy: " + strings.Join(defaults.PresetNames, ", ") + " (no NAME: list them)",
		Long: `Prints a ready policy to install as /etc/sdocker/policy.yaml (or to point SDOCKER_POLICY at).
developer is the embedded default. ci is for hosts that run CI jobs: job containers that the
runner gives the docker socket get a policed socket of their own, the runners' workspaces and
tool caches bind writable where the runners make them, published ports bind to 127.0.0.1, and
resources are sized for whole jobs; github-actions, gitlab, jenkins and buildkite are ci for
one runner's layout. The presets override the default key by key; sdocker policy check FILE
lists every line where one is weaker than the default.`,
		Args:      positional(cobra.MaximumNArgs(1)),
		ValidArgs: defaults.PresetNames,
		RunE: func(_ *cobra.Command, a []string) error {
			if len(a) == 0 {
				_, err := fmt.Fprintln(e.stdout, strings.Join(defaults.PresetNames, "\n"))
				return err
			}
			b, err := defaults.Preset(a[0])
			if err != nil {
				return err
			}
			_, err = e.stdout.Write(b)
			return err
		},
	}, &cobra.Command{
		Use:   "default",
		Short: "Print the embedded default policy",
		Args:  positional(cobra.NoArgs),
		RunE: func(*cobra.Command, []string) error {
			_, err := e.stdout.Write(defaults.DefaultPolicyYAML())
			return err
		},
	})
	return c
}

// policyShowOptions are the flags of `sdocker policy show`.
type policyShowOptions struct{ policy string }

// Run prints the effective policy and its source.
func (o *policyShowOptions) Run(e env) error {
	p, err := defaults.Load(o.policy)
	if err != nil {
		return err
	}
	out, err := p.Marshal()
	if err != nil {
		return err
	}
	warnWeakenings(e, p)
	fmt.Fprintf(e.stdout, "# effective policy, from: %s\n%s", p.Source, out)
	return nil
}

// policyCheck validates one policy file, one line per problem.
func policyCheck(e env, file string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("reading policy: %w", err)
	}
	p, err := defaults.Parse(data, file)
	if err != nil {
		// One line per problem, each with the file and, where known, the line.
		for _, line := range policyErrors(err) {
			fmt.Fprintln(e.stderr, "sdocker: "+line)
		}
		return &silentError{code: exitFailure}
	}
	warnWeakenings(e, p)
	fmt.Fprintf(e.stdout, "%s: valid\n", file)
	return nil
}

// warnWeakenings says where a policy is weaker than the embedded default.
func warnWeakenings(e env, p *defaults.Policy) {
	for _, w := range p.Warnings() {
		fmt.Fprintf(e.stderr, "sdocker: warning: %s: %s\n", p.Source, w)
	}
}

// policyErrors splits a joined validation error into one line per problem, each prefixed with
// the file name.
func policyErrors(err error) []string {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, defaults.ErrPolicy.Error()+": ")
	file, rest, ok := strings.Cut(msg, ": ")
	if !ok {
		return []string{msg}
	}
	var out []string
	for _, l := range strings.Split(rest, "\n") {
		for _, part := range strings.Split(l, "; ") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, file+": "+part)
			}
		}
	}
	if len(out) == 0 {
		return []string{errors.Unwrap(err).Error()}
	}
	return out
}
