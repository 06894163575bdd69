package audit

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := pem.Decode(data)
	if b == nil {
		t.Fatalf("%s: no PEM block", path)
	}
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestTLSInit(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tls")
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	f, err := TLSInit(TLSOptions{Dir: dir, DNSNames: []string{"docker.example", "localhost"},
		IPs: []net.IP{net.ParseIP("127.0.0.1")}, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	ca, server, client := readCert(t, f.CA), readCert(t, f.ServerCert), readCert(t, f.ClientCert)
	pool := x509.NewCertPool()
	pool.AddCert(ca)

	tests := []struct {
		name string
		cert *x509.Certificate
		opts x509.VerifyOptions
		ok   bool
	}{
		{"server verifies for its DNS name", server, x509.VerifyOptions{DNSName: "docker.example", KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}, true},
		{"server verifies for its IP", server, x509.VerifyOptions{DNSName: "127.0.0.1", KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}, true},
		{"server refused for another name", server, x509.VerifyOptions{DNSName: "other.example", KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}, false},
		{"server is not a client", server, x509.VerifyOptions{KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}, false},
		{"client verifies for client auth", client, x509.VerifyOptions{KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}, true},
		{"client is not a server", client, x509.VerifyOptions{KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.Roots = pool
			tc.opts.CurrentTime = now.Add(time.Hour)
			_, err := tc.cert.Verify(tc.opts)
			if (err == nil) != tc.ok {
				t.Fatalf("verify: err = %v, want ok=%v", err, tc.ok)
			}
		})
	}

	if !ca.IsCA || ca.MaxPathLen != 0 || !ca.MaxPathLenZero {
		t.Errorf("CA: IsCA=%v MaxPathLen=%d, want a CA that signs leaves only", ca.IsCA, ca.MaxPathLen)
	}
	if server.IsCA || client.IsCA {
		t.Error("a leaf certificate is a CA")
	}
	if got := server.NotAfter.Sub(now); got < 364*24*time.Hour || got > 366*24*time.Hour {
		t.Errorf("server lifetime %v, want about a year", got)
	}
	for _, p := range []string{f.CAKey, f.ServerKey, f.ClientKey} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", p, st.Mode().Perm())
		}
	}
	if st, _ := os.Stat(dir); st.Mode().Perm() != 0o700 {
		t.Errorf("dir mode %v, want 0700", st.Mode().Perm())
	}
}

func TestTLSInitOverwrite(t *testing.T) {
	dir := t.TempDir()
	opts := TLSOptions{Dir: dir, DNSNames: []string{"localhost"}}
	first, err := TLSInit(opts)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(first.CA)
	if _, err := TLSInit(opts); !errors.Is(err, ErrExists) {
		t.Fatalf("second init: err = %v, want ErrExists", err)
	}
	if after, _ := os.ReadFile(first.CA); string(after) != string(before) {
		t.Fatal("refused init changed ca.pem")
	}
	opts.Force = true
	if _, err := TLSInit(opts); err != nil {
		t.Fatalf("forced init: %v", err)
	}
	if after, _ := os.ReadFile(first.CA); string(after) == string(before) {
		t.Fatal("forced init left ca.pem as it was")
	}
}

func TestTLSInitNeedsANameOrAddress(t *testing.T) {
	if _, err := TLSInit(TLSOptions{Dir: t.TempDir()}); err == nil {
		t.Fatal("init without SANs succeeded")
	}
}

func TestDaemonConfig(t *testing.T) {
	f := TLSFilesIn("/etc/docker/tls")
	got, err := f.DaemonConfig([]string{"unix:///var/run/docker.sock", "tcp://0.0.0.0:2376"})
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "daemon-fragment.json", got)
}

func TestListenPort(t *testing.T) {
	tests := []struct {
		name, listen, port string
	}{
		{"every address", "tcp://0.0.0.0:2376", "2376"},
		{"loopback", "tcp://127.0.0.1:12376", "12376"},
		{"ipv6", "tcp://[::1]:2376", "2376"},
		{"no port", "tcp://127.0.0.1", ""},
		{"empty port", "tcp://127.0.0.1:", ""},
		{"port out of range", "tcp://127.0.0.1:70000", ""},
		{"no address", "tcp://:2376", ""},
		{"no scheme", "127.0.0.1:2376", ""},
		{"unix", "unix:///run/docker.sock", ""},
		{"a path", "tcp://127.0.0.1:2376/x", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			port, err := ListenPort(tc.listen)
			if port != tc.port || (err == nil) != (tc.port != "") {
				t.Fatalf("ListenPort(%q) = %q, %v; want %q", tc.listen, port, err, tc.port)
			}
		})
	}
}

func TestTLSInitRefusesANegativeLifetime(t *testing.T) {
	if _, err := TLSInit(TLSOptions{Dir: filepath.Join(t.TempDir(), "tls"), DNSNames: []string{"localhost"}, LeafDays: -1}); err == nil {
		t.Fatal("TLSInit with LeafDays -1 succeeded")
	}
}
