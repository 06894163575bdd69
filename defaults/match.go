package defaults

import (
	"path"
	"strings"
)

// Reference is an image reference split the way docker reads it.
type Reference struct {
	Name   string // fully qualified: docker.io/library/busybox
	Tag    string // "latest" when neither tag nor digest is given
	Digest string // sha256:… or empty
}

// String renders name[:tag][@digest].
func (r Reference) String() string {
	s := r.Name
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	if r.Digest != "" {
		s += "@" + r.Digest
	}
	return s
}

// ParseReference splits an image reference and qualifies it as docker does: a first component
// without '.' or ':' that is not "localhost" is a Docker Hub path, and a single-component Hub
// name lives under library/.
func ParseReference(ref string) Reference {
	var r Reference
	if i := strings.Index(ref, "@"); i >= 0 {
		ref, r.Digest = ref[:i], ref[i+1:]
	}
	if i := strings.LastIndex(ref, ":"); i >= 0 && !strings.Contains(ref[i:], "/") {
		ref, r.Tag = ref[:i], ref[i+1:]
	}
	if r.Tag == "" && r.Digest == "" {
		r.Tag = "latest"
	}
	r.Name = qualify(ref)
	return r
}

func qualify(name string) string {
	domain, rest, ok := strings.Cut(name, "/")
	// docker's rule: the first component is a registry when it has a '.' or a ':', is
	// localhost, or has an upper-case letter (Hub paths are lower case).
	isDomain := ok && (strings.ContainsAny(domain, ".:") || strings.EqualFold(domain, "localhost") || domain != strings.ToLower(domain))
	if !isDomain && !(ok && hasGlob(domain)) {
		domain, rest = "docker.io", name
	}
	domain = CanonicalDomain(domain)
	if domain == "docker.io" && !strings.Contains(rest, "/") && !hasGlob(rest) {
		rest = "library/" + rest
	}
	if hasGlob(domain) && !ok {
		return name
	}
	return domain + "/" + rest
}

// CanonicalDomain spells a registry host the one way the policy compares it: host names are
// case-insensitive, :443 and :80 are the default ports of the endpoints docker talks to, and
// index.docker.io is Docker Hub.
func CanonicalDomain(domain string) string {
	domain = strings.ToLower(domain)
	// A port is a number: ":05000" is port 5000 to the daemon that dials it.
	if host, port, ok := strings.Cut(domain, ":"); ok && port != "" && strings.Trim(port, "0123456789") == "" {
		if p := strings.TrimLeft(port, "0"); p != "" {
			domain = host + ":" + p
		}
	}
	domain = strings.TrimSuffix(strings.TrimSuffix(domain, ":443"), ":80")
	if domain == "index.docker.io" || domain == "registry-1.docker.io" {
		domain = "docker.io"
	}
	return domain
}

// QualifiedName is a repository name as the policy compares it (docker.io/library/busybox).
func QualifiedName(repo string) string { return qualify(repo) }

func hasGlob(s string) bool { return strings.ContainsAny(s, "*?[") }

// MatchImage reports whether the image reference matches a policy pattern. Patterns are globs
// over the qualified name: '*' stays within one path component, '**' crosses them. A pattern
// with a tag (":*", ":1.*") or digest is matched against name:tag, else against the name alone.
// Short patterns are qualified like references: "busybox" means docker.io/library/busybox.
func MatchImage(pattern, ref string) bool {
	r := ParseReference(ref)
	if pattern == "**" || pattern == "*" {
		return true
	}
	pname, ptag := pattern, ""
	if i := strings.LastIndex(pattern, ":"); i >= 0 && !strings.Contains(pattern[i:], "/") {
		pname, ptag = pattern[:i], pattern[i+1:]
	}
	if !strings.HasPrefix(pname, "**") {
		pname = qualify(pname)
	}
	if !globMatch(pname, r.Name) {
		return false
	}
	if ptag == "" {
		return true
	}
	return globMatch(ptag, r.Tag)
}

// globMatch matches path-style globs where '**' also matches '/'.
func globMatch(pattern, s string) bool {
	if !strings.Contains(pattern, "**") {
		ok, _ := path.Match(pattern, s)
		return ok
	}
	head, tail, _ := strings.Cut(pattern, "**")
	// Try every split of s: head matches a prefix, tail (which may hold more '**') the rest.
	for i := 0; i <= len(s); i++ {
		if ok, _ := path.Match(head, s[:i]); !ok {
			continue
		}
		for j := i; j <= len(s); j++ {
			if globMatch(tail, s[j:]) {
				return true
			}
		}
	}
	return false
}

// ImageRule returns the first images: rule matching ref, or nil when none does.
func (p *Policy) ImageRule(ref string) *ImageRule {
	for i := range p.Images {
		if MatchImage(p.Images[i].Match, ref) {
			return &p.Images[i]
		}
	}
	return nil
}
