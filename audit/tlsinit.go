package audit

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Lifetimes of the material `sdocker tls init` creates, unless told otherwise.
const (
	DefaultCADays   = 5 * 365
	DefaultLeafDays = 365
)

// TLSOptions says what TLSInit creates.
type TLSOptions struct {
	// Dir receives the files; it is created (0700) when missing, and refused when someone
	// else could change files in it. The client's files go to its subdirectory client/.
	Dir string
	// DNSNames and IPs are the server certificate's subject alternative names: every name and
	// address clients use to reach the daemon.
	DNSNames []string
	IPs      []net.IP
	// ClientName is the client certificate's common name; empty means "sdocker-client".
	ClientName string
	// LeafDays is the lifetime of the server and client certificates; 0 means DefaultLeafDays.
	// CADays is the CA's; 0 means DefaultCADays. A leaf never outlives its CA. A negative
	// lifetime is an error.
	LeafDays, CADays int
	// Force overwrites existing files; without it TLSInit refuses to touch any.
	Force bool
	// Now is the start of validity; zero means time.Now().
	Now time.Time
	// Rand is the randomness for keys and serial numbers; nil means crypto/rand.
	Rand io.Reader
}

// TLSInit creates a CA, a server certificate (server auth, with the given SANs) and a client
// certificate (client auth), all signed by that CA, with ECDSA P-256 keys written 0600.
func TLSInit(o TLSOptions) (TLSFiles, error) {
	if o.Dir == "" {
		return TLSFiles{}, errors.New("creating TLS material: no directory given")
	}
	if len(o.DNSNames) == 0 && len(o.IPs) == 0 {
		return TLSFiles{}, errors.New("creating TLS material: the server certificate needs at least one host name or IP address")
	}
	if o.LeafDays < 0 || o.CADays < 0 {
		return TLSFiles{}, fmt.Errorf("creating TLS material: a certificate lifetime must be positive (%d days, CA %d days)", o.LeafDays, o.CADays)
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return TLSFiles{}, fmt.Errorf("creating TLS material: %w", err)
	}
	f := TLSFilesIn(dir)
	for _, d := range []string{f.Dir, f.ClientDir} {
		if err := privateDir(d); err != nil {
			return TLSFiles{}, err
		}
	}
	if !o.Force {
		var existing []string
		for _, p := range f.all() {
			if _, err := os.Lstat(p); err == nil {
				existing = append(existing, p)
			}
		}
		if len(existing) > 0 {
			return TLSFiles{}, fmt.Errorf("%w: %s", ErrExists, strings.Join(existing, ", "))
		}
	}
	o = o.withDefaults()

	caKey, caCert, caDER, err := o.newCA()
	if err != nil {
		return TLSFiles{}, err
	}
	leafEnd := o.Now.AddDate(0, 0, o.LeafDays)
	if leafEnd.After(caCert.NotAfter) {
		leafEnd = caCert.NotAfter
	}
	server := &x509.Certificate{
		Subject:     pkix.Name{CommonName: o.ServerName()},
		DNSNames:    o.DNSNames,
		IPAddresses: o.IPs,
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	client := &x509.Certificate{
		Subject:     pkix.Name{CommonName: o.ClientName},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	serverKey, serverDER, err := o.newLeaf(server, leafEnd, caCert, caKey)
	if err != nil {
		return TLSFiles{}, fmt.Errorf("creating the server certificate: %w", err)
	}
	clientKey, clientDER, err := o.newLeaf(client, leafEnd, caCert, caKey)
	if err != nil {
		return TLSFiles{}, fmt.Errorf("creating the client certificate: %w", err)
	}
	writes := []struct {
		path string
		pem  []byte
		mode os.FileMode
	}{
		{f.CAKey, caKey, 0o600}, {f.CA, certPEM(caDER), 0o644},
		{f.ServerKey, serverKey, 0o600}, {f.ServerCert, certPEM(serverDER), 0o644},
		{f.ClientCA, certPEM(caDER), 0o644}, {f.ClientKey, clientKey, 0o600}, {f.ClientCert, certPEM(clientDER), 0o644},
	}
	for _, w := range writes {
		if err := writeFile(w.path, w.pem, w.mode, o.Force); err != nil {
			return TLSFiles{}, err
		}
	}
	return f, nil
}

func (o TLSOptions) withDefaults() TLSOptions {
	if o.ClientName == "" {
		o.ClientName = "sdocker-client"
	}
	if o.LeafDays <= 0 {
		o.LeafDays = DefaultLeafDays
	}
	if o.CADays <= 0 {
		o.CADays = DefaultCADays
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	o.Now = o.Now.UTC().Truncate(time.Second)
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	return o
}

// ServerName is the server certificate's common name: its first DNS name, else its first IP
// address. Clients reach the daemon by that name.
func (o TLSOptions) ServerName() string {
	if len(o.DNSNames) > 0 {
		return o.DNSNames[0]
	}
	return o.IPs[0].String()
}

func (o TLSOptions) newCA() (keyPEM []byte, cert *x509.Certificate, der []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), o.Rand)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("creating the CA key: %w", err)
	}
	serial, err := o.serial()
	if err != nil {
		return nil, nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "sdocker docker daemon CA"},
		NotBefore:             o.Now.Add(-5 * time.Minute),
		NotAfter:              o.Now.AddDate(0, 0, o.CADays),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err = x509.CreateCertificate(o.Rand, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("creating the CA certificate: %w", err)
	}
	cert, err = x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("reading back the CA certificate: %w", err)
	}
	keyPEM, err = keyToPEM(key)
	return keyPEM, cert, der, err
}

