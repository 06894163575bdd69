package sig

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/sigstore/cosign/v3/pkg/oci"
	ociremote "github.com/sigstore/cosign/v3/pkg/oci/remote"
	sgbundle "github.com/sigstore/sigstore-go/pkg/bundle"
)

// bundleArtifactPrefix starts the artifact type of a Sigstore bundle referrer
// (application/vnd.dev.sigstore.bundle.v0.3+json).
const bundleArtifactPrefix = "application/vnd.dev.sigstore.bundle"

// emptyConfigType is the config media type of OCI artifacts; some registries (and
// go-containerregistry's) list a referrer under it rather than under its artifactType.
const emptyConfigType = "application/vnd.oci.empty.v1+json"

// maxReferrers bounds how many referrers of one image are read.
const maxReferrers = 64

// maxBundleSize bounds what is read of one bundle: a referrer anyone can push is no reason to
// read without end.
const maxBundleSize = 4 << 20

// evidence is everything attached to one image digest: its legacy signatures and the Sigstore
// bundles among its referrers, each fetched once and checked against every trusted signer.
type evidence struct {
	dref   name.Digest
	hash   v1.Hash
	legacy []oci.Signature
	// bundles are the referrers that are Sigstore bundles and could be read.
	bundles []*fetchedBundle
	// legacyAtts are the legacy attestations (sha256-<hex>.att), read only for a rule that
	// requires attestations.
	legacyAtts []oci.Signature
	// legacyErr, bundleErr and attErr are registry failures; none says anything about the image.
	legacyErr, bundleErr, attErr error
}

// fetchedBundle is one bundle referrer and where it was found.
type fetchedBundle struct {
	digest string // the referrer manifest's digest
	bundle *sgbundle.Bundle
	// unreadable is why a referrer with a bundle artifact type could not be read, if it could not.
	unreadable error
}

// gather fetches the legacy signatures and the bundles of dref concurrently, and its legacy
// attestations when withAtts is set.
func gather(ctx context.Context, dref name.Digest, ropts []remote.Option, withAtts bool) (*evidence, error) {
	h, err := v1.NewHash(dref.DigestStr())
	if err != nil {
		return nil, fmt.Errorf("parsing digest %s: %w", dref.DigestStr(), err)
	}
	ev := &evidence{dref: dref, hash: h}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		ev.legacy, ev.legacyErr = legacySignatures(dref, ropts)
	}()
	go func() {
		defer wg.Done()
		ev.bundles, ev.bundleErr = bundles(ctx, dref, ropts)
	}()
	if withAtts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ev.legacyAtts, ev.attErr = legacyAttestations(dref, ropts)
		}()
	}
	wg.Wait()
	return ev, nil
}

// legacySignatures reads the signatures under the tag sha256-<hex>.sig (none when absent).
func legacySignatures(dref name.Digest, ropts []remote.Option) ([]oci.Signature, error) {
	oo := []ociremote.Option{ociremote.WithRemoteOptions(ropts...)}
	st, err := ociremote.SignatureTag(dref, oo...)
	if err != nil {
		return nil, err
	}
	sigs, err := ociremote.Signatures(st, oo...)
	if err != nil {
		return nil, err
	}
	return sigs.Get()
}

// legacyAttestations reads the attestations under the tag sha256-<hex>.att (none when absent).
func legacyAttestations(dref name.Digest, ropts []remote.Option) ([]oci.Signature, error) {
	oo := []ociremote.Option{ociremote.WithRemoteOptions(ropts...)}
	at, err := ociremote.AttestationTag(dref, oo...)
	if err != nil {
		return nil, err
	}
	atts, err := ociremote.Signatures(at, oo...)
	if err != nil {
		return nil, err
	}
	return atts.Get()
}

// bundles lists dref's referrers, by the referrers API where the registry has it and by the
// referrers tag schema (sha256-<hex>) as well, since a client may have used either, and
// reads every one whose artifact type is a Sigstore bundle.
func bundles(ctx context.Context, dref name.Digest, ropts []remote.Option) ([]*fetchedBundle, error) {
	// The tag schema too, at the same time: remote.Referrers reads it only where the API is
	// missing. It is one more source of bundles, so failing to read it costs nothing but what
	// it might hold.
	tagged := make(chan []v1.Descriptor, 1)
	go func() {
		tag := dref.Context().Tag(strings.Replace(dref.DigestStr(), ":", "-", 1))
		var out []v1.Descriptor
		if tidx, err := remote.Index(tag, ropts...); err == nil {
			if tm, err := tidx.IndexManifest(); err == nil {
				out = tm.Manifests
			}
		}
		tagged <- out
	}()
	idx, err := remote.Referrers(dref, ropts...)
	if err != nil {
		<-tagged
		return nil, err
	}
	m, err := idx.IndexManifest()
	if err != nil {
		<-tagged
		return nil, fmt.Errorf("reading the referrers of %s: %w", dref, err)
	}
	descs := append(m.Manifests, <-tagged...)
	seen := map[v1.Hash]bool{}
	var out []*fetchedBundle
	for _, d := range descs {
		if seen[d.Digest] || len(seen) >= maxReferrers {
			continue
		}
		if at := d.ArtifactType; at != "" && at != emptyConfigType && !strings.HasPrefix(at, bundleArtifactPrefix) {
			continue // another tool's artifact (an SBOM, a scan report)
		}
		seen[d.Digest] = true
		b, err := readBundle(dref.Context().Digest(d.Digest.String()), ropts)
		var te *transport.Error
		switch {
		case errors.Is(err, errNotBundle):
			continue
		case errors.As(err, &te) && te.StatusCode != http.StatusNotFound:
			// The registry failed us: what it holds is unknown.
			return nil, err
		}
		// Anything else someone pushed (an index, a manifest of another kind, a broken bundle)
		// is an unreadable referrer: it can neither verify the image nor stop another from.
		out = append(out, &fetchedBundle{digest: d.Digest.String(), bundle: b, unreadable: err})
	}
	return out, nil
}

// errNotBundle: a referrer that holds something else than a Sigstore bundle.
var errNotBundle = errors.New("not a Sigstore bundle")

// readBundle reads the bundle in the one layer of a referrer manifest.
func readBundle(ref name.Digest, ropts []remote.Option) (*sgbundle.Bundle, error) {
	img, err := remote.Image(ref, ropts...)
	if err != nil {
		return nil, err
	}
	layers, err := img.Layers()
	if err != nil {
		return nil, err
	}
	if len(layers) != 1 {
		return nil, errNotBundle
	}
	if mt, err := layers[0].MediaType(); err != nil || !strings.HasPrefix(string(mt), bundleArtifactPrefix) {
		return nil, errNotBundle
	}
	rc, err := layers[0].Compressed()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxBundleSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxBundleSize {
		return nil, fmt.Errorf("referrer %s is larger than %d bytes", ref.DigestStr(), maxBundleSize)
	}
	b := &sgbundle.Bundle{}
	if err := b.UnmarshalJSON(data); err != nil {
		return nil, fmt.Errorf("referrer %s is not a Sigstore bundle: %w", ref.DigestStr(), err)
	}
	return b, nil
}
