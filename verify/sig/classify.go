package sig

import (
	"context"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/cosign/v2/pkg/oci"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"
	"github.com/sigstore/sigstore/pkg/cryptoutils"

	"sdocker/verify"
)

// classify turns an error of cosign.VerifyImageSignatures into a typed one. For signatures
// that exist but are not trusted it fetches them again to say whose they are.
func (v *Verifier) classify(ctx context.Context, dref name.Digest, co cosign.CheckOpts, trusted string, err error) error {
	var typed *verify.SigError
	var none *cosign.ErrNoSignaturesFound
	var nomatch *cosign.ErrNoMatchingSignatures
	var notag *cosign.ErrImageTagNotFound
	switch {
	case errors.As(err, &typed):
		return typed
	case errors.As(err, &none):
		return verify.SigErrorf(verify.ClassUnsigned, "%s has no cosign signature", dref)
	case errors.As(err, &notag):
		return verify.SigErrorf(verify.ClassUnverifiable, "%s: not found on the registry", dref)
	case errors.As(err, &nomatch):
		whose := v.whose(ctx, dref, co)
		return verify.SigErrorf(verify.ClassUntrusted, "%s is signed, but not by %s: found %s (%s)",
			dref, trusted, whose, shortReason(err))
	}
	return classifyRegistry("fetching signatures of "+dref.String(), err)
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

// whose lists the signers of the signatures attached to dref, for a refusal message.
func (v *Verifier) whose(ctx context.Context, dref name.Digest, co cosign.CheckOpts) string {
	se, err := ociremote.SignedEntity(dref, co.RegistryClientOpts...)
	if err != nil {
		return "signatures that could not be read again"
	}
	sigs, err := se.Signatures()
	if err != nil {
		return "signatures that could not be read again"
	}
	list, err := sigs.Get()
	if err != nil || len(list) == 0 {
		return "signatures that could not be read again"
	}
	var who []string
	for _, s := range list {
		who = append(who, describeSignature(s, dref.DigestStr()))
	}
	who = dedupe(who)
	return strings.Join(who, "; ")
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
