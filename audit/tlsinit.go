package audit

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
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
	// Dir receives the files; it is created (0700) when missing.
	Dir string
	// DNSNames and IPs are the server certificate's subject alternative names: every name and
	// address clients use to reach the daemon.
	DNSNames []string
	IPs      []net.IP
	// ClientName is the client certificate's common name; empty means "sdocker-client".
	ClientName string
	// LeafDays is the lifetime of the server and client certificates; 0 means DefaultLeafDays.
	// CADays is the CA's; 0 means DefaultCADays. A leaf never outlives its CA.
	LeafDays, CADays int
	// Force overwrites existing files; without it TLSInit refuses to touch any.
	Force bool
	// Now is the start of validity; zero means time.Now().
	Now time.Time
	// Rand is the randomness for keys and serial numbers; nil means crypto/rand.
	Rand io.Reader
}

// TLSFiles are the paths TLSInit wrote. The client files carry the names the docker CLI looks
// for in DOCKER_CERT_PATH (ca.pem, cert.pem, key.pem).
type TLSFiles struct {
	Dir        string `json:"dir"`
	CA         string `json:"tlscacert"`
	CAKey      string `json:"ca_key"`
	ServerCert string `json:"server_cert"`
	ServerKey  string `json:"server_key"`
	ClientCert string `json:"client_cert"`
	ClientKey  string `json:"client_key"`
}

// ErrExists is returned (wrapped) when TLSInit would overwrite a file and Force is not set.
var ErrExists = errors.New("refusing to overwrite existing TLS files (use --force)")

// TLSFilesIn names the files of a TLS directory.
func TLSFilesIn(dir string) TLSFiles {
	p := func(name string) string { return filepath.Join(dir, name) }
	return TLSFiles{
		Dir: dir, CA: p("ca.pem"), CAKey: p("ca-key.pem"),
		ServerCert: p("server-cert.pem"), ServerKey: p("server-key.pem"),
		ClientCert: p("cert.pem"), ClientKey: p("key.pem"),
	}
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
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return TLSFiles{}, fmt.Errorf("creating TLS material: %w", err)
	}
	f := TLSFilesIn(dir)
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
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return TLSFiles{}, fmt.Errorf("creating TLS directory: %w", err)
	}

	caKey, caCert, caDER, err := o.newCA()
	if err != nil {
		return TLSFiles{}, err
	}
	leafEnd := o.Now.AddDate(0, 0, o.LeafDays)
	if leafEnd.After(caCert.NotAfter) {
		leafEnd = caCert.NotAfter
	}
	server := &x509.Certificate{
		Subject:     pkix.Name{CommonName: o.serverName()},
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
		{f.ClientKey, clientKey, 0o600}, {f.ClientCert, certPEM(clientDER), 0o644},
	}
	for _, w := range writes {
		if err := writeFile(w.path, w.pem, w.mode, o.Force); err != nil {
			return TLSFiles{}, err
		}
	}
	return f, nil
}

func (f TLSFiles) all() []string {
	return []string{f.CA, f.CAKey, f.ServerCert, f.ServerKey, f.ClientCert, f.ClientKey}
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

func (o TLSOptions) serverName() string {
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

func (o TLSOptions) newLeaf(tmpl *x509.Certificate, notAfter time.Time, ca *x509.Certificate, caKeyPEM []byte) ([]byte, []byte, error) {
	caKey, err := parseKey(caKeyPEM)
	if err != nil {
		return nil, nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), o.Rand)
	if err != nil {
		return nil, nil, err
	}
	if tmpl.SerialNumber, err = o.serial(); err != nil {
		return nil, nil, err
	}
	tmpl.NotBefore, tmpl.NotAfter = o.Now.Add(-5*time.Minute), notAfter
	tmpl.BasicConstraintsValid = true
	der, err := x509.CreateCertificate(o.Rand, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err := keyToPEM(key)
	return keyPEM, der, err
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

// writeFile writes through a temporary file and a rename, so a key is never visible with a
// wider mode, and an existing file is replaced only when overwrite is set.
func writeFile(path string, data []byte, mode os.FileMode, overwrite bool) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if !overwrite {
		// Link fails if path appeared meanwhile; rename would silently replace it.
		if err := os.Link(tmp.Name(), path); err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
		return nil
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// DaemonConfig is the daemon.json fragment that makes dockerd listen on hosts with TLS and
// verify client certificates against the CA.
func (f TLSFiles) DaemonConfig(hosts []string) ([]byte, error) {
	frag := struct {
		TLSVerify bool     `json:"tlsverify"`
		TLSCACert string   `json:"tlscacert"`
		TLSCert   string   `json:"tlscert"`
		TLSKey    string   `json:"tlskey"`
		Hosts     []string `json:"hosts"`
	}{true, f.CA, f.ServerCert, f.ServerKey, hosts}
	out, err := json.MarshalIndent(frag, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding daemon.json: %w", err)
	}
	return append(out, '\n'), nil
}

// ClientEnv is the environment that points the docker CLI (and sdocker) at host with the
// client certificate, verifying the daemon's.
func (f TLSFiles) ClientEnv(host string) []string {
	return []string{"DOCKER_HOST=" + host, "DOCKER_TLS_VERIFY=1", "DOCKER_CERT_PATH=" + f.Dir}
}
