package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"sdocker/wrapper"
	"sdocker/wrapper/plan"
)

// Exit statuses. Like docker, sdocker's own failures exit 125; the container's status is
// docker's, since sdocker execs it.
const (
	exitOK      = 0
	exitFailure = 125
)

// A request the policy refuses is a *plan.RefusedError; each violation is printed on its own
// line.

// silentError carries an exit status whose explanation has already been printed.
type silentError struct{ code int }

func (e *silentError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// exitCode prints an error as sdocker's one line (or one line per violation) and picks the
// exit status. It is the only place that maps errors to statuses.
func exitCode(stderr io.Writer, err error) int {
	if err == nil {
		return exitOK
	}
	var refused *plan.RefusedError
	var silent *silentError
	var usage *wrapper.UsageError
	switch {
	case errors.As(err, &silent):
		return silent.code
	case errors.As(err, &refused):
		for _, v := range refused.Violations {
			fmt.Fprintln(stderr, "sdocker: "+plan.ViolationLine(v))
		}
	case errors.As(err, &usage):
		fmt.Fprintln(stderr, "sdocker: "+usage.Msg)
	default:
		fmt.Fprintln(stderr, "sdocker: "+oneLine(err.Error()))
	}
	return exitFailure
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
