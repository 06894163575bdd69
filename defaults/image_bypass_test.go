package defaults_test

import (
	"testing"

	"sdocker/defaults"
	"sdocker/verify"
)

// Spellings of a registry that reach the same registry as the policy's pattern, and that the
// docker CLI and daemon accept. A signature or scan rule that does not match them is bypassed:
// the first rule that matches is then the catch-all, which asks nothing.

const hostPolicy = `version: 1
images:
  - match: "registry.example.com/team/**"
    signature: {keys: [team.pub]}
  - match: "localhost:5000/team/**"
    signature: {keys: [team.pub]}
  - match: "localhost/team/**"
    signature: {keys: [team.pub]}
  - match: "127.0.0.1/team/**"
    signature: {keys: [team.pub]}
  - match: "**"
    signature: {required: false}
`

func imagePolicy(t *testing.T, body string) *defaults.Policy {
	t.Helper()
	p, err := defaults.Parse([]byte(body), "policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Host names are case-insensitive. docker 28.2.2 accepts an upper-case registry part (the
// lowercase rule covers only the path; an upper-case first component is taken as a registry
// even without '.' or ':'), and the 20.10 daemon pulls `LOCALHOST:PORT/team/app:unsigned` from
// the same registry as `localhost:PORT/...`. Verified: `sdocker pull LOCALHOST:PORT/team/app:unsigned`
// under a `localhost:PORT/team/**` key rule exits 0 and the daemon has the unsigned image.
func TestImageBypassRegistryHostCase(t *testing.T) {
	p := imagePolicy(t, hostPolicy)
	for _, tc := range []struct{ ref, want string }{
		{"Registry.Example.com/team/app:1", "registry.example.com/team/**"},
		{"REGISTRY.EXAMPLE.COM/team/app", "registry.example.com/team/**"},
		{"registry.EXAMPLE.com/team/app@sha256:" + sha, "registry.example.com/team/**"},
		{"LOCALHOST:5000/team/app:1", "localhost:5000/team/**"},
		{"LocalHost:5000/team/app", "localhost:5000/team/**"},
		// No port: docker reads an upper-case first component as a registry, never as a Hub
		// namespace (Hub paths must be lower case).
		{"LocalHost/team/app:1", "localhost/team/**"},
	} {
		t.Run(tc.ref, func(t *testing.T) {
			r := p.ImageRule(tc.ref)
			if r == nil || r.Match != tc.want {
				got := "<none>"
				if r != nil {
					got = r.Match
				}
				t.Fatalf("ImageRule(%q) = %q, want %q: the signature rule is skipped for this spelling", tc.ref, got, tc.want)
			}
		})
	}
}

// An explicit default port names the same registry endpoint. Verified with a registry on
// 127.0.0.1:80: `docker pull 127.0.0.1/team/app:x` and `docker pull 127.0.0.1:80/team/app:x`
// fetch the same digest from it, and `sdocker pull 127.0.0.1:80/team/app:x` under a
// `127.0.0.1/team/**` key rule pulls the unsigned image (exit 0) while the spelling without the
// port is refused. For a TLS registry, `host:443` is the same https://host/v2/ endpoint.
func TestImageBypassRegistryDefaultPort(t *testing.T) {
	p := imagePolicy(t, hostPolicy)
	for _, tc := range []struct{ ref, want string }{
		{"registry.example.com:443/team/app:1", "registry.example.com/team/**"},
		{"127.0.0.1:80/team/app:x", "127.0.0.1/team/**"},
	} {
		t.Run(tc.ref, func(t *testing.T) {
			if r := p.ImageRule(tc.ref); r == nil || r.Match != tc.want {
				got := "<none>"
				if r != nil {
					got = r.Match
				}
				t.Fatalf("ImageRule(%q) = %q, want %q: the signature rule is skipped for this spelling", tc.ref, got, tc.want)
			}
		})
	}
}

// The other side of the host-case problem: where the matching rule (here the catch-all)
// requires a signature, a reference docker accepts is refused as invalid before any check
// ("policy error: \"LocalHost:5000/team/app\" is not a valid image reference").
func TestImageBypassUpperCaseHostRefusedAsInvalid(t *testing.T) {
	for _, ref := range []string{"LocalHost:5000/team/app:1", "Registry.Example.com/team/app"} {
		if _, err := verify.ParseRef(ref); err != nil {
			t.Errorf("ParseRef(%q): %v; docker accepts this reference (only the path must be lower case)", ref, err)
		}
	}
}

const sha = "3793617037d2ebcf99a6f3880480e242977caf3b15c54174fab7aab9f708875f"
