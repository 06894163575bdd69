// Command sdocker is a secure drop-in replacement for the docker CLI. This is its front: it
// reads docker's command line and, for every command sdocker does not decide, execs the real
// docker CLI with the argv untouched, having linked nothing but docker's grammar. Commands that
// create containers, pull images or touch a daemon without TLS, and sdocker's own verbs, go to
// sdocker-core (found next to this executable, then on PATH; SDOCKER_CORE overrides).
package main

import (
	"fmt"
	"os"

	"sdocker/wrapper/argv"
)

func main() {
	args := os.Args[1:]
	if !needsCore(args) {
		docker, err := argv.FindDocker(os.Getenv)
		if err == nil {
			err = argv.Exec(docker, args)
		}
		fail(err)
	}
	core, err := argv.FindCore(os.Getenv)
	if err != nil {
		fail(err)
	}
	var extra []string
	if e := argv.PrestartHelper(args, os.Getenv); e != "" {
		extra = append(extra, e)
	}
	fail(argv.ExecCore(core, args, extra...))
}

// needsCore reports whether the command line needs more than an exec of docker.
func needsCore(args []string) bool {
	if argv.SdockerAnswers(args) {
		return true // sdocker's verbs, its help and completion
	}
	inv, err := argv.Parse(args)
	if err != nil {
		return true // the core prints the error exactly as it always does
	}
	if inv.Command != "" && !inv.Help {
		return true
	}
	// The daemon must not be a TCP one without TLS verification: named on the command line or in
	// the environment, or by the config file's current context (one small file read).
	if !inv.ExplicitEndpoint(os.Getenv) {
		if name := inv.CurrentContext(os.Getenv); name == "" || name == "default" {
			return false
		}
	}
	ep, err := inv.Endpoint(os.Getenv)
	return err != nil || ep.InsecureTCP()
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "sdocker: "+err.Error())
	os.Exit(125)
}
