package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"sdocker/ci"
	"sdocker/contrib/systemd"
	"sdocker/defaults"
	"sdocker/wrapper"
)

// ciOptions are the flags of `sdocker ci setup` and `sdocker ci check`.
type ciOptions struct {
	user, config, format, root, daemonSocket string
	apply                                    bool
}

func newCICmd(e env) *cobra.Command {
	c := &cobra.Command{
		Use:   "ci setup|check RUNNER",
		Short: "Set up a host that runs CI jobs, and check it: " + strings.Join(ci.RunnerNames(), ", "),
		Long: `A CI runner host under sdocker: the runner talks to sdocker proxy (its socket
` + ci.ProxySocket + `), the daemon's own socket is root's alone, job containers that the runner gives
the docker socket get the proxy's policed socket, and the policy is the runner's preset
(sdocker policy preset). setup prints the steps as a script to read (--apply runs them);
check says, line by line, what is set up and what is not, and exits 1 where a job could go
around the policy or would not run.`,
		DisableFlagsInUseLine: true,
		Args:                  cobra.ArbitraryArgs,
		RunE:                  groupRun,
	}
	setup, check := &ciOptions{}, &ciOptions{}
	setupCmd := &cobra.Command{
		Use:       "setup RUNNER [--user NAME] [--config FILE] [--apply]",
		Short:     "Print (or with --apply, run) the steps that set this host up for a runner",
		Args:      positional(cobra.ExactArgs(1)),
		ValidArgs: ci.RunnerNames(),
		RunE:      func(_ *cobra.Command, a []string) error { return setup.setup(e, a[0]) },
	}
	checkCmd := &cobra.Command{
		Use:       "check RUNNER [--user NAME] [--config FILE] [--format json]",
		Short:     "Check that this host is set up for a runner",
		Args:      positional(cobra.ExactArgs(1)),
		ValidArgs: ci.RunnerNames(),
		RunE:      func(_ *cobra.Command, a []string) error { return check.check(e, a[0]) },
	}
	for _, o := range []struct {
		c *cobra.Command
		o *ciOptions
	}{{setupCmd, setup}, {checkCmd, check}} {
		f := o.c.Flags()
		f.StringVar(&o.o.user, "user", "", "the account the runner runs as (default: the runner's usual one)")
		f.StringVar(&o.o.config, "config", "", "the runner's configuration file (default: the runner's usual one)")
	}
	setupCmd.Flags().BoolVar(&setup.apply, "apply", false, "write the files and run the commands")
	checkCmd.Flags().StringVar(&check.format, "format", "", "json: one object per check")
	checkCmd.Flags().StringVar(&check.root, "root", "", "a directory holding the host's files (for tests)")
	checkCmd.Flags().StringVar(&check.daemonSocket, "daemon-socket", "", "the daemon's own socket (default /run/docker.sock)")
	_ = checkCmd.Flags().MarkHidden("root")
	c.AddCommand(setupCmd, checkCmd)
	return c
}

func (o *ciOptions) setup(e env, name string) error {
	r, err := ci.Find(name)
	if err != nil {
		return &wrapper.UsageError{Msg: err.Error()}
	}
	preset, err := defaults.Preset(r.Preset)
	if err != nil {
		return err
	}
	bin := "/usr/local/bin"
	if self, err := os.Executable(); err == nil {
		bin = filepath.Dir(self)
	}
	steps := ci.Plan(ci.SetupInput{Runner: r, Preset: preset, ProxyUnit: systemd.ProxyUnit, SocketDropIn: systemd.SocketDropIn,
		Bin: bin, User: o.user, Config: o.config})
	if !o.apply {
		writeScript(e.stdout, r, steps)
		return nil
	}
	ctx := context.Background()
	for _, s := range steps {
		fmt.Fprintf(e.stderr, "sdocker: ci setup: %s\n", s.Why)
		if err := applyStep(ctx, e, s); err != nil {
			return fmt.Errorf("ci setup: %s: %w", s.Why, err)
		}
	}
	return nil
}

// writeScript prints the steps as a shell script an operator can read, then run.
func writeScript(w io.Writer, r ci.Runner, steps []ci.Step) {
	fmt.Fprintf(w, "#!/bin/sh\n# Sets this host up for %s under sdocker (sdocker ci setup %s --apply does the same).\nset -eu\n", r.Title, r.Name)
	for _, s := range steps {
		fmt.Fprintf(w, "\n# %s\n", s.Why)
		switch {
		case s.Argv != nil:
			fmt.Fprintln(w, shellJoin(s.Argv))
		case s.Append:
			fmt.Fprintf(w, "mkdir -p %s\ngrep -qxF %s %s 2>/dev/null || echo %s >> %s\n", shellQuote(filepath.Dir(s.Path)),
				shellQuote(s.Content), shellQuote(s.Path), shellQuote(s.Content), shellQuote(s.Path))
		default:
			fmt.Fprintf(w, "mkdir -p %s\ncat > %s <<'SDOCKER_EOF'\n%sSDOCKER_EOF\n", shellQuote(filepath.Dir(s.Path)), shellQuote(s.Path), withNewline(s.Content))
		}
	}
}

func applyStep(ctx context.Context, e env, s ci.Step) error {
	switch {
	case s.Argv != nil:
		cmd := exec.CommandContext(ctx, s.Argv[0], s.Argv[1:]...)
		cmd.Stdout, cmd.Stderr = e.stderr, e.stderr
		return cmd.Run()
	case s.Append:
		b, err := os.ReadFile(s.Path)
		if err != nil && !os.IsNotExist(err) {
			return err
		}
		for _, l := range strings.Split(string(b), "\n") {
			if strings.TrimSpace(l) == s.Content {
				return nil
			}
		}
		if err := os.MkdirAll(filepath.Dir(s.Path), 0o755); err != nil {
			return err
		}
		f, err := os.OpenFile(s.Path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		if len(b) > 0 && !strings.HasSuffix(string(b), "\n") {
			fmt.Fprintln(f)
		}
		_, err = fmt.Fprintln(f, s.Content)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	default:
		if err := os.MkdirAll(filepath.Dir(s.Path), 0o755); err != nil {
			return err
		}
		return os.WriteFile(s.Path, []byte(withNewline(s.Content)), 0o644)
	}
}

func (o *ciOptions) check(e env, name string) error {
	r, err := ci.Find(name)
	if err != nil {
		return &wrapper.UsageError{Msg: err.Error()}
	}
	if o.format != "" && o.format != "json" {
		return &wrapper.UsageError{Msg: "--format " + o.format + ": expected json"}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rs := ci.Check(ctx, ci.CheckInput{Runner: r, User: o.user, Config: o.config, Root: o.root, DaemonSocket: o.daemonSocket, LookPath: exec.LookPath})
	if o.format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rs); err != nil {
			return err
		}
	} else {
		for _, x := range rs {
			fmt.Fprintf(e.stdout, "%-4s  %-15s %s\n", x.Status, x.Check, x.Detail)
			if x.Fix != "" && x.Status != "ok" {
				fmt.Fprintf(e.stdout, "      %-15s fix: %s\n", "", x.Fix)
			}
		}
	}
	if ci.Failed(rs) {
		return &silentError{code: 1}
	}
	return nil
}

func withNewline(s string) string {
	if s != "" && !strings.HasSuffix(s, "\n") {
		return s + "\n"
	}
	return s
}

func shellJoin(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = shellQuote(a)
	}
	return strings.Join(q, " ")
}

func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:+,@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
