package plan

import (
	"bytes"
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"sdocker/wrapper"
)

// TestMakeWithoutADaemon covers what a plan works out before it asks the daemon anything.
func TestMakeWithoutADaemon(t *testing.T) {
	t.Setenv("SDOCKER_POLICY", "") // the embedded policy
	for _, tc := range []struct {
		name string
		argv []string
		// want is the plan's argv, or the start of the error's message.
		want    []string
		refused bool
		usage   string
	}{
		{name: "a command not decided is passed through", argv: []string{"ps", "-a"}, want: []string{"ps", "-a"}},
		{name: "help is passed through", argv: []string{"run", "--help"}, want: []string{"run", "--help"}},
		{name: "a TCP daemon without TLS is refused", argv: []string{"-H", "tcp://192.0.2.1:2375", "ps"}, usage: "refusing to talk to tcp://192.0.2.1:2375 (from -H) without TLS verification"},
		{name: "an exec is decided", argv: []string{"exec", "--privileged", "c", "sh"}, refused: true},
		{name: "an allowed exec", argv: []string{"exec", "c", "sh"}, want: []string{"exec", "c", "sh"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			getenv := func(k string) string {
				if strings.HasPrefix(k, "DOCKER_") {
					return ""
				}
				return os.Getenv(k)
			}
			pl, err := Make(context.Background(), Env{Getenv: getenv, Out: &out, Cwd: t.TempDir(), ReadFile: os.ReadFile}, tc.argv)
			var refused *RefusedError
			var usage *wrapper.UsageError
			switch {
			case tc.refused:
				if !errors.As(err, &refused) || len(refused.Violations) == 0 {
					t.Fatalf("Make(%q) = %v, want a refusal", tc.argv, err)
				}
			case tc.usage != "":
				if !errors.As(err, &usage) || !strings.HasPrefix(usage.Msg, tc.usage) {
					t.Fatalf("Make(%q) = %v, want a usage error %q…", tc.argv, err, tc.usage)
				}
			case err != nil:
				t.Fatalf("Make(%q): %v", tc.argv, err)
			case pl.Action != Exec:
				t.Errorf("action %v, want Exec", pl.Action)
			case tc.argv[0] == "exec":
				if !slices.Equal(pl.Argv, tc.want) || pl.Policy == nil || !pl.Decision.Allowed {
					t.Errorf("argv %q (policy %v, allowed %v), want %q decided and allowed", pl.Argv, pl.Policy != nil, pl.Decision.Allowed, tc.want)
				}
			case !slices.Equal(pl.Argv, tc.want) || pl.Policy != nil:
				t.Errorf("argv %q (policy %v), want %q untouched and no policy loaded", pl.Argv, pl.Policy != nil, tc.want)
			}
		})
	}
}
