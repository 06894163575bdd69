package defaults_test

import (
	"slices"
	"strings"
	"testing"

	"sdocker/defaults"
)

const socketPolicy = `version: 1
runtime:
  docker_socket:
    images: ["ci/**"]
    policed: /run/sdocker/sockets/docker.sock
`

// A bind of the daemon's socket, in any spelling docker accepts, becomes a bind of the policed
// socket for the images runtime.docker_socket names; every other image, an inherited mount, a
// socket nobody serves and require mode keep the refusal.
func TestDockerSocketIsReplacedByThePolicedOne(t *testing.T) {
	served := defaults.AssumedFacts()
	served.PolicedSocket = "/run/sdocker/sockets/docker.sock"
	servedElsewhere := defaults.AssumedFacts()
	servedElsewhere.PolicedSocket = "/srv/sdocker/sockets/docker.sock"
	for _, tc := range []struct {
		name    string
		policy  string
		argv    []string
		facts   defaults.Facts
		mount   string // the --mount= addition
		refused string
	}{
		{name: "-v", argv: []string{"run", "-v", "/var/run/docker.sock:/var/run/docker.sock", "ci/job"}, facts: served,
			mount: "type=bind,source=/run/sdocker/sockets/docker.sock,target=/var/run/docker.sock"},
		{name: "--mount read-only", argv: []string{"run", "--mount", "type=bind,src=/run/docker.sock,dst=/sock,readonly", "ci/job"}, facts: served,
			mount: "type=bind,source=/run/sdocker/sockets/docker.sock,target=/sock,readonly"},
		{name: "target with a comma", argv: []string{"run", "-v", "/var/run/docker.sock:/a,b", "ci/job"}, facts: served,
			mount: `type=bind,source=/run/sdocker/sockets/docker.sock,"target=/a,b"`},
		{name: "the policed socket itself", argv: []string{"run", "-v", "/run/sdocker/sockets/docker.sock:/var/run/docker.sock", "ci/job"}, facts: served},
		{name: "another image", argv: []string{"run", "-v", "/var/run/docker.sock:/var/run/docker.sock", "web/app"}, facts: served, refused: "mounts"},
		{name: "the policed socket for another image", argv: []string{"run", "-v", "/run/sdocker/sockets/docker.sock:/s", "web/app"}, facts: served, refused: "mounts"},
		{name: "a directory holding the policed socket, for another image", policy: "version: 1\nruntime:\n  docker_socket:\n    images: [\"ci/**\"]\n    policed: /srv/sdocker/sockets/docker.sock\n",
			argv: []string{"run", "-v", "/srv/sdocker:/s:ro", "web/app"}, facts: servedElsewhere, refused: "mounts"},
		{name: "not served", argv: []string{"run", "-v", "/var/run/docker.sock:/var/run/docker.sock", "ci/job"}, facts: defaults.AssumedFacts(), refused: "docker-socket"},
		{name: "no policed socket in the policy", policy: "version: 1\nruntime:\n  docker_socket:\n    images: [\"ci/**\"]\n",
			argv: []string{"run", "-v", "/var/run/docker.sock:/var/run/docker.sock", "ci/job"}, facts: defaults.AssumedFacts(), refused: "mounts"},
		{name: "the default policy", policy: "-", argv: []string{"run", "-v", "/var/run/docker.sock:/var/run/docker.sock", "ci/job"}, facts: served, refused: "mounts"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			policy := socketPolicy
			switch tc.policy {
			case "-":
				policy = ""
			case "":
			default:
				policy = tc.policy
			}
			d := decide(t, mustPolicy(t, policy), tc.argv, tc.facts)
			if tc.refused != "" {
				if d.Allowed || !slices.Contains(rules(d.Violations), tc.refused) {
					t.Fatalf("want refused by %s: %+v", tc.refused, d.Violations)
				}
				if tc.refused == "docker-socket" && !strings.Contains(d.Violations[0].Hint, "systemctl start sdocker-proxy") {
					t.Errorf("hint %q", d.Violations[0].Hint)
				}
				return
			}
			if !d.Allowed {
				t.Fatalf("refused: %+v", d.Violations)
			}
			var got string
			for _, a := range injected(d) {
				if v, ok := strings.CutPrefix(a, "--mount="); ok {
					got = v
				}
			}
			if got != tc.mount {
				t.Errorf("mount %q, want %q", got, tc.mount)
			}
			if out := rendered(t, tc.argv, d); tc.mount != "" && slices.Contains(out, tc.argv[2]) {
				t.Errorf("the daemon's socket is still in %q", out)
			}
		})
	}
}

// The daemon door and the audit judge what the container holds: the daemon's own socket is
// refused, the policed one passes, and a socket inherited from another container is refused.
func TestDockerSocketInRequireMode(t *testing.T) {
	p := mustPolicy(t, socketPolicy)
	facts := defaults.AssumedFacts()
	facts.PolicedSocket = "/run/sdocker/sockets/docker.sock"
	for _, tc := range []struct {
		name    string
		mount   defaults.Mount
		require bool
		allowed bool
	}{
		{"daemon's socket", defaults.Mount{Type: "bind", Source: "/var/run/docker.sock", Target: "/s", From: "HostConfig.Binds=x"}, true, false},
		{"policed socket", defaults.Mount{Type: "bind", Source: "/run/sdocker/sockets/docker.sock", Target: "/s", From: "HostConfig.Binds=y"}, true, true},
		{"inherited", defaults.Mount{Type: "bind", Source: "/run/docker.sock", Target: "/s", From: "--volumes-from c", Inherited: true}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := defaults.Request{Kind: defaults.KindCreate, Image: "ci/job", Mounts: []defaults.Mount{tc.mount}}
			d := defaults.Decide(defaults.Input{Policy: p, Request: req, Facts: facts, Now: today, Require: tc.require})
			var mountRules []string
			for _, v := range d.Violations {
				if v.Field == defaults.FieldMounts {
					mountRules = append(mountRules, string(v.Rule))
				}
			}
			if (len(mountRules) == 0) != tc.allowed {
				t.Errorf("mount violations %q, want allowed=%v", mountRules, tc.allowed)
			}
		})
	}
}
