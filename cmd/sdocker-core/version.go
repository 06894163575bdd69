package main

import "fmt"

// cmdVersion prints sdocker's version, then docker's (by exec'ing `docker version`).
func cmdVersion(args []string, e env) error {
	fmt.Fprintf(e.stdout, "sdocker version %s\n\n", version)
	return execDocker(e, append([]string{"version"}, args...))
}
