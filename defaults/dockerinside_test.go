package defaults_test

import (
	"strings"
	"testing"

	"sdocker/defaults"
)

// A privileged daemon in a container (docker-in-docker, the CI plugins built on it) is refused
// with the way to do without it: the host's daemon through a policed socket.
func TestPrivilegedDaemonImageIsToldOfThePolicedSocket(t *testing.T) {
	p := mustPolicy(t, "")
	for _, tc := range []struct {
		image  string
		socket bool
	}{
		{"docker:24-dind", true},
		{"docker:dind", true},
		{"mirror.example.com/library/docker:27-dind-rootless", true},
		{"plugins/docker:20", true},
		{"woodpeckerci/plugin-docker-buildx:5", true},
		{"postgres:16", false},
		{"docker@sha256:" + strings.Repeat("d", 64), true}, // as the GitLab runner names a service's image
		{"example/dockerish:dind", false},
	} {
		d := decide(t, p, []string{"run", "--privileged", tc.image}, defaults.Facts{})
		if d.Allowed || len(d.Violations) == 0 || d.Violations[0].Rule != defaults.RulePrivileged {
			t.Fatalf("%s: %+v, want refused (rule privileged)", tc.image, d)
		}
		if got := strings.Contains(d.Violations[0].Hint, "policed socket"); got != tc.socket {
			t.Errorf("%s: hint %q; want the policed socket named: %v", tc.image, d.Violations[0].Hint, tc.socket)
		}
	}
}
