package sigtest

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	ggcrmutate "github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	ggcrstatic "github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/sigstore/cosign/v3/pkg/oci/mutate"
	ociremote "github.com/sigstore/cosign/v3/pkg/oci/remote"
	"github.com/sigstore/cosign/v3/pkg/oci/static"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/sign"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"
	"github.com/sigstore/sigstore-go/pkg/tlog"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	sigdsse "github.com/sigstore/sigstore/pkg/signature/dsse"
	"google.golang.org/protobuf/encoding/protojson"
)

// CosignSignPredicate is the predicate type of the statement `cosign sign` (v3) bundles.
const CosignSignPredicate = "https://sigstore.dev/cosign/sign/v1"

// BundleOptions say what a bundle's statement claims and what the bundle carries.
type BundleOptions struct {
	// Subject is the digest the statement names; zero means the image signed (set it to
	// another image to make a copied bundle).
	Subject name.Digest
	// PredicateType is the statement's; "" means cosign sign's. Predicate is its body (nil: {}).
	PredicateType string
	Predicate     any
	// Leaf makes a keyless bundle: it signs with the certificate's key and carries the
	// certificate; the signer given to SignBundle is then ignored.
	Leaf *Leaf
	// Log, when set, adds a transparency-log entry from this test log.
	Log *Log
	// AnnotatedType is the predicate type the referrer's annotation claims; "" means the
	// statement's (set it to spoof one).
	AnnotatedType string
}

// SignBundle signs an in-toto statement about target as cosign v3 does (a DSSE envelope in a
// Sigstore bundle v0.3) and attaches it as a referrer of target: by the referrers API where
// the registry has it, else under the referrers tag schema.
func SignBundle(t testing.TB, target name.Digest, signer signature.Signer, o BundleOptions) {
	t.Helper()
	subject := o.Subject
	if subject.DigestStr() == "" {
		subject = target
	}
	if o.PredicateType == "" {
		o.PredicateType = CosignSignPredicate
	}
	if o.Predicate == nil {
		o.Predicate = map[string]any{}
	}
	h := subject.DigestStr()[len("sha256:"):]
	stmt, err := json.Marshal(map[string]any{
		"_type":         "https://in-toto.io/Statement/v1",
		"subject":       []any{map[string]any{"name": subject.Context().Name(), "digest": map[string]string{"sha256": h}}},
		"predicateType": o.PredicateType,
		"predicate":     o.Predicate,
	})
	if err != nil {
		t.Fatal(err)
	}
	kp := &keypair{signer: signer}
	opts := sign.BundleOptions{}
	if o.Leaf != nil {
		kp.signer = o.Leaf.Signer
		block, _ := pem.Decode(o.Leaf.Cert)
		opts.CertificateProvider = certProvider(block.Bytes)
	}
	if o.Log != nil {
		opts.TransparencyLogs = []sign.Transparency{o.Log}
	}
	b, err := sign.Bundle(&sign.DSSEData{Data: stmt, PayloadType: "application/vnd.in-toto+json"}, kp, opts)
	if err != nil {
		t.Fatalf("making a bundle: %v", err)
	}
	data, err := protojson.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	annotated := o.AnnotatedType
	if annotated == "" {
		annotated = o.PredicateType
	}
	if err := ociremote.WriteAttestationNewBundleFormat(target, data, annotated); err != nil {
		t.Fatalf("attaching a bundle to %s: %v", target, err)
	}
}

// keypair signs bundles with a sigstore signer.
type keypair struct{ signer signature.Signer }

func (k *keypair) GetHashAlgorithm() protocommon.HashAlgorithm {
	return protocommon.HashAlgorithm_SHA2_256
}
func (k *keypair) GetSigningAlgorithm() protocommon.PublicKeyDetails {
	return protocommon.PublicKeyDetails_PKIX_ECDSA_P256_SHA_256
}
func (k *keypair) GetHint() []byte {
	der, _ := cryptoutils.MarshalPublicKeyToDER(k.GetPublicKey())
	sum := sha256.Sum256(der)
	return []byte(base64.StdEncoding.EncodeToString(sum[:]))
}
func (k *keypair) GetKeyAlgorithm() string { return "ECDSA" }
func (k *keypair) GetPublicKey() crypto.PublicKey {
	pub, _ := k.signer.PublicKey()
	return pub
}
func (k *keypair) GetPublicKeyPem() (string, error) {
	b, err := cryptoutils.MarshalPublicKeyToPEM(k.GetPublicKey())
	return string(b), err
}
func (k *keypair) SignData(_ context.Context, data []byte) ([]byte, []byte, error) {
	sum := sha256.Sum256(data)
	sig, err := k.signer.SignMessage(bytesReader(data))
	return sig, sum[:], err
}

type certProvider []byte

func (c certProvider) GetCertificate(context.Context, sign.Keypair, *sign.CertificateProviderOptions) ([]byte, error) {
	return c, nil
}

// Log is a test transparency log (a Rekor stand-in) whose entries carry a signed inclusion
// promise, as Rekor's do.
type Log struct {
	vs *ca.VirtualSigstore
}

// NewLog makes a test log.
func NewLog(t testing.TB) *Log {
	t.Helper()
	vs, err := ca.NewVirtualSigstore()
	if err != nil {
		t.Fatal(err)
	}
	return &Log{vs: vs}
}

