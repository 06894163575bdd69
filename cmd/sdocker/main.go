// Command sdocker is a secure drop-in replacement for the docker CLI: it hardens and checks the
// commands that create containers and pull images, and execs the real docker for everything.
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
