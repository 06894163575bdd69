package bundle

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
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

// Fetched is one bundle referrer and where it was found.
type Fetched struct {
	// Digest is the referrer manifest's digest.
	Digest string
	// Bundle is nil when the referrer could not be read as a bundle; Unreadable says why.
	Bundle     *sgbundle.Bundle
	Unreadable error
}

// Fetch lists dref's referrers, by the referrers API where the registry has it and by the
// referrers tag schema (sha256-<hex>) as well, since a client may have used either, and
// reads every one whose artifact type is a Sigstore bundle.
func Fetch(ctx context.Context, dref name.Digest, ropts []remote.Option) ([]*Fetched, error) {
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
	var out []*Fetched
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
		out = append(out, &Fetched{Digest: d.Digest.String(), Bundle: b, Unreadable: err})
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
