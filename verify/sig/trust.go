package sig

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"os"

	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"

	"sdocker/verify"
)

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
// signed certificates are roots, the others intermediates) or a sigstore trusted_root.json.
func loadRoots(path string, co *cosign.CheckOpts) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return verify.SigErrorf(verify.ClassPolicy, "reading trusted roots %s: %v", path, err)
	}
	var roots, inters []*x509.Certificate
	if trimmed := bytes.TrimSpace(data); len(trimmed) > 0 && trimmed[0] == '{' {
		tr, err := root.NewTrustedRootFromJSON(data)
		if err != nil {
			return verify.SigErrorf(verify.ClassPolicy, "reading trusted root %s: %v", path, err)
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
			return verify.SigErrorf(verify.ClassPolicy, "reading trusted roots %s: %v", path, err)
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
		return verify.SigErrorf(verify.ClassPolicy, "trusted roots %s hold no root certificate", path)
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
	return nil
}
