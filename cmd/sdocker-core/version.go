package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// versionOptions are the flags of `sdocker version` that sdocker reads; every flag goes on to
// `docker version` as given.
type versionOptions struct{ format string }

func newVersionCmd(e env) *cobra.Command {
	o := &versionOptions{}
	c := &cobra.Command{
		Use:   "version [-f|--format FORMAT] [DOCKER VERSION FLAGS…]",
		Short: "Show sdocker's version, commit and build date, then docker's client and server versions",
		Long: `Prints sdocker's version, commit, build date and Go version, then runs docker's own
"docker version" with the same flags, so the client and server versions follow.
With -f/--format the output is docker's alone, formatted as docker formats it: scripts that run
"docker version --format '{{.Server.Version}}'" through sdocker get what they expect.
("sdocker --version" is docker's one line.)`,
		DisableFlagParsing:    true, // docker version's flags are docker's
		DisableFlagsInUseLine: true,
		RunE: func(c *cobra.Command, a []string) error {
			_, help, err := ownFlags(c, a, true)
			switch {
			case err != nil:
				return err
			case help:
				return c.Help()
			}
			return o.Run(e, a)
		},
	}
	c.Flags().StringVarP(&o.format, "format", "f", "", "docker's format (a Go template or json): docker's output alone")
	return c
}

// Run prints sdocker's block unless a format asks for docker's output alone, then execs
// `docker version` with args.
func (o *versionOptions) Run(e env, args []string) error {
	if o.format == "" {
		b := buildVersion()
		fmt.Fprintf(e.stdout, "sdocker:\n Version:    %s\n Git commit: %s\n Built:      %s\n Go version: %s\n\n",
			b.version, b.commit, b.date, b.goVersion)
	}
	return execDocker(e, append([]string{"version"}, args...))
}

// build is what sdocker knows of its own build.
type build struct{ version, commit, date, goVersion string }

// buildVersion returns the version, commit and date stamped by the release build (ldflags),
// else those Go recorded from the module and its VCS checkout, else "dev" and "unknown".
func buildVersion() build {
	b := build{version: version, commit: commit, date: date, goVersion: runtime.Version()}
	if info, ok := debug.ReadBuildInfo(); ok {
		if v := info.Main.Version; b.version == "" && v != "" && v != "(devel)" {
			b.version = v
		}
		vcs := map[string]string{}
		for _, s := range info.Settings {
			vcs[s.Key] = s.Value
		}
		if b.commit == "" && vcs["vcs.revision"] != "" {
			b.commit = vcs["vcs.revision"]
			if vcs["vcs.modified"] == "true" {
				b.commit += " (modified)"
			}
		}
		if b.date == "" {
			b.date = vcs["vcs.time"]
		}
	}
	for _, s := range []*string{&b.commit, &b.date} {
		if *s == "" {
			*s = "unknown"
		}
	}
	if b.version == "" {
		b.version = "dev"
	}
	return b
}
