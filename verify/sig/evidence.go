package sig

import (
	"context"
	"fmt"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/cosign/v3/pkg/oci"
	ociremote "github.com/sigstore/cosign/v3/pkg/oci/remote"

	"sdocker/verify/bundle"
)

// evidence is everything attached to one image digest: its legacy signatures and the Sigstore
// bundles among its referrers, each fetched once and checked against every trusted signer.
type evidence struct {
	dref   name.Digest
	hash   v1.Hash
	legacy []oci.Signature
	// bundles are the referrers that are Sigstore bundles and could be read.
	bundles []*bundle.Fetched
	// legacyAtts are the legacy attestations (sha256-<hex>.att), read only for a rule that
	// requires attestations.
	legacyAtts []oci.Signature
	// legacyErr, bundleErr and attErr are registry failures; none says anything about the image.
	legacyErr, bundleErr, attErr error
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
		ev.bundles, ev.bundleErr = bundle.Fetch(ctx, dref, ropts)
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
