package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"sdocker/audit"
	"sdocker/defaults"
	"sdocker/wrapper"
)

// hardenOptions are the flags of `sdocker daemon harden`.
type hardenOptions struct {
	config, tlsDir, listen, authz, policy string
	dryRun, write                         bool
}

func newDaemonCmd(e env) *cobra.Command {
	c := &cobra.Command{
		Use:                   "daemon harden",
		Short:                 "Apply the guide's and the CIS benchmark's daemon settings to daemon.json",
		DisableFlagsInUseLine: true,
		Args:                  cobra.ArbitraryArgs,
		RunE:                  groupRun,
	}
	o := &hardenOptions{}
	h := &cobra.Command{
		Use:   "harden [--config /etc/docker/daemon.json] [--dry-run | --write] [--tls DIR [--listen tcp://ADDR:PORT]] [--authz-plugin NAME]",
		Short: "Merge icc off, no-new-privileges, live-restore, no userland proxy, log rotation, the authorization plugin and TLS into daemon.json",
		Long: `Merges into the daemon's configuration the settings the audit checks: icc off, no-new-privileges,
live-restore, userland-proxy off, log rotation (the policy's max-size and max-file), sdocker's
authorization plugin, and with --tls DIR the files of 'sdocker tls init' (tlsverify). It keeps
every other key, refuses a TCP host without TLS verification, shows the diff and says which
changes need a restart. Without --write nothing is written; --write keeps a backup beside the
file; --dry-run prints only the resulting daemon.json on stdout.`,
		Args:                  positional(cobra.NoArgs),
		DisableFlagsInUseLine: true,
		RunE:                  func(*cobra.Command, []string) error { return o.Run(e) },
	}
	f := h.Flags()
	f.StringVar(&o.config, "config", audit.DefaultDaemonJSON, "the daemon.json to harden")
	f.BoolVar(&o.dryRun, "dry-run", false, "print the resulting daemon.json on stdout and write nothing")
	f.BoolVar(&o.write, "write", false, "write the file (the old one is kept as FILE.sdocker-backup-TIME)")
	f.StringVar(&o.tlsDir, "tls", "", "directory written by 'sdocker tls init': dockerd verifies its clients with it")
	f.StringVar(&o.listen, "listen", "", "a TCP address for dockerd to listen on with TLS (with --tls), e.g. tcp://0.0.0.0:2376")
	f.StringVar(&o.authz, "authz-plugin", "sdocker", "the authorization plugin to add (the socket's name in /run/docker/plugins); empty adds none")
	f.StringVar(&o.policy, "policy", "", "policy file whose logging settings are used (default: the effective policy)")
	c.AddCommand(h)
	return c
}

// Run merges, shows and (with --write) writes the hardened configuration.
func (o *hardenOptions) Run(e env) error {
	if o.dryRun && o.write {
		return &wrapper.UsageError{Msg: "--dry-run and --write: give one of them"}
	}
	p, err := defaults.Load(o.policy)
	if err != nil {
		return err
	}
	opts := audit.HardenOptions{AuthzPlugin: o.authz, Listen: o.listen, LogMaxSize: p.Runtime.Logging.MaxSize}
	if p.Runtime.Logging.MaxFile > 0 {
		opts.LogMaxFile = strconv.Itoa(p.Runtime.Logging.MaxFile)
	}
	if o.listen != "" {
		if _, err := audit.ListenPort(o.listen); err != nil {
			return &wrapper.UsageError{Msg: err.Error()}
		}
	}
	if o.tlsDir != "" {
		files := audit.TLSFilesIn(o.tlsDir)
		for _, f := range []string{files.CA, files.ServerCert, files.ServerKey} {
			if _, err := os.Stat(f); err != nil {
				return &wrapper.UsageError{Msg: fmt.Sprintf("--tls %s: %v (make the files with 'sdocker tls init --dir %s')", o.tlsDir, err, o.tlsDir)}
			}
		}
		opts.TLS = &files
	}
	current, err := os.ReadFile(o.config)
	if err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("reading %s: %w", o.config, err)
	}
	res, err := audit.Harden(current, opts)
	if errors.Is(err, audit.ErrInsecureTCP) {
		return &wrapper.UsageError{Msg: o.config + ": " + err.Error()}
	}
	if err != nil {
		return fmt.Errorf("%s: %w", o.config, err)
	}
	if o.dryRun {
		_, err := e.stdout.Write(res.Config)
		return err
	}
	if len(res.Changes) == 0 {
		fmt.Fprintf(e.stdout, "%s already has every setting sdocker daemon harden applies.\n", o.config)
		return nil
	}
	fmt.Fprintf(e.stdout, "--- %s (keys sorted)\n+++ %s (hardened)\n%s\n", o.config, o.config, audit.LineDiff(res.Before, res.Config))
	for _, c := range res.Changes {
		when := "reload (SIGHUP) or restart"
		if c.Restart {
			when = "restart"
		}
		fmt.Fprintf(e.stdout, "%s: %s (needs a %s)\n", c.Key, c.Why, when)
	}
	if strings.Contains(string(res.Config), `"hosts"`) {
		fmt.Fprintln(e.stdout, "note: dockerd refuses hosts given both here and as -H on its command line (Debian's docker.service passes -H fd://): drop one of them")
	}
	if !o.write {
		fmt.Fprintf(e.stdout, "\nNothing written: run again with --write to apply it (a backup is kept).\n")
		return nil
	}
	backup := o.config + ".sdocker-backup-" + time.Now().UTC().Format("20060102T150405Z")
	if err := audit.WriteWithBackup(o.config, backup, res.Config); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "\nWrote %s", o.config)
	if len(current) > 0 {
		fmt.Fprintf(e.stdout, " (the old file is %s)", backup)
	}
	fmt.Fprintln(e.stdout, ".")
	if res.NeedsRestart() {
		fmt.Fprintln(e.stdout, "Restart dockerd to apply it (systemctl restart docker), after starting sdocker authz if the plugin was added.")
	} else {
		fmt.Fprintln(e.stdout, "Reload dockerd to apply it (systemctl reload docker, or kill -HUP its pid).")
	}
	return nil
}
