package sigtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"math/big"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"
)

// CA is a test certificate authority acting as Fulcio: a root and a code-signing intermediate.
type CA struct {
	root, inter       *x509.Certificate
	rootKey, interKey *ecdsa.PrivateKey
	// RootsPath is the PEM bundle (root and intermediate) a policy's keyless.roots names.
	RootsPath string
}

var (
	oidIssuerV1 = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 1}
	oidIssuerV2 = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 8}
)

func nextSerial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		panic(err)
	}
	return n
}

// NewCA makes a CA and writes its bundle under dir.
func NewCA(t testing.TB, dir, name string) *CA {
	t.Helper()
	now := time.Now()
	ca := &CA{rootKey: newKey(t), interKey: newKey(t)}
	rootTmpl := &x509.Certificate{
		SerialNumber: nextSerial(), Subject: pkix.Name{CommonName: name + " root"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	ca.root = create(t, rootTmpl, rootTmpl, &ca.rootKey.PublicKey, ca.rootKey)
	interTmpl := &x509.Certificate{
		SerialNumber: nextSerial(), Subject: pkix.Name{CommonName: name + " intermediate"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
	}
	ca.inter = create(t, interTmpl, ca.root, &ca.interKey.PublicKey, ca.rootKey)
	ca.RootsPath = filepath.Join(dir, name+"-roots.pem")
	if err := os.WriteFile(ca.RootsPath, append(PEM(ca.root), PEM(ca.inter)...), 0o644); err != nil {
		t.Fatal(err)
	}
	return ca
}

// Leaf is a signing certificate and its key.
type Leaf struct {
	Signer      signature.Signer
	Cert, Chain []byte // PEM
}

// LeafOptions describe a signing certificate. Zero times mean "valid for ten minutes from now".
type LeafOptions struct {
	Email     string // an email SAN, or
	URI       string // a URI SAN
	Issuer    string // the OIDC issuer, in both Fulcio extensions
	NotBefore time.Time
	NotAfter  time.Time
}

// Leaf issues a code-signing certificate the way Fulcio does.
func (ca *CA) Leaf(t testing.TB, o LeafOptions) *Leaf {
	t.Helper()
	if o.NotBefore.IsZero() {
		o.NotBefore = time.Now().Add(-time.Minute)
		o.NotAfter = time.Now().Add(10 * time.Minute)
	}
	key := newKey(t)
	issuerDER, err := asn1.Marshal(o.Issuer)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: nextSerial(), NotBefore: o.NotBefore, NotAfter: o.NotAfter,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		ExtraExtensions: []pkix.Extension{
			{Id: oidIssuerV1, Value: []byte(o.Issuer)},
			{Id: oidIssuerV2, Value: issuerDER},
		},
	}
	if o.Email != "" {
		tmpl.EmailAddresses = []string{o.Email}
	}
	if o.URI != "" {
		u, err := url.Parse(o.URI)
		if err != nil {
			t.Fatal(err)
		}
		tmpl.URIs = []*url.URL{u}
	}
	cert := create(t, tmpl, ca.inter, &key.PublicKey, ca.interKey)
	signer, err := signature.LoadECDSASignerVerifier(key, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	return &Leaf{Signer: signer, Cert: PEM(cert), Chain: append(PEM(ca.inter), PEM(ca.root)...)}
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func create(t testing.TB, tmpl, parent *x509.Certificate, pub *ecdsa.PublicKey, key *ecdsa.PrivateKey) *x509.Certificate {
	t.Helper()
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// PEM encodes a certificate.
func PEM(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}
