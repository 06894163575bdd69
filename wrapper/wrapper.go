// Package wrapper is sdocker's CLI door: docker's argv grammar (package wrapper/argv, re-exported
// here), the conversion of a parsed command line into the decision's request, and the small
// Engine API client the door needs before it execs docker.
package wrapper

import "sdocker/wrapper/argv"

// The grammar lives in wrapper/argv so that the pass-through front links nothing else.
type (
	Invocation = argv.Invocation
	Occurrence = argv.Occurrence
	Flag       = argv.Flag
	Edit       = argv.Edit
	Endpoint   = argv.Endpoint
	UsageError = argv.UsageError
)

// DefaultHost is docker's default daemon socket.
const DefaultHost = argv.DefaultHost

// ErrNoDocker is returned when no docker CLI other than sdocker itself is on PATH.
var ErrNoDocker = argv.ErrNoDocker

// Parse parses a docker command line; see argv.Parse.
func Parse(args []string) (*Invocation, error) { return argv.Parse(args) }

// Render returns the docker argv after an edit; see argv.Render.
func Render(inv *Invocation, e Edit) []string { return argv.Render(inv, e) }

// FindDocker returns the real docker CLI; see argv.FindDocker.
func FindDocker(getenv func(string) string) (string, error) { return argv.FindDocker(getenv) }

// Exec replaces this process with docker; see argv.Exec.
func Exec(docker string, args []string) error { return argv.Exec(docker, args) }

// Quote renders an argv for people; see argv.Quote.
func Quote(args []string) string { return argv.Quote(args) }

// CommandFlags returns the flag table of a docker command; see argv.CommandFlags.
func CommandFlags(cmd string) []Flag { return argv.CommandFlags(cmd) }
