package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"sdocker/defaults"
	"sdocker/wrapper"
)

// Exit statuses. Like docker, sdocker's own failures exit 125; the container's status is
// docker's, since sdocker execs it.
const (
	exitOK      = 0
	exitFailure = 125
)

// refusedError is a request the policy refuses; each violation is printed on its own line.
type refusedError struct{ violations []defaults.Violation }

func (e *refusedError) Error() string { return "refused by policy" }

// silentError carries an exit status whose explanation has already been printed.
type silentError struct{ code int }

func (e *silentError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// exitCode prints an error as sdocker's one line (or one line per violation) and picks the
// exit status. It is the only place that maps errors to statuses.
func exitCode(stderr io.Writer, err error) int {
	if err == nil {
		return exitOK
	}
	var refused *refusedError
	var silent *silentError
	var usage *wrapper.UsageError
	switch {
	case errors.As(err, &silent):
		return silent.code
	case errors.As(err, &refused):
		for _, v := range refused.violations {
			fmt.Fprintln(stderr, "sdocker: "+violationLine(v))
		}
	case errors.As(err, &usage):
		fmt.Fprintln(stderr, "sdocker: "+usage.Msg)
	default:
		fmt.Fprintln(stderr, "sdocker: "+oneLine(err.Error()))
	}
	return exitFailure
}

// violationLine names the argument as typed, the rule, what is wrong and how to allow it.
func violationLine(v defaults.Violation) string {
	v = wrapper.Words(v)
	arg := v.From
	if arg == "" {
		arg = "request"
	}
	return fmt.Sprintf("refused %s (rule %s): %s; to allow it, %s", arg, v.Rule, v.Message, v.Hint)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
