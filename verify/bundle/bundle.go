// Package bundle verifies the Sigstore bundles attached to an image (cosign v3's default
// signature format) with sigstore-go, and reads manifests, with go-containerregistry and
// docker's credentials. It does not link cosign: the sdocker-verify helper decides with it
// every check that the bundles decide, and hands the others (legacy signatures and
// attestations, transparency logs) to sdocker-verify-cosign, whose package sig builds on this
// one. sdocker itself speaks to both through verify.SigRequest and verify.SigResponse.
package bundle

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	intoto "github.com/in-toto/attestation/go/v1"
	sgverify "github.com/sigstore/sigstore-go/pkg/verify"

	"sdocker/verify"
)

// CosignSignPredicate is the predicate type of the statement `cosign sign` (v3) puts in its
// bundle. Only such a statement is a signature of the image: an attestation (an SBOM, a
// provenance) signed by the same key says what the image is, not that it may run.
const CosignSignPredicate = "https://sigstore.dev/cosign/sign/v1"

// Result is what a verified bundle (or legacy attestation) says.
type Result struct {
	By            string
	PredicateType string
	Predicate     map[string]any
	// Tlog is set when a transparency-log entry was verified (only checked where required).
	Tlog bool
}

// FirstSignature looks among fbs for the first bundle that s verifies as a signature of the
// image h (an attestation by the same signer is not one). Otherwise it says why each failed,
// and returns the last failure that is the policy's (a log's keys unavailable), if any.
func (s *Signer) FirstSignature(fbs []*Fetched, h v1.Hash) (vf verify.Verification, ok bool, reasons []string, policyErr error) {
	for _, fb := range fbs {
		res, err := s.Verify(fb, h)
		if errors.Is(err, verify.ErrPolicy) {
			policyErr = err
		}
		if err != nil {
			reasons = append(reasons, err.Error())
			continue
		}
		if res.PredicateType != CosignSignPredicate {
			reasons = append(reasons, "an attestation of type "+res.PredicateType+" is not a signature")
			continue
		}
		return verify.Verification{Format: verify.FormatBundle, By: res.By, TransparencyLog: res.Tlog}, true, nil, nil
	}
	return verify.Verification{}, false, reasons, policyErr
}

// Verify verifies one bundle against the signer, for the image digest h: the signature and its
// key or certificate chain, the identity, the log entry where required, and that the
// statement's subject is h. It does not look at the predicate type.
func (s *Signer) Verify(fb *Fetched, h v1.Hash) (*Result, error) {
	if fb.Bundle == nil {
		return nil, fb.Unreadable
	}
	if s.RequireTlog {
		if entries, err := fb.Bundle.TlogEntries(); err != nil || len(entries) == 0 {
			return nil, errors.New("the bundle has no transparency-log entry, which the policy requires")
		}
	}
	material, err := s.bundleMaterial()
	if err != nil {
		return nil, err
	}
	var opts []sgverify.VerifierOption
	switch {
	case s.RequireTlog && s.Key != nil:
		opts = append(opts, sgverify.WithTransparencyLog(1), sgverify.WithNoObserverTimestamps())
	case s.RequireTlog:
		// The short-lived certificate is checked at an observed time: the log's integrated time
		// (Rekor v1) or a timestamp authority's signed time (Rekor v2 entries carry none).
		opts = append(opts, sgverify.WithTransparencyLog(1), sgverify.WithObserverTimestamps(1))
		if len(material.CTLogs()) > 0 {
			opts = append(opts, sgverify.WithSignedCertificateTimestamps(1))
		}
	case s.Key != nil:
		opts = append(opts, sgverify.WithNoObserverTimestamps())
	default:
		// No log: the certificate must be valid now.
		opts = append(opts, sgverify.WithCurrentTime())
	}
	v, err := sgverify.NewVerifier(material, opts...)
	if err != nil {
		return nil, fmt.Errorf("setting up the bundle verifier: %w", err)
	}
	digest, err := hex.DecodeString(h.Hex)
	if err != nil {
		return nil, err
	}
	var pol []sgverify.PolicyOption
	if s.Key != nil {
		pol = append(pol, sgverify.WithKey())
	} else {
		for _, id := range s.Identities {
			pol = append(pol, sgverify.WithCertificateIdentity(id))
		}
	}
	res, err := v.Verify(fb.Bundle, sgverify.NewPolicy(sgverify.WithArtifactDigest(h.Algorithm, digest), pol...))
	if err != nil {
		return nil, bundleFailure(err)
	}
	if res.Statement == nil {
		return nil, errors.New("the bundle holds a bare signature, not an in-toto statement about the image")
	}
	if !NamesDigest(res.Statement, h) {
		return nil, fmt.Errorf("the bundle's statement is about %s, not %s", Subjects(res.Statement), h)
	}
	out := &Result{By: s.Name, PredicateType: res.Statement.GetPredicateType(), Tlog: s.RequireTlog}
	if p := res.Statement.GetPredicate(); p != nil {
		out.Predicate = p.AsMap()
	}
	if c := res.Signature.Certificate; s.Key == nil && c != nil {
		out.By = fmt.Sprintf("identity %s (issuer %s)", c.SubjectAlternativeName, c.Issuer)
	}
	return out, nil
}

// NamesDigest reports whether a subject of the statement has digest h.
func NamesDigest(st *intoto.Statement, h v1.Hash) bool {
	for _, sub := range st.GetSubject() {
		if d, ok := sub.GetDigest()[h.Algorithm]; ok && strings.EqualFold(d, h.Hex) {
			return true
		}
	}
	return false
}

func Subjects(st *intoto.Statement) string {
	var out []string
	for _, sub := range st.GetSubject() {
		for alg, d := range sub.GetDigest() {
			out = append(out, alg+":"+d)
		}
	}
	if len(out) == 0 {
		return "no subject"
	}
	return strings.Join(out, ", ")
}

// bundleFailure words sigstore-go's verification errors for a refusal.
func bundleFailure(err error) error {
	msg := err.Error()
	last := msg
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		last = msg[i+2:]
	}
	switch {
	case strings.Contains(msg, "certificate identity"):
		return fmt.Errorf("the certificate's identity is not one the policy trusts: %w", err)
	case strings.Contains(msg, "leaf certificate"):
		return fmt.Errorf("the certificate does not chain to the policy's roots at the time checked (%s)", last)
	case strings.Contains(msg, "log inclusion"), strings.Contains(msg, "transparency log"):
		return fmt.Errorf("no transparency-log entry verifies against the logs the policy trusts (%s)", last)
	case strings.Contains(msg, "expected key signature, not certificate"):
		return errors.New("it is signed with a certificate, and the rule names keys")
	case strings.Contains(msg, "failed to verify signature"), strings.Contains(msg, "failed to get signature verifier"):
		return errors.New("its signature does not verify with the policy's key")
	}
	return err
}
