package verify

import (
	"regexp"
	"strings"
	"testing"
)

// The hand-written digest and ID checks say what the regular expressions they replace said.
func TestDigestChecksMatchTheirPatterns(t *testing.T) {
	pinnedRe := regexp.MustCompile(`@(sha256:[0-9a-f]{64})$`)
	idRe := regexp.MustCompile(`^(sha256:)?([0-9a-f]{64})$`)
	imageIDRe := regexp.MustCompile(`^(sha256:)?[0-9a-f]{1,64}$`)
	hex := strings.Repeat("0123456789abcdef", 4)
	cases := []string{"", "sha256:", "sha256", "a", "A", "abc", "sha256:abc", "sha256:sha256:abc", hex, hex + "0",
		"sha256:" + hex, "sha256:" + hex[:63] + "G", strings.ToUpper(hex), "repo@sha256:" + hex, "repo@sha256:" + hex + "\n",
		"repo:tag@sha256:" + hex, "@sha256:" + hex, "repo@sha256:" + hex[1:], "repo@sha512:" + hex, "repo:" + hex,
		"repo@sha256:" + hex[:63] + "é", "ubuntu", "reg:5000/app:v1", "sha256:" + hex + "\n", "é" + hex[1:]}
	for _, c := range cases {
		want := ""
		if m := pinnedRe.FindStringSubmatch(c); m != nil {
			want = m[1]
		} else if m := idRe.FindStringSubmatch(c); m != nil {
			want = "sha256:" + m[2]
		}
		if got := refDigest(c); got != want {
			t.Errorf("refDigest(%q) = %q, the pattern says %q", c, got, want)
		}
		if got, want := isFullID(c), idRe.MatchString(c); got != want {
			t.Errorf("isFullID(%q) = %v, the pattern says %v", c, got, want)
		}
		if got, want := isImageID(c), imageIDRe.MatchString(c); got != want {
			t.Errorf("isImageID(%q) = %v, the pattern says %v", c, got, want)
		}
	}
}
