// Command sdocker-core is the part of sdocker that decides: the policy, the checks of run,
// create, exec, update and pull (signatures through sdocker-verify, scans through trivy), and
// sdocker's own verbs. The sdocker front execs it for those commands and execs docker directly
// for every other one; run on its own it does the whole job (pass-through included), only with
// the start-up cost of what it links.
package main

import (
	"io"
	"os"

	"sdocker/wrapper/argv"
)

// Stamped by the release build: -ldflags "-X main.version=… -X main.commit=… -X main.date=…".
// Where they are not, the module's build information fills them in (see buildInfo).
var version, commit, date = "", "", ""

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

// run answers one command line: sdocker's verbs, help and completion through the command tree
// (newRoot), every docker command through forward. Its result is the process's exit status,
// chosen in one place (exitCode).
func run(args []string, e env) int {
	if !argv.SdockerAnswers(args) {
		return exitCode(e.stderr, forward(args, e))
	}
	root := newRoot(e)
	switch {
	case len(args) == 0 || len(args) == 1 && (args[0] == "--help" || args[0] == "-h" || args[0] == "help"):
		return exitCode(e.stderr, rootHelp(e, root))
	case args[0] == argv.CompleteRequest || args[0] == argv.CompleteNoDescRequest:
		return exitCode(e.stderr, complete(e, root, args))
	}
	root.SetArgs(args)
	return exitCode(e.stderr, root.Execute())
}
