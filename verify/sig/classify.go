package sig

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/sigstore/cosign/v3/pkg/oci"
	"github.com/sigstore/sigstore/pkg/cryptoutils"

	"sdocker/verify"
)

// refusal says why no signature verified for s: the registry could not be read, there is no
// signature at all, or there are signatures but none by s for this image (and whose they are).
func (v *Verifier) refusal(ev *evidence, s *signer, reasons []string) error {
	switch {
	case ev.bundleErr != nil:
		return classifyRegistry("fetching the referrers of "+ev.dref.String(), ev.bundleErr)
	case ev.legacyErr != nil:
		return classifyRegistry("fetching the signatures of "+ev.dref.String(), ev.legacyErr)
	case len(ev.legacy) == 0 && len(ev.bundles) == 0:
		return verify.SigErrorf(verify.ClassUnsigned, "%s has no cosign signature (neither a Sigstore bundle among its referrers nor a legacy .sig tag); to allow it, sign it with %s (cosign sign), or give it a rule that requires no signature", ev.dref, s.name)
	}
	reason := ""
	if len(reasons) > 0 {
		reason = " (" + shortReason(errors.New(reasons[len(reasons)-1])) + ")"
	}
	return verify.SigErrorf(verify.ClassUntrusted, "%s is signed, but not by %s: found %s%s; to allow it, sign it with %s, or add its signer to the rule's keys or keyless identities", ev.dref, s.name, whose(ev), reason, s.name)
}

// classifyRegistry words a registry failure: it says nothing about the image's signatures.
func classifyRegistry(what string, err error) error {
	var te *transport.Error
	if errors.As(err, &te) {
		switch te.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden:
			return verify.SigErrorf(verify.ClassUnverifiable, "%s: registry authentication failed (status %d); log in with docker login", what, te.StatusCode)
		case http.StatusNotFound:
			return verify.SigErrorf(verify.ClassUnverifiable, "%s: not found on the registry", what)
		}
		return verify.SigErrorf(verify.ClassUnverifiable, "%s: the registry answered status %d", what, te.StatusCode)
	}
	return verify.SigErrorf(verify.ClassUnverifiable, "%s: registry unreachable: %v", what, err)
}

// whose lists who made the signatures and bundles attached to the image, for a refusal.
func whose(ev *evidence) string {
	var who []string
	for _, sg := range ev.legacy {
		who = append(who, "legacy: "+describeSignature(sg, ev.dref.DigestStr()))
	}
	for _, fb := range ev.bundles {
		who = append(who, "bundle: "+describeBundle(fb, ev.hash))
	}
	return strings.Join(dedupe(who), "; ")
}

// describeBundle says, without trusting it, what a bundle claims: who signed it, for which
// image, and whether it is a signature or an attestation.
func describeBundle(fb *fetchedBundle, h v1.Hash) string {
	if fb.bundle == nil {
		return "an unreadable referrer " + fb.digest
	}
	who := "a key the policy does not list"
	if vc, err := fb.bundle.VerificationContent(); err == nil && vc.Certificate() != nil {
		c := vc.Certificate()
		who = fmt.Sprintf("a certificate for %s issued by OIDC issuer %s (CA %q)",
			strings.Join(cryptoutils.GetSubjectAlternateNames(c), ","), certIssuer(c.Extensions), c.Issuer.CommonName)
	}
	env, err := fb.bundle.Envelope()
	if err != nil {
		return who + ", holding no in-toto statement"
	}
	st, err := env.Statement()
	if err != nil {
		return who + ", holding no readable in-toto statement"
	}
	if !namesDigest(st, h) {
		return fmt.Sprintf("a bundle made for another image (%s) and attached to this one", subjects(st))
	}
	if st.GetPredicateType() != cosignSignPredicate {
		return fmt.Sprintf("%s, an attestation of type %s (not a signature)", who, st.GetPredicateType())
	}
	return who
}

// describeSignature says who made a signature: a certificate's subject, issuer and CA, or an
// unknown key; and, given the digest being checked, whether the signature is for another image.
func describeSignature(s oci.Signature, digest string) string {
	var who string
	if cert, err := s.Cert(); err == nil && cert != nil {
		subject := strings.Join(cryptoutils.GetSubjectAlternateNames(cert), ",")
		who = fmt.Sprintf("a certificate for %s issued by OIDC issuer %s (CA %q)", subject, certIssuer(cert.Extensions), cert.Issuer.CommonName)
	} else {
		who = "a key the policy does not list"
	}
	if digest == "" {
		return strings.TrimPrefix(who, "a certificate for ")
	}
	if claimed := claimedDigest(s); claimed != "" && claimed != digest {
		return "a signature made for another image (" + claimed + ") and copied onto this one"
	}
	return who
}

var (
	oidIssuerV1 = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 1}
	oidIssuerV2 = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 8}
)

func certIssuer(exts []pkix.Extension) string {
	for _, e := range exts {
		if e.Id.Equal(oidIssuerV2) {
			var s string
			if _, err := asn1.Unmarshal(e.Value, &s); err == nil {
				return s
			}
		}
	}
	for _, e := range exts {
		if e.Id.Equal(oidIssuerV1) {
			return string(e.Value)
		}
	}
	return "(none)"
}

func claimedDigest(s oci.Signature) string {
	p, err := s.Payload()
	if err != nil {
		return ""
	}
	var sp struct {
		Critical struct {
			Image struct {
				Digest string `json:"docker-manifest-digest"`
			} `json:"image"`
		} `json:"critical"`
	}
	if json.Unmarshal(p, &sp) != nil {
		return ""
	}
	return sp.Critical.Image.Digest
}

// shortReason is cosign's reason, cut to its last part.
func shortReason(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 && len(msg)-i < 160 {
		msg = msg[i+2:]
	}
	return msg
}

func dedupe(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
