package bundle

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"os"
	"time"

	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/root"
	sgverify "github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"

	"sdocker/verify"
)

// Signer is one trusted key, or one keyless trust (roots and identities), loaded once and
// checked against every bundle.
type Signer struct {
	// Name says who it is in messages: "key /etc/sdocker/team.pub" or "the policy's keyless
	// identities".
	Name string
	// Key is set for a key, nil for a keyless trust.
	Key signature.Verifier
	// Material is what a bundle is verified against: the key, or the CAs (and the logs of a
	// trusted_root.json). Logs gives the public logs, fetched only when a log entry is required
	// and Material has none.
	Material root.TrustedMaterial
	Logs     func() (root.TrustedMaterial, error)
	// Identities are the keyless identities, as sigstore-go matches them.
	Identities  []sgverify.CertificateIdentity
	RequireTlog bool
}

// Roots are the certificates of a keyless rule's trusted roots file: the self-signed ones are
// roots, the others intermediates.
type Roots struct {
	Roots, Intermediates []*x509.Certificate
}

// KeySigner loads a cosign public key. requireTlog asks each bundle for a log entry, checked
// against the logs that logs gives (nil when requireTlog is false).
func KeySigner(path string, requireTlog bool, logs func() (root.TrustedMaterial, error)) (*Signer, error) {
	sv, err := loadKey(path)
	if err != nil {
		return nil, err
	}
	key := root.NewExpiringKey(sv, time.Time{}, time.Time{})
	km := root.NewTrustedPublicKeyMaterial(func(string) (root.TimeConstrainedVerifier, error) { return key, nil })
	return &Signer{Name: "key " + path, Key: sv, Material: km, RequireTlog: requireTlog, Logs: logs}, nil
}

// KeylessSigner loads a keyless trust: the roots (a PEM bundle or a trusted_root.json) and the
// identities, at least one. A trusted_root.json's own logs are the logs a required entry is
// checked against; with a PEM bundle, they are those logs gives. It returns the certificates
// of the roots file as well, for legacy signatures.
func KeylessSigner(k *verify.Keyless, requireTlog bool, logs func() (root.TrustedMaterial, error)) (*Signer, Roots, error) {
	s := &Signer{Name: "the policy's keyless identities", RequireTlog: requireTlog, Logs: logs}
	tr, certs, err := loadRoots(k.Roots)
	if err != nil {
		return nil, Roots{}, err
	}
	for _, id := range k.Identities {
		san, err := sgverify.NewSANMatcher(id.Subject, id.SubjectRegexp)
		if err != nil {
			return nil, Roots{}, verify.SigErrorf(verify.ClassPolicy, "keyless identity %q: %v", id.Subject+id.SubjectRegexp, err)
		}
		iss, err := sgverify.NewIssuerMatcher(id.Issuer, id.IssuerRegexp)
		if err != nil {
			return nil, Roots{}, verify.SigErrorf(verify.ClassPolicy, "keyless issuer %q: %v", id.Issuer+id.IssuerRegexp, err)
		}
		ci, err := sgverify.NewCertificateIdentity(san, iss, certificate.Extensions{})
		if err != nil {
			return nil, Roots{}, verify.SigErrorf(verify.ClassPolicy, "keyless identity: %v", err)
		}
		s.Identities = append(s.Identities, ci)
	}
	if len(s.Identities) == 0 {
		// Never "anyone": that would accept any identity the CA certified.
		return nil, Roots{}, verify.SigErrorf(verify.ClassPolicy, "keyless verification needs at least one identity")
	}
	if tr != nil {
		s.Material = tr
	} else {
		var cas []root.CertificateAuthority
		for _, r := range certs.Roots {
			// Every intermediate may chain to every root: the chain is checked by x509 anyway.
			cas = append(cas, &root.FulcioCertificateAuthority{Root: r, Intermediates: certs.Intermediates})
		}
		s.Material = &caMaterial{cas: cas}
	}
	return s, certs, nil
}

// bundleMaterial is what a bundle is checked against: with a required log entry, the public
// logs are added where the policy's own roots name none.
func (s *Signer) bundleMaterial() (root.TrustedMaterial, error) {
	if !s.RequireTlog || len(s.Material.RekorLogs()) > 0 {
		return s.Material, nil
	}
	l, err := s.Logs()
	if err != nil {
		return nil, err
	}
	return root.TrustedMaterialCollection{s.Material, l}, nil
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
// which it returns as well.
func loadRoots(path string) (*root.TrustedRoot, Roots, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, Roots{}, verify.SigErrorf(verify.ClassPolicy, "reading trusted roots %s: %v", path, err)
	}
	var certs Roots
	var tr *root.TrustedRoot
	if trimmed := bytes.TrimSpace(data); len(trimmed) > 0 && trimmed[0] == '{' {
		if tr, err = root.NewTrustedRootFromJSON(data); err != nil {
			return nil, Roots{}, verify.SigErrorf(verify.ClassPolicy, "reading trusted root %s: %v", path, err)
		}
		for _, ca := range tr.FulcioCertificateAuthorities() {
			if f, ok := ca.(*root.FulcioCertificateAuthority); ok {
				certs.Roots = append(certs.Roots, f.Root)
				certs.Intermediates = append(certs.Intermediates, f.Intermediates...)
			}
		}
	} else {
		all, err := cryptoutils.UnmarshalCertificatesFromPEM(data)
		if err != nil {
			return nil, Roots{}, verify.SigErrorf(verify.ClassPolicy, "reading trusted roots %s: %v", path, err)
		}
		for _, c := range all {
			if bytes.Equal(c.RawIssuer, c.RawSubject) && c.CheckSignatureFrom(c) == nil {
				certs.Roots = append(certs.Roots, c)
			} else {
				certs.Intermediates = append(certs.Intermediates, c)
			}
		}
	}
	if len(certs.Roots) == 0 {
		return nil, Roots{}, verify.SigErrorf(verify.ClassPolicy, "trusted roots %s hold no root certificate", path)
	}
	return tr, certs, nil
}
