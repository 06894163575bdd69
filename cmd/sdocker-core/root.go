package main

import (
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"sdocker/wrapper"
)

// newRoot builds sdocker's own commands. Each verb is an options struct with its flags and one
// Run; cobra gives every verb the same help (`VERB --help`, `VERB -h`, `help VERB`: stdout,
// exit 0) and the same flag errors (one `sdocker: …` line with the usage, exit 125, through
// exitCode). The root itself is never run: the top-level help is docker's followed by sdocker's
// verbs (rootHelp), and every command line that is not a verb goes to docker (forward).
func newRoot(e env) *cobra.Command {
	root := &cobra.Command{
		Use:               "sdocker",
		Short:             "A secure drop-in replacement for the docker CLI",
		SilenceErrors:     true,
		SilenceUsage:      true,
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
	}
	root.SetIn(e.stdin)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError(c, err.Error()) })
	root.AddCommand(newAuditCmd(e), newAuthzCmd(e), newCICmd(e), newCompletionCmd(), newComposeCmd(e), newDaemonCmd(e), newDiagnoseCmd(e),
		newExplainCmd(e), newPolicyCmd(e), newProxyCmd(e), newScanCmd(e), newTLSCmd(e), newVerifyCmd(e), newVersionCmd(e))
	return root
}

// usageError is bad input to a verb: one line naming the problem and the verb's usage.
func usageError(c *cobra.Command, msg string) error {
	if msg != "" {
		msg += "; "
	}
	return &wrapper.UsageError{Msg: fmt.Sprintf("%susage: %s (see '%s --help')", msg, c.UseLine(), c.CommandPath())}
}

// positional checks a verb's positional arguments, as a usage error.
func positional(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(c *cobra.Command, a []string) error {
		if err := check(c, a); err != nil {
			return usageError(c, err.Error())
		}
		return nil
	}
}

// groupRun is the Run of a verb that only groups others (policy, tls): named alone or with an
// unknown subcommand, it is bad input.
func groupRun(c *cobra.Command, a []string) error {
	var names []string
	for _, sub := range c.Commands() {
		names = append(names, sub.Name())
	}
	msg := fmt.Sprintf("%s needs a command (%s)", c.CommandPath(), strings.Join(names, ", "))
	if len(a) > 0 {
		msg = fmt.Sprintf("unknown command %q for %q (%s)", a[0], c.CommandPath(), strings.Join(names, ", "))
		c.SuggestionsMinimumDistance = 2
		if s := c.SuggestionsFor(a[0]); len(s) > 0 {
			msg = fmt.Sprintf("unknown command %q for %q (did you mean %s?)", a[0], c.CommandPath(), strings.Join(s, " or "))
		}
	}
	return usageError(c, msg)
}

// ownFlags reads a verb's own flags from a command line that also carries docker's (explain's
// docker command line, audit's global flags, version's docker flags), with the verb's flag set
// so that values are checked and help shows them. With interspersed false it stops at the first
// argument that is not one of the verb's flags; else it collects every such argument. It
// reports -h/--help among the verb's flags.
func ownFlags(c *cobra.Command, a []string, interspersed bool) (rest []string, help bool, err error) {
	fs := c.Flags()
	for i := 0; i < len(a); i++ {
		arg := a[i]
		if arg == "-h" || arg == "--help" {
			help = true
			continue
		}
		var f *pflag.Flag
		name, val, hasVal := strings.Cut(strings.TrimPrefix(arg, "--"), "=")
		switch {
		case strings.HasPrefix(arg, "--"):
			f = fs.Lookup(name)
		case len(arg) == 2 && arg[0] == '-':
			f = fs.ShorthandLookup(arg[1:])
			hasVal = false
		}
		if f == nil {
			if !interspersed {
				return append(rest, a[i:]...), help, nil
			}
			rest = append(rest, arg)
			continue
		}
		if !hasVal {
			switch {
			case f.NoOptDefVal != "":
				val = f.NoOptDefVal
			case i+1 < len(a):
				i++
				val = a[i]
			default:
				return nil, help, usageError(c, "flag needs an argument: --"+f.Name)
			}
		}
		if err := fs.Set(f.Name, val); err != nil {
			return nil, help, usageError(c, fmt.Sprintf("invalid argument %q for --%s: %v", val, f.Name, err))
		}
	}
	return rest, help, nil
}

// rootHelp answers `sdocker`, `sdocker --help` and `sdocker help`: docker's own help (the real
// docker's `--help`, run as a child), then sdocker's verbs, one line each, all on stdout.
func rootHelp(e env, root *cobra.Command) error {
	dockerErr := runDocker(e, []string{"--help"})
	fmt.Fprintf(e.stdout, "\nsdocker's own commands (every other command is docker's, checked by the policy where it\n"+
		"creates a container or pulls an image):\n")
	tw := tabwriter.NewWriter(e.stdout, 0, 8, 2, ' ', 0)
	for _, c := range root.Commands() {
		if c.IsAvailableCommand() {
			fmt.Fprintf(tw, "  %s\t%s\n", c.Name(), c.Short)
		}
	}
	tw.Flush()
	fmt.Fprintf(e.stdout, "\nRun 'sdocker COMMAND --help' for more information on one of them.\n")
	return dockerErr
}

// runDocker runs the real docker as a child with the same streams and returns its exit status
// as a silentError (docker has said why).
func runDocker(e env, a []string) error {
	docker, err := wrapper.FindDocker(e.getenv)
	if err != nil {
		return err
	}
	cmd := exec.Command(docker, a...)
	cmd.Args[0] = "docker"
	cmd.Stdin, cmd.Stdout, cmd.Stderr = e.stdin, e.stdout, e.stderr
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return &silentError{code: exit.ExitCode()}
		}
		return fmt.Errorf("running %s: %w", docker, err)
	}
	return nil
}
