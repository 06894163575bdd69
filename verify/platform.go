package verify

import (
	"errors"
	"fmt"
	"runtime"
	"strings"

	"github.com/containerd/platforms"
	specs "github.com/opencontainers/image-spec/specs-go/v1"
)

// An image index (a multi-platform image) is several images under one digest, and the daemon
// picks one of them. The gate must judge the one the daemon will pick, so it picks it here the
// way dockerd does: containerd's platforms package, on a normalized platform, the variant
// matched exactly (go-containerregistry, which trivy uses, takes a missing variant as a
// wildcard and would judge another child).

// PlatformError is an index that has no image for the platform docker will take, or a platform
// that cannot be known. Docker could not run such an image either; it is never let through.
type PlatformError struct {
	Ref string
	Msg string
}

func (e *PlatformError) Error() string { return fmt.Sprintf("image %s: %s", e.Ref, e.Msg) }

// ParsePlatform reads a platform as docker's --platform and DOCKER_DEFAULT_PLATFORM are read
// (os[/arch[/variant]]), normalized as the daemon normalizes it.
func ParsePlatform(s string) (specs.Platform, error) {
	p, err := platforms.Parse(strings.TrimSpace(s))
	if err != nil {
		return specs.Platform{}, fmt.Errorf("reading platform %q: %w", s, err)
	}
	return platforms.Normalize(p), nil
}

// FormatPlatform writes a platform as os/arch[/variant].
func FormatPlatform(p specs.Platform) string { return platforms.Format(p) }

// DaemonPlatform is the platform a daemon pulls when none is asked for: its OS and architecture
// (GET /info's OSType and Architecture, uname's spelling), normalized. dockerd adds its CPU's
// variant, which /info does not say: for 32-bit arm it is read from this machine when the
// daemon runs here (sameHost) on this machine's architecture; otherwise the platform cannot be
// known and must be asked for. amd64 and arm64 daemons pull no variant.
func DaemonPlatform(osType, arch string, sameHost bool) (specs.Platform, error) {
	if osType == "" || arch == "" {
		return specs.Platform{}, errors.New("the daemon did not say its operating system and architecture")
	}
	switch a := strings.ToLower(arch); {
	case a == "i686" || a == "i586":
		arch = "386"
	case strings.HasPrefix(a, "armv") || a == "arm":
		arch = "arm" // uname's armv6l, armv7l, armv8l: a 32-bit arm daemon
	}
	p := platforms.Normalize(specs.Platform{OS: osType, Architecture: arch})
	if p.Architecture != "arm" {
		p.Variant = ""
		return p, nil
	}
	if sameHost && runtime.GOARCH == "arm" {
		return platforms.Normalize(platforms.DefaultSpec()), nil
	}
	return specs.Platform{}, errors.New("the daemon is a 32-bit arm machine whose CPU variant sdocker cannot read")
}

// PickChild picks the child of an index that dockerd pulls for want: among the children whose
// platform matches (platforms.Only: the variant exact, or a lesser variant the CPU also runs),
// the most preferred one, and of equally preferred ones the first in the index. Children that
// are attestations, or indexes themselves, are never picked. ok is false when none matches.
func PickChild(children []Descriptor, want specs.Platform) (Descriptor, bool) {
	m := platforms.Only(want)
	best := -1
	for i, c := range children {
		if c.Platform == nil || !c.IsImage() || !m.Match(*c.Platform) {
			continue
		}
		if best < 0 || m.Less(*c.Platform, *children[best].Platform) {
			best = i
		}
	}
	if best < 0 {
		return Descriptor{}, false
	}
	return children[best], true
}

// LocalMatches reports whether dockerd takes a local image of platform have for a container
// asked to run on want: platforms.Only, or, as dockerd allows since image configurations often
// omit it, no variant at all on the same OS and architecture.
func LocalMatches(have, want specs.Platform) bool {
	if platforms.Only(want).Match(have) {
		return true
	}
	if have.Variant != "" {
		return false
	}
	h, w := platforms.Normalize(have), platforms.Normalize(want)
	return h.OS == w.OS && h.Architecture == w.Architecture
}

// childPlatforms lists the platforms of an index's images, for messages.
func childPlatforms(children []Descriptor) string {
	var ps []string
	for _, c := range children {
		if !c.IsImage() {
			continue
		}
		if c.Platform == nil {
			ps = append(ps, "(no platform)")
			continue
		}
		ps = append(ps, FormatPlatform(*c.Platform))
	}
	if len(ps) == 0 {
		return "no images"
	}
	return strings.Join(ps, ", ")
}
