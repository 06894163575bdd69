// Command sdocker-core is the part of sdocker that decides: the policy, the checks of run,
// create, exec, update and pull (signatures through sdocker-verify, scans through trivy), and
// sdocker's own verbs. The sdocker front execs it for those commands and execs docker directly
// for every other one; run on its own it does the whole job (pass-through included), only with
// the start-up cost of what it links.
package main

import (
	"io"
	"os"
)

// version is stamped by the release build: -ldflags "-X main.version=…".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}))
}

// env is what a command needs from the process, so tests can run commands in-process.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	// exec replaces the process with docker; nil means wrapper.Exec.
	exec func(docker string, argv []string) error
}

// verbs are sdocker's own commands. They are looked up only as the first argument, so that
// docker's commands of the same name stay reachable with a global flag in front.
var verbs = map[string]func(args []string, e env) error{
	"audit":   cmdAudit,
	"tls":     cmdTLS,
	"explain": cmdExplain,
	"policy":  cmdPolicy,
	"scan":    cmdScan,
	"verify":  cmdVerify,
	"version": cmdVersion,
}

func run(argv []string, e env) int {
	if len(argv) > 0 {
		if verb, ok := verbs[argv[0]]; ok {
			return exitCode(e.stderr, verb(argv[1:], e))
		}
	}
	return exitCode(e.stderr, forward(argv, e))
}
