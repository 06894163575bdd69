package defaults

import (
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Attestation requires an in-toto attestation about the image (cosign attest): a statement of
// one predicate type whose subject is the image's digest, signed like a signature (by one of
// Keys, or keylessly by one of Keyless's identities; neither means the signature's own keys
// or identities), whose predicate meets Conditions.
type Attestation struct {
	// Type is a predicate type URI, or one of cosign attest's short names (slsaprovenance1,
	// slsaprovenance, spdxjson, cyclonedx, vuln, openvex, link, custom).
	Type    string   `yaml:"type"`
	Keys    []string `yaml:"keys,omitempty"`
	Keyless *Keyless `yaml:"keyless,omitempty"`
	// TransparencyLog requires a log entry on the attestation; unset means the signature's.
	TransparencyLog *bool                 `yaml:"transparency_log,omitempty"`
	Conditions      AttestationConditions `yaml:"conditions,omitempty"`
	Line            int                   `yaml:"-"`
}

// AttestationConditions are checks on an attestation's predicate, all of which must hold.
type AttestationConditions struct {
	// BuilderID is the SLSA provenance builder id (runDetails.builder.id in v1).
	BuilderID string `yaml:"builder_id,omitempty"`
	// SourceRepository is the repository SLSA provenance says the image was built from
	// (https://github.com/team/api; a git+ prefix, .git suffix and @ref are ignored).
	SourceRepository string `yaml:"source_repository,omitempty"`
	// Predicate maps dotted paths in the predicate to the exact value each must have, for any
	// predicate type (scanner.uri: https://github.com/aquasecurity/trivy).
	Predicate map[string]string `yaml:"predicate,omitempty"`
}

// PredicateTypes are cosign attest's short names for predicate types.
var PredicateTypes = map[string]string{
	"slsaprovenance":   "https://slsa.dev/provenance/v0.2",
	"slsaprovenance02": "https://slsa.dev/provenance/v0.2",
	"slsaprovenance1":  "https://slsa.dev/provenance/v1",
	"spdx":             "https://spdx.dev/Document",
	"spdxjson":         "https://spdx.dev/Document",
	"cyclonedx":        "https://cyclonedx.org/bom",
	"link":             "https://in-toto.io/Link/v1",
	"vuln":             "https://cosign.sigstore.dev/attestation/vuln/v1",
	"openvex":          "https://openvex.dev/ns",
	"custom":           "https://cosign.sigstore.dev/attestation/v1",
}

// PredicateTypeURI resolves a short name to its URI; a URI is returned as it is.
func PredicateTypeURI(t string) string {
	if u, ok := PredicateTypes[t]; ok {
		return u
	}
	return t
}

func isSLSA(uri string) bool { return strings.HasPrefix(uri, "https://slsa.dev/provenance/") }

// validateAttestations checks the attestations of a signature requirement.
func (s *Signature) validateAttestations(where string) error {
	for i := range s.Attestations {
		a := &s.Attestations[i]
		at := fmt.Sprintf("%sattestations[%d]", where, i)
		if a.Line > 0 {
			at += fmt.Sprintf(" (line %d)", a.Line)
		}
		if a.Type == "" {
			return fmt.Errorf("%s: type is required (a predicate type URI, or one of %s)", at, shortNames())
		}
		if u, err := url.ParseRequestURI(PredicateTypeURI(a.Type)); err != nil || u.Scheme == "" || u.Host == "" {
			return fmt.Errorf("%s: type %q is neither a predicate type URI nor one of %s", at, a.Type, shortNames())
		}
		if a.Keyless != nil {
			if err := a.Keyless.validate(at + ".keyless"); err != nil {
				return err
			}
		}
		c := a.Conditions
		if (c.BuilderID != "" || c.SourceRepository != "") && !isSLSA(PredicateTypeURI(a.Type)) {
			return fmt.Errorf("%s.conditions: builder_id and source_repository are SLSA provenance conditions, and %s is not SLSA provenance; use conditions.predicate with the paths of its predicate", at, a.Type)
		}
		for p := range c.Predicate {
			if p == "" || strings.HasPrefix(p, ".") || strings.HasSuffix(p, ".") || strings.Contains(p, "..") {
				return fmt.Errorf("%s.conditions.predicate: %q is not a dotted path (like metadata.scanner.uri)", at, p)
			}
		}
	}
	if len(s.Attestations) > 0 {
		s.Required = true
	}
	return nil
}

// validate checks a keyless requirement; where prefixes messages.
func (k *Keyless) validate(where string) error {
	if k.Roots == "" {
		return fmt.Errorf("%s.roots: a trusted root file is required", where)
	}
	if len(k.Identities) == 0 {
		return fmt.Errorf("%s.identities: at least one identity is required (an empty list would trust anyone)", where)
	}
	for j, id := range k.Identities {
		if (id.Subject == "") == (id.SubjectRegexp == "") {
			return fmt.Errorf("%s.identities[%d]: give exactly one of subject, subject_regexp", where, j)
		}
		if (id.Issuer == "") == (id.IssuerRegexp == "") {
			return fmt.Errorf("%s.identities[%d]: give exactly one of issuer, issuer_regexp", where, j)
		}
		for _, re := range []string{id.SubjectRegexp, id.IssuerRegexp} {
			if _, err := regexp.Compile(re); err != nil {
				return fmt.Errorf("%s.identities[%d]: %w", where, j, err)
			}
		}
	}
	return nil
}

func shortNames() string {
	names := make([]string, 0, len(PredicateTypes))
	for n := range PredicateTypes {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// recordAttestationLines stores the line of each attestation of each image rule and of
// content_trust, for messages.
func recordAttestationLines(root *yaml.Node, p *Policy) {
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 {
		return
	}
	m := root.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		switch v := m.Content[i+1]; m.Content[i].Value {
		case "images":
			for j, n := range v.Content {
				if j < len(p.Images) {
					attestationLines(mapValue(mapValue(n, "signature"), "attestations"), p.Images[j].Signature.Attestations)
				}
			}
		case "content_trust":
			if p.ContentTrust != nil {
				attestationLines(mapValue(v, "attestations"), p.ContentTrust.Attestations)
			}
		}
	}
}

func attestationLines(seq *yaml.Node, atts []Attestation) {
	if seq == nil {
		return
	}
	for k, n := range seq.Content {
		if k < len(atts) {
			atts[k].Line = n.Line
		}
	}
}

func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}
