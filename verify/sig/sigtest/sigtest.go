// Package sigtest gives tests real signing parts: an OCI registry on 127.0.0.1 (with or without
// the referrers API), images pushed to it, cosign key pairs, legacy signatures and attestations,
// Sigstore bundles as cosign v3 attaches them, a test CA acting as Fulcio for keyless signing,
// and a test transparency log with its trusted_root.json. It is for tests only.
package sigtest

import (
	"bytes"
	"encoding/base64"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/cosign/v3/pkg/cosign"
	"github.com/sigstore/cosign/v3/pkg/oci"
	"github.com/sigstore/cosign/v3/pkg/oci/mutate"
	ociremote "github.com/sigstore/cosign/v3/pkg/oci/remote"
	"github.com/sigstore/cosign/v3/pkg/oci/static"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/payload"
)

// Registry is an in-process OCI registry listening on 127.0.0.1.
type Registry struct {
	Server *httptest.Server
	// Host is "127.0.0.1:PORT", the registry part of references.
	Host string
	// Requests counts the requests the registry has served.
	Requests atomic.Int64
}

// NewRegistry starts a registry that stops when the test ends. Without options it has no
// referrers API (referrers go under the tag schema); registry.WithReferrersSupport(true)
// gives it one.
func NewRegistry(t testing.TB, opts ...registry.Option) *Registry {
	t.Helper()
	r := &Registry{}
	h := registry.New(append([]registry.Option{registry.Logger(log.New(io.Discard, "", 0))}, opts...)...)
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.Requests.Add(1)
		h.ServeHTTP(w, req)
	}))
	t.Cleanup(r.Server.Close)
	r.Host = strings.TrimPrefix(r.Server.URL, "http://")
	return r
}

// Push writes img to ref and returns the pushed digest reference.
func Push(t testing.TB, ref string, img v1.Image) name.Digest {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img); err != nil {
		t.Fatalf("pushing %s: %v", ref, err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return r.Context().Digest(d.String())
}

// PushRandom pushes a small random image to ref.
func PushRandom(t testing.TB, ref string) name.Digest {
	t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	return Push(t, ref, img)
}

const keyPassword = "sigtest"

// Key is a cosign key pair; PubPath is its public key written to a file.
type Key struct {
	Signer  signature.Signer
	PubPath string
}

// NewKey generates a cosign key pair and writes its public key under dir.
func NewKey(t testing.TB, dir, name string) *Key {
	t.Helper()
	kb, err := cosign.GenerateKeyPair(func(bool) ([]byte, error) { return []byte(keyPassword), nil })
	if err != nil {
		t.Fatal(err)
	}
	sv, err := cosign.LoadPrivateKey(kb.PrivateBytes, []byte(keyPassword), nil)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name+".pub")
	if err := os.WriteFile(path, kb.PublicBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	return &Key{Signer: sv, PubPath: path}
}

// SignOptions say what a signature claims and carries.
type SignOptions struct {
	// Claim is the digest the payload names; zero means the image signed (set it to another
	// image to make a copied signature).
	Claim name.Digest
	// Cert and Chain (PEM) make a keyless signature.
	Cert, Chain []byte
}

// Sign signs the image at target with signer and attaches the signature on the registry.
func Sign(t testing.TB, target name.Digest, signer signature.Signer, o SignOptions) {
	t.Helper()
	claim := o.Claim
	if claim.DigestStr() == "" {
		claim = target
	}
	body, err := payload.Cosign{Image: claim}.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := signer.SignMessage(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var opts []static.Option
	if o.Cert != nil {
		opts = append(opts, static.WithCertChain(o.Cert, o.Chain))
	}
	sig, err := static.NewSignature(body, base64.StdEncoding.EncodeToString(raw), opts...)
	if err != nil {
		t.Fatal(err)
	}
	Attach(t, target, sig)
}

// Attach adds an existing signature to the image at target.
func Attach(t testing.TB, target name.Digest, sig oci.Signature) {
	t.Helper()
	se, err := ociremote.SignedEntity(target)
	if err != nil {
		t.Fatal(err)
	}
	se, err = mutate.AttachSignatureToEntity(se, sig)
	if err != nil {
		t.Fatal(err)
	}
	if err := ociremote.WriteSignatures(target.Repository, se); err != nil {
		t.Fatalf("writing signatures of %s: %v", target, err)
	}
}
