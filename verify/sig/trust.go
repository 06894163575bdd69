package sig

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"os"
	"time"

	"github.com/sigstore/cosign/v3/pkg/cosign"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/root"
	sgverify "github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"

	"sdocker/verify"
)

// signer is one trusted key, or one keyless trust (roots and identities), loaded once and
// applied to both signature formats.
type signer struct {
	// name says who it is in messages: "key /etc/sdocker/team.pub" or "the policy's keyless
	// identities".
	name string
	// key is set for a key; co is the legacy check's options (with the key or the roots).
	key signature.Verifier
	co  cosign.CheckOpts
	// material is what a bundle is verified against: the key, or the CAs (and the logs of a
	// trusted_root.json). logs gives the public logs, fetched only when a log entry is required
	// and material has none.
	material root.TrustedMaterial
	logs     func() (root.TrustedMaterial, error)
	// identities are the keyless identities, as sigstore-go matches them.
	identities  []sgverify.CertificateIdentity
	requireTlog bool
}

// newKeySigner loads a key for both formats. base carries the registry options and log keys.
func newKeySigner(path string, base cosign.CheckOpts, logs func() (root.TrustedMaterial, error)) (*signer, error) {
	sv, err := loadKey(path)
	if err != nil {
		return nil, err
	}
	s := &signer{name: "key " + path, key: sv, co: base, requireTlog: !base.IgnoreTlog, logs: logs}
	s.co.SigVerifier = sv
	key := root.NewExpiringKey(sv, time.Time{}, time.Time{})
	km := root.NewTrustedPublicKeyMaterial(func(string) (root.TimeConstrainedVerifier, error) { return key, nil })
	s.material = km
	return s, nil
}

// newKeylessSigner loads a keyless trust for both formats: the roots (a PEM bundle or a
// trusted_root.json) and the identities. A trusted_root.json's own logs are the logs a
// required entry is checked against; with a PEM bundle, logs are those given.
func newKeylessSigner(k *verify.Keyless, base cosign.CheckOpts, logs func() (root.TrustedMaterial, error)) (*signer, error) {
	s := &signer{name: "the policy's keyless identities", co: base, requireTlog: !base.IgnoreTlog, logs: logs}
	tr, cas, err := loadRoots(k.Roots, &s.co)
	if err != nil {
		return nil, err
	}
	for _, id := range k.Identities {
		s.co.Identities = append(s.co.Identities, cosign.Identity{
			Subject: id.Subject, SubjectRegExp: id.SubjectRegexp, Issuer: id.Issuer, IssuerRegExp: id.IssuerRegexp,
		})
		san, err := sgverify.NewSANMatcher(id.Subject, id.SubjectRegexp)
		if err != nil {
			return nil, verify.SigErrorf(verify.ClassPolicy, "keyless identity %q: %v", id.Subject+id.SubjectRegexp, err)
		}
		iss, err := sgverify.NewIssuerMatcher(id.Issuer, id.IssuerRegexp)
		if err != nil {
			return nil, verify.SigErrorf(verify.ClassPolicy, "keyless issuer %q: %v", id.Issuer+id.IssuerRegexp, err)
		}
		ci, err := sgverify.NewCertificateIdentity(san, iss, certificate.Extensions{})
		if err != nil {
			return nil, verify.SigErrorf(verify.ClassPolicy, "keyless identity: %v", err)
		}
		s.identities = append(s.identities, ci)
	}
	if len(s.identities) == 0 {
		// Never "anyone": cosign would accept any identity the CA certified.
		return nil, verify.SigErrorf(verify.ClassPolicy, "keyless verification needs at least one identity")
	}
	if !s.requireTlog {
		s.co.IgnoreSCT = true
	}
	if tr != nil {
		s.material = tr
	} else {
		s.material = &caMaterial{cas: cas}
	}
	return s, nil
}

// bundleMaterial is what a bundle is checked against: with a required log entry, the public
// logs are added where the policy's own roots name none.
func (s *signer) bundleMaterial() (root.TrustedMaterial, error) {
	if !s.requireTlog || len(s.material.RekorLogs()) > 0 {
		return s.material, nil
	}
	l, err := s.logs()
	if err != nil {
		return nil, err
	}
	return root.TrustedMaterialCollection{s.material, l}, nil
}

// caMaterial is trusted material of certificate authorities only (a PEM bundle of roots).
type caMaterial struct {
	root.BaseTrustedMaterial
	cas []root.CertificateAuthority
}

func (m *caMaterial) FulcioCertificateAuthorities() []root.CertificateAuthority { return m.cas }

// loadKey reads a cosign public key (PEM).
func loadKey(path string) (signature.Verifier, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, verify.SigErrorf(verify.ClassPolicy, "reading key %s: %v", path, err)
	}
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(data)
	if err != nil {
		return nil, verify.SigErrorf(verify.ClassPolicy, "key %s is not a PEM public key: %v", path, err)
	}
	v, err := signature.LoadVerifier(pub, crypto.SHA256)
	if err != nil {
		return nil, verify.SigErrorf(verify.ClassPolicy, "loading key %s: %v", path, err)
	}
	return v, nil
}

// loadRoots reads the trusted certificate authorities of a keyless rule: a PEM bundle (self-
// signed certificates are roots, the others intermediates) or a sigstore trusted_root.json,
// into co (for legacy signatures), and returns them for bundles: the trusted root when the
// file is one, else the bundle's CAs.
func loadRoots(path string, co *cosign.CheckOpts) (*root.TrustedRoot, []root.CertificateAuthority, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, verify.SigErrorf(verify.ClassPolicy, "reading trusted roots %s: %v", path, err)
	}
	var roots, inters []*x509.Certificate
	var tr *root.TrustedRoot
	if trimmed := bytes.TrimSpace(data); len(trimmed) > 0 && trimmed[0] == '{' {
		if tr, err = root.NewTrustedRootFromJSON(data); err != nil {
			return nil, nil, verify.SigErrorf(verify.ClassPolicy, "reading trusted root %s: %v", path, err)
		}
		for _, ca := range tr.FulcioCertificateAuthorities() {
			if f, ok := ca.(*root.FulcioCertificateAuthority); ok {
				roots = append(roots, f.Root)
				inters = append(inters, f.Intermediates...)
			}
		}
	} else {
		certs, err := cryptoutils.UnmarshalCertificatesFromPEM(data)
		if err != nil {
			return nil, nil, verify.SigErrorf(verify.ClassPolicy, "reading trusted roots %s: %v", path, err)
		}
		for _, c := range certs {
			if bytes.Equal(c.RawIssuer, c.RawSubject) && c.CheckSignatureFrom(c) == nil {
				roots = append(roots, c)
			} else {
				inters = append(inters, c)
			}
		}
	}
	if len(roots) == 0 {
		return nil, nil, verify.SigErrorf(verify.ClassPolicy, "trusted roots %s hold no root certificate", path)
	}
	co.RootCerts = x509.NewCertPool()
	for _, c := range roots {
		co.RootCerts.AddCert(c)
	}
	if len(inters) > 0 {
		co.IntermediateCerts = x509.NewCertPool()
		for _, c := range inters {
			co.IntermediateCerts.AddCert(c)
		}
	}
	var cas []root.CertificateAuthority
	for _, r := range roots {
		// Every intermediate may chain to every root: the chain is checked by x509 anyway.
		cas = append(cas, &root.FulcioCertificateAuthority{Root: r, Intermediates: inters})
	}
	return tr, cas, nil
}
