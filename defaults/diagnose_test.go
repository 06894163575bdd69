package defaults_test

import (
	"reflect"
	"strings"
	"testing"

	"sdocker/defaults"
)

func TestDiagnoseNamesWhatSdockerWithheld(t *testing.T) {
	p := mustPolicy(t, "")
	dropAll := []string{"ALL"}
	setupOnly := defaults.SetupCapabilities
	without := func(c string) []string {
		var out []string
		for _, s := range setupOnly {
			if s != c {
				out = append(out, s)
			}
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		state  defaults.ContainerState
		causes []string
	}{
		{"postgres without DAC_OVERRIDE", defaults.ContainerState{ExitCode: 1, CapDrop: dropAll, CapAdd: without("DAC_OVERRIDE"),
			Output: []string{"mkdir: cannot create directory '/var/lib/postgresql/data': Permission denied"}}, []string{"DAC_OVERRIDE"}},
		{"redis without CHOWN", defaults.ContainerState{ExitCode: 1, CapDrop: dropAll,
			Output: []string{"find: ...", "chown: changing ownership of './dump.rdb': Operation not permitted"}}, []string{"CHOWN"}},
		{"gosu without SETUID/SETGID", defaults.ContainerState{ExitCode: 1, CapDrop: dropAll, CapAdd: []string{"CAP_CHOWN"},
			Output: []string{`error: failed switching to "redis": operation not permitted`}}, []string{"SETGID", "SETUID"}},
		{"apt's sandbox", defaults.ContainerState{ExitCode: 100, CapDrop: dropAll, Output: []string{
			"E: setgroups 65534 failed - setgroups (1: Operation not permitted)", "E: Unable to locate package hello"}}, []string{"SETGID", "SETUID"}},
		{"nginx on :80", defaults.ContainerState{ExitCode: 1, CapDrop: dropAll, CapAdd: without("NET_BIND_SERVICE"),
			Output: []string{"nginx: [emerg] bind() to 0.0.0.0:80 failed (13: Permission denied)"}}, []string{"NET_BIND_SERVICE"}},
		{"ping", defaults.ContainerState{ExitCode: 2, CapDrop: dropAll, CapAdd: setupOnly,
			Output: []string{"ping: socket: Operation not permitted"}}, []string{"NET_RAW"}},
		{"sudo under no-new-privileges", defaults.ContainerState{ExitCode: 1, CapDrop: dropAll, NoNewPrivileges: true, User: "app",
			Output: []string{`sudo: The "no new privileges" flag is set, which prevents sudo from running as root.`}}, []string{"no-new-privileges"}},
		{"a capability it had", defaults.ContainerState{ExitCode: 1, CapDrop: dropAll, CapAdd: []string{"CHOWN"},
			Output: []string{"chown: changing ownership of 'x': Operation not permitted"}}, nil},
		{"docker's defaults", defaults.ContainerState{ExitCode: 1,
			Output: []string{"chown: changing ownership of 'x': Operation not permitted"}}, nil},
		{"a non-root process", defaults.ContainerState{ExitCode: 1, CapDrop: dropAll, User: "1000",
			Output: []string{"open /data/x: permission denied"}}, nil},
		{"success", defaults.ContainerState{ExitCode: 0, CapDrop: dropAll,
			Output: []string{"chown: changing ownership of 'x': Operation not permitted"}}, nil},
		{"an unrelated failure", defaults.ContainerState{ExitCode: 1, CapDrop: dropAll, Output: []string{"panic: nil map"}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, d := range defaults.Diagnose(p, tc.state) {
				got = append(got, d.Cause)
				if d.Line == "" || d.Hint == "" {
					t.Errorf("diagnosis without line or hint: %+v", d)
				}
			}
			if !reflect.DeepEqual(got, tc.causes) {
				t.Fatalf("causes %v, want %v", got, tc.causes)
			}
		})
	}
}

// Every diagnosis's hint works: the command line it names is allowed, after the policy change
// it names.
func TestDiagnoseHintsWork(t *testing.T) {
	p := mustPolicy(t, "")
	for _, tc := range []struct {
		cause, line, policy, argv string
	}{
		{"CHOWN", "chown: x: Operation not permitted", "", "run --cap-add CHOWN img"},
		{"NET_RAW", "ping: socket: Operation not permitted", "version: 1\nruntime: {capabilities: {allow: [NET_BIND_SERVICE, NET_RAW]}}\n", "run --cap-add NET_RAW img"},
		{"no-new-privileges", "sudo: effective uid is not 0, is /usr/bin/sudo on a file system with the 'nosuid' option set",
			"version: 1\nexceptions:\n  - {match: img, allow: [no-new-privileges], reason: r, expires: 2099-01-01}\n",
			"run --security-opt no-new-privileges=false img"},
	} {
		t.Run(tc.cause, func(t *testing.T) {
			ds := defaults.Diagnose(p, defaults.ContainerState{ExitCode: 1, CapDrop: []string{"ALL"}, NoNewPrivileges: true, Output: []string{tc.line}})
			if len(ds) != 1 || ds[0].Cause != tc.cause || !strings.Contains(ds[0].Hint, strings.TrimSuffix(strings.TrimPrefix(tc.argv, "run "), " img")) {
				t.Fatalf("diagnoses %+v, want %s with %q", ds, tc.cause, tc.argv)
			}
			pol := p
			if tc.policy != "" {
				pol = mustPolicy(t, tc.policy)
			}
			if d := decide(t, pol, strings.Fields(tc.argv), imageUser("")); !d.Allowed {
				t.Fatalf("following the hint, still refused: %+v", d.Violations)
			}
		})
	}
}
