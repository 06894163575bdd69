package defaults_test

import (
	"strings"
	"testing"

	"sdocker/defaults"
)

// An exception bound to digests applies only to an image holding one of them, and pins the
// container to that image; one bound to a name only is warned about.
func TestExceptionsBoundToContent(t *testing.T) {
	good := "sha256:" + strings.Repeat("a", 64)
	other := "sha256:" + strings.Repeat("b", 64)
	p := mustPolicy(t, `version: 1
exceptions:
  - match: "tools/dind:*"
    allow: [privileged]
    reason: CI builder
    digests: [`+good+`]
`)
	argv := strings.Fields("run --privileged tools/dind:1")
	for _, tc := range []struct {
		name    string
		image   *defaults.ImageFacts
		allowed bool
	}{
		{"the image named", &defaults.ImageFacts{ID: good}, true},
		{"pulled by a repo digest named", &defaults.ImageFacts{ID: other, RepoDigests: []string{"tools/dind@" + good}}, true},
		{"another image retagged", &defaults.ImageFacts{ID: other}, false},
		{"not on the daemon", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			facts := defaults.AssumedFacts()
			facts.Image = tc.image
			d := decide(t, p, argv, facts)
			if d.Allowed != tc.allowed {
				t.Fatalf("allowed %v, want %v: %+v", d.Allowed, tc.allowed, d.Violations)
			}
			if tc.allowed && d.Change.Image != tc.image.ID {
				t.Fatalf("the container is not pinned to the image judged: %q", d.Change.Image)
			}
			if !tc.allowed && !strings.Contains(d.Violations[0].Message, "digests only") {
				t.Fatalf("the refusal does not say why the exception did not apply: %s", d.Violations[0].Message)
			}
		})
	}
	unbound := mustPolicy(t, "version: 1\nexceptions:\n  - {match: \"tools/dind:*\", allow: [privileged], reason: r}\n")
	if len(unbound.Warnings()) != 1 || !strings.Contains(unbound.Warnings()[0], "bind it to content with digests") {
		t.Fatalf("warnings %q", unbound.Warnings())
	}
	if _, err := defaults.Parse([]byte("version: 1\nexceptions:\n  - {match: x, allow: [privileged], reason: r, digests: [abc]}\n"), "p.yaml"); err == nil ||
		!strings.Contains(err.Error(), "not a sha256 digest") {
		t.Fatalf("a bad digest was accepted: %v", err)
	}
}

// Every spelling of a registry that reaches the same one is one to the policy.
func TestRegistrySpellings(t *testing.T) {
	for _, ref := range []string{"localhost:5000/team/app", "LOCALHOST:5000/team/app", "localhost:05000/team/app", "localhost:005000/team/app:1"} {
		if !defaults.MatchImage("localhost:5000/team/**", ref) {
			t.Errorf("%s escapes the rule for localhost:5000/team/**", ref)
		}
	}
	for _, ref := range []string{"registry.example.com:0443/team/app", "Registry.Example.com:443/team/app"} {
		if !defaults.MatchImage("registry.example.com/team/**", ref) {
			t.Errorf("%s escapes the rule for registry.example.com/team/**", ref)
		}
	}
}
