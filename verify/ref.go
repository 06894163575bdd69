package verify

import (
	"fmt"
	"strings"

	"sdocker/defaults"
)

// Ref is an image reference split the way docker splits it, without a registry client.
type Ref struct {
	// Repo is the repository as typed ("busybox", "127.0.0.1:5000/team/app").
	Repo   string
	Tag    string // "" when none was typed
	Digest string // "sha256:…" when typed with @
}

// ParseRef splits an image reference into repository, tag and digest.
func ParseRef(s string) (Ref, error) {
	var r Ref
	if s == "" {
		return r, fmt.Errorf("empty image reference")
	}
	if i := strings.Index(s, "@"); i >= 0 {
		r.Digest = s[i+1:]
		s = s[:i]
		if !validDigest(r.Digest) {
			return r, fmt.Errorf("image reference %q: %q is not a sha256 digest", s, r.Digest)
		}
	}
	if i := strings.LastIndex(s, ":"); i > strings.LastIndex(s, "/") {
		r.Tag = s[i+1:]
		s = s[:i]
	}
	// The path must be lower case; a registry host may be written in any case.
	path := s
	if first, rest, ok := strings.Cut(s, "/"); ok && (strings.ContainsAny(first, ".:") || first != strings.ToLower(first)) {
		path = rest
	}
	if s == "" || strings.ContainsAny(s, " \t\n") || path != strings.ToLower(path) {
		return r, fmt.Errorf("%q is not a valid image reference", s)
	}
	r.Repo = s
	return r, nil
}

func validDigest(d string) bool {
	hex, ok := strings.CutPrefix(d, "sha256:")
	return ok && len(hex) == 64 && isLowerHex(hex)
}

// isLowerHex: s is lower-case hexadecimal digits only. (Hand-written, like the checks built on
// it: the regular expressions they replace cost every command 0.1 ms of init to compile.)
func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// String renders the reference as typed, with ":latest" where docker would add it.
func (r Ref) String() string {
	s := r.Repo
	if r.Tag != "" || r.Digest == "" {
		s += ":" + r.TagOrLatest()
	}
	if r.Digest != "" {
		s += "@" + r.Digest
	}
	return s
}

// TagOrLatest is the tag docker uses: the typed one, else latest.
func (r Ref) TagOrLatest() string {
	if r.Tag == "" {
		return "latest"
	}
	return r.Tag
}

// Pinned is the repository pinned to a digest: repo@sha256:….
func (r Ref) Pinned(digest string) string { return r.Repo + "@" + digest }

// FullRepo is the repository as the policy compares it (docker.io/library/busybox, the
// registry host in lower case, without a default port), so two spellings of one repository
// compare equal.
func FullRepo(repo string) string { return defaults.QualifiedName(repo) }

// RepoDigest picks, from an image's RepoDigests (repo@sha256:…), the digest under repo.
func RepoDigest(repoDigests []string, repo string) (string, bool) {
	want := FullRepo(repo)
	for _, rd := range repoDigests {
		name, d, ok := strings.Cut(rd, "@")
		if ok && FullRepo(name) == want && validDigest(d) {
			return d, true
		}
	}
	return "", false
}

// LowerHost writes the registry host of a reference in lower case (host names are
// case-insensitive), for registry clients that only know the lower-case spelling of, for
// example, localhost.
func LowerHost(ref string) string {
	first, rest, ok := strings.Cut(ref, "/")
	if ok && (strings.ContainsAny(first, ".:") || first != strings.ToLower(first)) {
		return strings.ToLower(first) + "/" + rest
	}
	return ref
}
