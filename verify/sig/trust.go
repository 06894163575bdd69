package sig

import (
	"crypto/x509"

	"github.com/sigstore/cosign/v3/pkg/cosign"
	"github.com/sigstore/sigstore-go/pkg/root"

	"sdocker/verify"
	"sdocker/verify/bundle"
)

// signer is one trusted key, or one keyless trust (roots and identities), loaded once and
// applied to both signature formats: the bundle's signer, and co, the legacy check's options
// (with the key or the roots).
type signer struct {
	*bundle.Signer
	co cosign.CheckOpts
}

// newKeySigner loads a key for both formats. base carries the registry options and log keys.
func newKeySigner(path string, base cosign.CheckOpts, logs func() (root.TrustedMaterial, error)) (*signer, error) {
	bs, err := bundle.KeySigner(path, !base.IgnoreTlog, logs)
	if err != nil {
		return nil, err
	}
	s := &signer{Signer: bs, co: base}
	s.co.SigVerifier = bs.Key
	return s, nil
}

// newKeylessSigner loads a keyless trust for both formats: the roots (a PEM bundle or a
// trusted_root.json) and the identities. A trusted_root.json's own logs are the logs a
// required entry is checked against; with a PEM bundle, logs are those given.
func newKeylessSigner(k *verify.Keyless, base cosign.CheckOpts, logs func() (root.TrustedMaterial, error)) (*signer, error) {
	bs, certs, err := bundle.KeylessSigner(k, !base.IgnoreTlog, logs)
	if err != nil {
		return nil, err
	}
	s := &signer{Signer: bs, co: base}
	for _, id := range k.Identities {
		s.co.Identities = append(s.co.Identities, cosign.Identity{
			Subject: id.Subject, SubjectRegExp: id.SubjectRegexp, Issuer: id.Issuer, IssuerRegExp: id.IssuerRegexp,
		})
	}
	if !bs.RequireTlog {
		s.co.IgnoreSCT = true
	}
	s.co.RootCerts = x509.NewCertPool()
	for _, c := range certs.Roots {
		s.co.RootCerts.AddCert(c)
	}
	if len(certs.Intermediates) > 0 {
		s.co.IntermediateCerts = x509.NewCertPool()
		for _, c := range certs.Intermediates {
			s.co.IntermediateCerts.AddCert(c)
		}
	}
	return s, nil
}