// GetTransparencyLogEntry implements sign.Transparency: it logs a DSSE bundle.
func (l *Log) GetTransparencyLogEntry(_ context.Context, certPEM []byte, b *protobundle.Bundle) error {
	block, _ := pem.Decode(certPEM)
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return err
	}
	env := b.GetDsseEnvelope()
	sig := env.GetSignatures()[0].GetSig()
	de := &dsse.Envelope{
		PayloadType: env.GetPayloadType(),
		Payload:     base64.StdEncoding.EncodeToString(env.GetPayload()),
		Signatures:  []dsse.Signature{{Sig: base64.StdEncoding.EncodeToString(sig)}},
	}
	now := time.Now().Unix()
	entry, err := l.vs.GenerateTlogEntry(cert, de, sig, now, true)
	if err != nil {
		return err
	}
	tle := entry.TransparencyLogEntry()
	// The entry as a bundle carries it: its kind and its signed inclusion promise.
	set, err := l.vs.RekorSignPayload(tlog.RekorPayload{
		Body: base64.StdEncoding.EncodeToString(tle.CanonicalizedBody), IntegratedTime: now,
		LogIndex: tle.LogIndex, LogID: hex.EncodeToString(tle.LogId.KeyId),
	})
	if err != nil {
		return err
	}
	tle.KindVersion = &protorekor.KindVersion{Kind: "intoto", Version: "0.0.2"}
	tle.InclusionPromise = &protorekor.InclusionPromise{SignedEntryTimestamp: set}
	b.VerificationMaterial.TlogEntries = append(b.VerificationMaterial.TlogEntries, tle)
	return nil
}

// TrustedRoot writes a sigstore trusted_root.json under dir that trusts the CA and, when log
// is set, the log; it returns its path (what a policy's keyless.roots names).
func (c *CA) TrustedRoot(t testing.TB, dir string, log *Log) string {
	t.Helper()
	cas := []root.CertificateAuthority{&root.FulcioCertificateAuthority{
		Root: c.root, Intermediates: []*x509.Certificate{c.inter},
		ValidityPeriodStart: time.Now().Add(-time.Hour),
	}}
	var logs map[string]*root.TransparencyLog
	if log != nil {
		// The virtual log names itself by its ID in hex; a trusted root holds the raw ID.
		logs = map[string]*root.TransparencyLog{}
		for id, tl := range log.vs.RekorLogs() {
			raw, err := hex.DecodeString(id)
			if err != nil {
				t.Fatal(err)
			}
			c := *tl
			c.ID = raw
			logs[id] = &c
		}
	}
	tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01, cas, nil, nil, logs)
	if err != nil {
		t.Fatal(err)
	}
	data, err := tr.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	name := "trusted_root.json"
	if log != nil {
		name = "trusted_root_log.json"
	}
	path := filepath.Join(dir, c.root.Subject.CommonName+"-"+name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

// AttestLegacy attaches a legacy attestation (cosign attest --new-bundle-format=false: a DSSE
// envelope under the tag sha256-<hex>.att) of an in-toto statement about subject (zero: the
// target) to target, signed with signer.
func AttestLegacy(t testing.TB, target name.Digest, signer signature.Signer, subject name.Digest, predicateType string, predicate any) {
	t.Helper()
	if subject.DigestStr() == "" {
		subject = target
	}
	stmt, err := json.Marshal(map[string]any{
		"_type":         "https://in-toto.io/Statement/v0.1",
		"subject":       []any{map[string]any{"name": subject.Context().Name(), "digest": map[string]string{"sha256": subject.DigestStr()[len("sha256:"):]}}},
		"predicateType": predicateType,
		"predicate":     predicate,
	})
	if err != nil {
		t.Fatal(err)
	}
	env, err := sigdsse.WrapSigner(signer, "application/vnd.in-toto+json").SignMessage(bytes.NewReader(stmt))
	if err != nil {
		t.Fatal(err)
	}
	att, err := static.NewAttestation(env)
	if err != nil {
		t.Fatal(err)
	}
	se, err := ociremote.SignedEntity(target)
	if err != nil {
		t.Fatal(err)
	}
	if se, err = mutate.AttachAttestationToEntity(se, att); err != nil {
		t.Fatal(err)
	}
	if err := ociremote.WriteAttestations(target.Repository, se); err != nil {
		t.Fatalf("writing attestations of %s: %v", target, err)
	}
}

// PushJunkReferrers attaches what anyone with push access could: an index and an artifact with
// a bundle's media type but no bundle in it, both naming target as their subject.
func PushJunkReferrers(t testing.TB, target name.Digest) {
	t.Helper()
	desc, err := remote.Head(target)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := random.Index(64, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	idx = ggcrmutate.Subject(idx, *desc).(v1.ImageIndex)
	d, _ := idx.Digest()
	if err := remote.WriteIndex(target.Context().Digest(d.String()), idx); err != nil {
		t.Fatalf("pushing a junk index referrer: %v", err)
	}
	layer := ggcrstatic.NewLayer([]byte(`{"not":"a bundle"}`), "application/vnd.dev.sigstore.bundle.v0.3+json")
	img, err := ggcrmutate.AppendLayers(empty.Image, layer)
	if err != nil {
		t.Fatal(err)
	}
	img = ggcrmutate.MediaType(img, types.OCIManifestSchema1)
	img = ggcrmutate.ConfigMediaType(img, "application/vnd.oci.empty.v1+json")
	img = ggcrmutate.Subject(img, *desc).(v1.Image)
	d, _ = img.Digest()
	if err := remote.Write(target.Context().Digest(d.String()), img); err != nil {
		t.Fatalf("pushing a junk bundle referrer: %v", err)
	}
}
