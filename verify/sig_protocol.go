package verify

import "fmt"

// SigRequest is what sdocker asks the sdocker-verify helper, as one JSON document on its stdin.
type SigRequest struct {
	// Reference is the image as the user typed it (a tag or a digest reference).
	Reference string `json:"reference"`
	// Digest, when set, is the manifest digest to verify instead of resolving Reference (the
	// repo digest of a local image).
	Digest string `json:"digest,omitempty"`
	// Rule is the signature requirement to check.
	Rule SigRule `json:"rule"`
	// DockerConfig is docker's configuration directory, for registry credentials.
	DockerConfig string `json:"docker_config,omitempty"`
	// CacheDir, when set, lets the helper answer from and fill the verification cache.
	CacheDir string `json:"cache_dir,omitempty"`
}

// SigRule is a signature requirement, resolved from the policy: at least one of Keys or Keyless.
type SigRule struct {
	// Keys are cosign public key files (PEM). KeysMode is "all" (every key must have signed)
	// or "any".
	Keys     []string `json:"keys,omitempty"`
	KeysMode string   `json:"keys_mode,omitempty"`
	// Keyless trusts certificates chaining to Roots for the listed identities only.
	Keyless *Keyless `json:"keyless,omitempty"`
	// TransparencyLog requires a verified transparency-log entry on each signature.
	TransparencyLog bool `json:"transparency_log,omitempty"`
	// Attestations must each be present, verified and satisfied.
	Attestations []AttestRule `json:"attestations,omitempty"`
}

// AttestRule requires an in-toto attestation of one predicate type about the image, signed by
// one of Keys or by a keyless identity (at least one of the two), whose predicate meets
// Conditions.
type AttestRule struct {
	// Type is the predicate type URI (https://slsa.dev/provenance/v1).
	Type    string   `json:"type"`
	Keys    []string `json:"keys,omitempty"`
	Keyless *Keyless `json:"keyless,omitempty"`
	// TransparencyLog requires a verified transparency-log entry on the attestation.
	TransparencyLog bool             `json:"transparency_log,omitempty"`
	Conditions      AttestConditions `json:"conditions,omitzero"`
}

// AttestConditions are checks on an attestation's predicate; all must hold.
type AttestConditions struct {
	// BuilderID is the SLSA provenance builder id (v1 runDetails.builder.id, v0.2 builder.id).
	BuilderID string `json:"builder_id,omitempty"`
	// SourceRepository is the repository the image was built from, compared without a git+
	// prefix, a .git suffix or an @ref.
	SourceRepository string `json:"source_repository,omitempty"`
	// Predicate maps dotted paths in the predicate (metadata.scanner.uri) to the value each
	// must have, for any predicate type.
	Predicate map[string]string `json:"predicate,omitempty"`
}

// Signature formats, as SigResponse reports them.
const (
	// FormatBundle is a Sigstore bundle (cosign v3's default), an OCI 1.1 referrer of the
	// image (by the referrers API or the referrers tag schema).
	FormatBundle = "sigstore-bundle"
	// FormatLegacy is cosign's legacy signature, under the tag sha256-<hex>.sig.
	FormatLegacy = "legacy"
)

// Verification is one trusted key or identity that verified the image.
type Verification struct {
	// Format is FormatBundle or FormatLegacy.
	Format string `json:"format"`
	// By is the key ("key /etc/sdocker/team.pub") or identity that verified.
	By string `json:"by"`
	// TransparencyLog is set only when a transparency-log entry was verified.
	TransparencyLog bool `json:"transparency_log,omitempty"`
}

// AttestResult is one required attestation that was found, verified and satisfied.
type AttestResult struct {
	Type   string `json:"type"`
	Format string `json:"format"`
	By     string `json:"by"`
	// Checked lists the conditions that held, as "builder_id = https://…".
	Checked         []string `json:"checked,omitempty"`
	TransparencyLog bool     `json:"transparency_log,omitempty"`
}

