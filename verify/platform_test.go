package verify

import (
	"testing"

	specs "github.com/opencontainers/image-spec/specs-go/v1"
)

func desc(d, os, arch, variant string) Descriptor {
	return Descriptor{Digest: d, MediaType: MediaDockerManifest, Platform: &specs.Platform{OS: os, Architecture: arch, Variant: variant}}
}

// TestPickChild picks as dockerd 20.10 picks (containerd's platforms.Only, variant exact, the
// best match first, the index's order among equals), not as go-containerregistry does (a
// missing variant matching any).
func TestPickChild(t *testing.T) {
	attestation := desc("att", "unknown", "unknown", "")
	attestation.Annotations = map[string]string{"vnd.docker.reference.type": "attestation-manifest"}
	nested := desc("nested", "linux", "amd64", "")
	nested.MediaType = MediaOCIIndex
	cases := []struct {
		name     string
		children []Descriptor
		want     string
		pick     string // "" when none matches
	}{
		{"plain amd64 skips a v3 child listed first",
			[]Descriptor{desc("v3", "linux", "amd64", "v3"), desc("plain", "linux", "amd64", "")}, "linux/amd64", "plain"},
		{"amd64/v3 takes the v3 child", []Descriptor{desc("plain", "linux", "amd64", ""), desc("v3", "linux", "amd64", "v3")},
			"linux/amd64/v3", "v3"},
		{"amd64/v3 falls back to v2 before plain",
			[]Descriptor{desc("plain", "linux", "amd64", ""), desc("v2", "linux", "amd64", "v2")}, "linux/amd64/v3", "v2"},
		{"amd64/v1 is plain amd64", []Descriptor{desc("plain", "linux", "amd64", "v1")}, "linux/amd64", "plain"},
		{"only a v3 child: nothing for plain amd64", []Descriptor{desc("v3", "linux", "amd64", "v3")}, "linux/amd64", ""},
		{"first of equal children", []Descriptor{desc("a", "linux", "amd64", ""), desc("b", "linux", "amd64", "")}, "linux/amd64", "a"},
		{"x86_64 is amd64", []Descriptor{desc("x", "linux", "x86_64", "")}, "linux/amd64", "x"},
		{"arm64/v8 is arm64", []Descriptor{desc("v8", "linux", "arm64", "v8")}, "linux/arm64", "v8"},
		{"arm/v7 runs v6 when no v7", []Descriptor{desc("v6", "linux", "arm", "v6"), desc("v5", "linux", "arm", "v5")}, "linux/arm/v7", "v6"},
		{"arm/v6 does not run v7", []Descriptor{desc("v7", "linux", "arm", "v7")}, "linux/arm/v6", ""},
		{"another OS", []Descriptor{desc("w", "windows", "amd64", "")}, "linux/amd64", ""},
		{"attestations and nested indexes are never picked", []Descriptor{attestation, nested}, "linux/amd64", ""},
		{"a child without a platform is never picked", []Descriptor{{Digest: "np", MediaType: MediaOCIManifest}}, "linux/amd64", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want, err := ParsePlatform(tc.want)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := PickChild(tc.children, want)
			if ok != (tc.pick != "") || got.Digest != tc.pick {
				t.Errorf("PickChild(%s) = %q, %v; want %q", tc.want, got.Digest, ok, tc.pick)
			}
		})
	}
}

func TestLocalMatches(t *testing.T) {
	cases := []struct {
		name       string
		have, want string
		ok         bool
	}{
		{"same", "linux/amd64", "linux/amd64", true},
		{"another architecture", "linux/arm64", "linux/amd64", false},
		{"a v3 image is not taken for plain amd64", "linux/amd64/v3", "linux/amd64", false},
		{"an image without a variant is taken for its architecture", "linux/arm", "linux/arm/v7", true},
		{"arm/v6 image on arm/v7", "linux/arm/v6", "linux/arm/v7", true},
		{"arm/v7 image is not taken for arm/v6", "linux/arm/v7", "linux/arm/v6", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var have specs.Platform
			if p, err := ParsePlatform(tc.have); err == nil {
				have = p
			}
			// An image's configuration says its platform literally; arm without a variant stays so.
			if tc.have == "linux/arm" {
				have = specs.Platform{OS: "linux", Architecture: "arm"}
			}
			want, err := ParsePlatform(tc.want)
			if err != nil {
				t.Fatal(err)
			}
			if got := LocalMatches(have, want); got != tc.ok {
				t.Errorf("LocalMatches(%s, %s) = %v, want %v", tc.have, tc.want, got, tc.ok)
			}
		})
	}
}

func TestDaemonPlatform(t *testing.T) {
	cases := []struct {
		name, os, arch string
		want           string // "" for an error
	}{
		{"x86_64 daemon", "linux", "x86_64", "linux/amd64"},
		{"aarch64 daemon", "linux", "aarch64", "linux/arm64"},
		{"remote 32-bit arm: the variant is unknown", "linux", "armv7l", ""},
		{"i686 daemon", "linux", "i686", "linux/386"},
		{"no answer", "", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := DaemonPlatform(tc.os, tc.arch, false)
			if tc.want == "" {
				if err == nil {
					t.Fatalf("DaemonPlatform = %s, want an error", FormatPlatform(p))
				}
				return
			}
			if err != nil || FormatPlatform(p) != tc.want {
				t.Errorf("DaemonPlatform = %s, %v; want %s", FormatPlatform(p), err, tc.want)
			}
		})
	}
}
