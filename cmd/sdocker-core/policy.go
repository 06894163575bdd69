package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"sdocker/defaults"
	"sdocker/wrapper"
)

const policyUsage = "usage: sdocker policy show [--policy FILE] | sdocker policy check FILE | sdocker policy default"

// cmdPolicy shows the effective policy, prints the embedded default, or checks a policy file.
func cmdPolicy(args []string, e env) error {
	if len(args) == 0 {
		return &wrapper.UsageError{Msg: policyUsage}
	}
	switch args[0] {
	case "show":
		file := ""
		switch {
		case len(args) == 3 && args[1] == "--policy":
			file = args[2]
		case len(args) == 2 && strings.HasPrefix(args[1], "--policy="):
			file = strings.TrimPrefix(args[1], "--policy=")
		case len(args) != 1:
			return &wrapper.UsageError{Msg: policyUsage}
		}
		p, err := defaults.Load(file)
		if err != nil {
			return err
		}
		out, err := p.Marshal()
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "# effective policy, from: %s\n%s", p.Source, out)
		return nil
	case "default":
		_, err := e.stdout.Write(defaults.DefaultPolicyYAML())
		return err
	case "check":
		if len(args) != 2 {
			return &wrapper.UsageError{Msg: policyUsage}
		}
		data, err := os.ReadFile(args[1])
		if err != nil {
			return fmt.Errorf("reading policy: %w", err)
		}
		if _, err := defaults.Parse(data, args[1]); err != nil {
			// One line per problem, each with the file and, where known, the line.
			for _, line := range policyErrors(err) {
				fmt.Fprintln(e.stderr, "sdocker: "+line)
			}
			return &silentError{code: exitFailure}
		}
		fmt.Fprintf(e.stdout, "%s: valid\n", args[1])
		return nil
	}
	return &wrapper.UsageError{Msg: policyUsage}
}

// policyErrors splits a joined validation error into one line per problem, each prefixed with
// the file name.
func policyErrors(err error) []string {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, defaults.ErrPolicy.Error()+": ")
	file, rest, ok := strings.Cut(msg, ": ")
	if !ok {
		return []string{msg}
	}
	var out []string
	for _, l := range strings.Split(rest, "\n") {
		for _, part := range strings.Split(l, "; ") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, file+": "+part)
			}
		}
	}
	if len(out) == 0 {
		return []string{errors.Unwrap(err).Error()}
	}
	return out
}