// Keyless is a keyless (certificate) requirement.
type Keyless struct {
	// Roots is a PEM bundle of trusted CA certificates, or a sigstore trusted_root.json.
	Roots      string     `json:"roots"`
	Identities []Identity `json:"identities"`
}

// Identity is one trusted certificate identity; exactly one of each pair is set.
type Identity struct {
	Subject       string `json:"subject,omitempty"`
	SubjectRegexp string `json:"subject_regexp,omitempty"`
	Issuer        string `json:"issuer,omitempty"`
	IssuerRegexp  string `json:"issuer_regexp,omitempty"`
}

// SigResponse is the helper's answer, one JSON document on its stdout.
type SigResponse struct {
	// Digest is the verified manifest digest (sha256:…).
	Digest string `json:"digest,omitempty"`
	// Signers describes who signed, one entry per trusted key or identity that verified.
	Signers []string `json:"signers,omitempty"`
	// Verified says, for each trusted key or identity, the format and signer that verified.
	Verified []Verification `json:"verified,omitempty"`
	// Attestations are the rule's required attestations, as they were verified.
	Attestations []AttestResult `json:"attestations,omitempty"`
	// Cached is set when the answer came from the cache, with no registry request.
	Cached bool      `json:"cached,omitempty"`
	Error  *SigError `json:"error,omitempty"`
}

// Class is the kind of a verification failure; the CLI words each differently.
type Class string

const (
	// ClassUnsigned: the registry has no signature for the digest.
	ClassUnsigned Class = "unsigned"
	// ClassUntrusted: signatures exist, but none by a trusted key or identity for this digest.
	ClassUntrusted Class = "untrusted"
	// ClassUnverifiable: the check could not be made (registry unreachable, auth, not found,
	// the helper missing or broken). It says nothing about the image's signatures.
	ClassUnverifiable Class = "unverifiable"
	// ClassLocal: a local image with no repo digest, which no signature can be checked against.
	ClassLocal Class = "local"
	// ClassAttestation: the image is signed, but an attestation the rule requires is missing,
	// untrusted, or does not meet the rule's conditions.
	ClassAttestation Class = "attestation"
	// ClassPolicy: the policy cannot be applied (a key file unreadable, no keys to check with).
	ClassPolicy Class = "policy"
)

// SigError is a typed verification failure.
type SigError struct {
	Class   Class  `json:"class"`
	Message string `json:"message"`
}

func (e *SigError) Error() string {
	switch e.Class {
	case ClassUnsigned:
		return "verification failed: no signatures found: " + e.Message
	case ClassUntrusted:
		return "verification failed: signatures found, but none trusted: " + e.Message
	case ClassUnverifiable:
		return "could not verify: " + e.Message
	case ClassAttestation:
		return "verification failed: attestation: " + e.Message
	case ClassLocal:
		return "cannot verify a local image: " + e.Message
	case ClassPolicy:
		return "policy error: " + e.Message
	}
	return fmt.Sprintf("verification error (%s): %s", e.Class, e.Message)
}

// Is lets errors.Is(err, ErrUnsigned) and friends test the class.
func (e *SigError) Is(target error) bool {
	t, ok := target.(*SigError)
	return ok && t.Message == "" && t.Class == e.Class
}

// Sentinels for errors.Is.
var (
	ErrUnsigned     = &SigError{Class: ClassUnsigned}
	ErrUntrusted    = &SigError{Class: ClassUntrusted}
	ErrUnverifiable = &SigError{Class: ClassUnverifiable}
	ErrLocal        = &SigError{Class: ClassLocal}
	ErrAttestation  = &SigError{Class: ClassAttestation}
	ErrPolicy       = &SigError{Class: ClassPolicy}
)

// SigErrorf builds a typed error.
func SigErrorf(class Class, format string, args ...any) *SigError {
	return &SigError{Class: class, Message: fmt.Sprintf(format, args...)}
}
