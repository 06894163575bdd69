package defaults_test

import (
	"testing"

	"github.com/distribution/reference"

	"sdocker/defaults"
)

// ParseReference splits references by hand (docker's grammar costs every command its init);
// where docker's own parser (distribution/reference, a test-only import) takes a reference,
// the two must agree on name, tag and digest, up to sdocker's canonical registry spelling.
func TestParseReferenceAgreesWithDocker(t *testing.T) {
	digest := "sha256:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	for _, ref := range []string{
		"busybox", "busybox:1.36", "library/busybox", "docker.io/library/busybox:latest", "index.docker.io/library/busybox",
		"team/app:v1", "registry.example.com/team/app:1.4", "registry.example.com:5000/team/app", "localhost/app",
		"localhost:5000/app:dev", "Registry.Example.com/team/app", "registry.example.com/team/app@" + digest,
		"registry.example.com/team/app:1.4@" + digest, "127.0.0.1:5999/evil:latest", "a.b/c/d/e:f",
		"registry.example.com:443/team/app", "example.com:80/x",
	} {
		named, err := reference.ParseNormalizedNamed(ref)
		if err != nil {
			t.Fatalf("%s: docker refuses it: %v", ref, err)
		}
		want := defaults.Reference{Name: defaults.CanonicalDomain(reference.Domain(named)) + "/" + reference.Path(named)}
		if tg, ok := named.(reference.Tagged); ok {
			want.Tag = tg.Tag()
		}
		if d, ok := named.(reference.Digested); ok {
			want.Digest = d.Digest().String()
		}
		if want.Tag == "" && want.Digest == "" {
			want.Tag = "latest"
		}
		if got := defaults.ParseReference(ref); got != want {
			t.Errorf("%s: sdocker reads %+v, docker %+v", ref, got, want)
		}
	}
}