// newLeaf creates a key and a certificate from tmpl signed by the CA, with a subject key
// identifier (RFC 5280 §4.2.1.2; the authority key identifier comes from the CA's).
func (o TLSOptions) newLeaf(tmpl *x509.Certificate, notAfter time.Time, ca *x509.Certificate, caKeyPEM []byte) ([]byte, []byte, error) {
	caKey, err := parseKey(caKeyPEM)
	if err != nil {
		return nil, nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), o.Rand)
	if err != nil {
		return nil, nil, fmt.Errorf("creating a key: %w", err)
	}
	if tmpl.SerialNumber, err = o.serial(); err != nil {
		return nil, nil, err
	}
	if tmpl.SubjectKeyId, err = subjectKeyID(&key.PublicKey); err != nil {
		return nil, nil, err
	}
	tmpl.NotBefore, tmpl.NotAfter = o.Now.Add(-5*time.Minute), notAfter
	tmpl.BasicConstraintsValid = true
	der, err := x509.CreateCertificate(o.Rand, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, nil, fmt.Errorf("signing the certificate: %w", err)
	}
	keyPEM, err := keyToPEM(key)
	return keyPEM, der, err
}

// subjectKeyID is the SHA-1 of the public key's bits (RFC 5280 §4.2.1.2, method 1), as Go
// computes it for CA certificates.
func subjectKeyID(pub *ecdsa.PublicKey) ([]byte, error) {
	k, err := pub.ECDH()
	if err != nil {
		return nil, fmt.Errorf("computing the subject key identifier: %w", err)
	}
	sum := sha1.Sum(k.Bytes())
	return sum[:], nil
}

func (o TLSOptions) serial() (*big.Int, error) {
	n, err := rand.Int(o.Rand, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("choosing a serial number: %w", err)
	}
	return n.Add(n, big.NewInt(1)), nil
}

func keyToPEM(k *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, fmt.Errorf("encoding a private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

func parseKey(p []byte) (*ecdsa.PrivateKey, error) {
	b, _ := pem.Decode(p)
	if b == nil {
		return nil, errors.New("decoding the CA key: no PEM block")
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("decoding the CA key: %w", err)
	}
	ek, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, errors.New("decoding the CA key: not an ECDSA key")
	}
	return ek, nil
}

func certPEM(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}
