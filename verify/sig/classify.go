package sig

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sigstore/cosign/v3/pkg/oci"
	"github.com/sigstore/sigstore/pkg/cryptoutils"

	"sdocker/verify"
	"sdocker/verify/bundle"
)

// refusal says why no signature verified for s: the registry could not be read, there is no
// signature at all, or there are signatures but none by s for this image (and whose they are).
func (v *Verifier) refusal(ev *evidence, s *signer, reasons []string) error {
	switch {
	case ev.bundleErr != nil:
		return bundle.ClassifyRegistry("fetching the referrers of "+ev.dref.String(), ev.bundleErr)
	case ev.legacyErr != nil:
		return bundle.ClassifyRegistry("fetching the signatures of "+ev.dref.String(), ev.legacyErr)
	case len(ev.legacy) == 0 && len(ev.bundles) == 0:
		return verify.SigErrorf(verify.ClassUnsigned, "%s has no cosign signature (neither a Sigstore bundle among its referrers nor a legacy .sig tag); to allow it, sign it with %s (cosign sign), or give it a rule that requires no signature", ev.dref, s.Name)
	}
	reason := ""
	if len(reasons) > 0 {
		reason = " (" + shortReason(errors.New(reasons[len(reasons)-1])) + ")"
	}
	return verify.SigErrorf(verify.ClassUntrusted, "%s is signed, but not by %s: found %s%s; to allow it, sign it with %s, or add its signer to the rule's keys or keyless identities", ev.dref, s.Name, whose(ev), reason, s.Name)
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
	return strings.Join(bundle.Dedupe(who), "; ")
}

// describeBundle says, without trusting it, what a bundle claims: who signed it, for which
// image, and whether it is a signature or an attestation.
func describeBundle(fb *bundle.Fetched, h v1.Hash) string {
	if fb.Bundle == nil {
		return "an unreadable referrer " + fb.Digest
	}
	who := "a key the policy does not list"
	if vc, err := fb.Bundle.VerificationContent(); err == nil && vc.Certificate() != nil {
		c := vc.Certificate()
		who = fmt.Sprintf("a certificate for %s issued by OIDC issuer %s (CA %q)",
			strings.Join(cryptoutils.GetSubjectAlternateNames(c), ","), certIssuer(c.Extensions), c.Issuer.CommonName)
	}
	env, err := fb.Bundle.Envelope()
	if err != nil {
		return who + ", holding no in-toto statement"
	}
	st, err := env.Statement()
	if err != nil {
		return who + ", holding no readable in-toto statement"
	}
	if !bundle.NamesDigest(st, h) {
		return fmt.Sprintf("a bundle made for another image (%s) and attached to this one", bundle.Subjects(st))
	}
	if st.GetPredicateType() != bundle.CosignSignPredicate {
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
