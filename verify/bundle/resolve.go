package bundle

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	specs "github.com/opencontainers/image-spec/specs-go/v1"

	"sdocker/verify"
)

// Resolve fetches the manifest req.Reference names, with docker's credentials: its digest
// (checked against the content; for a digest reference, against the one asked for), its media
// type and, for an index, its children with their platforms. It answers for the scan gate,
// which picks the child docker will run.
func (v *Verifier) Resolve(ctx context.Context, req verify.ResolveRequest) (verify.ResolveResponse, error) {
	ref, err := name.ParseReference(verify.LowerHost(req.Reference))
	if err != nil {
		return verify.ResolveResponse{}, verify.SigErrorf(verify.ClassPolicy, "parsing image reference %q: %v", req.Reference, err)
	}
	desc, err := remote.Get(ref, v.RemoteOptionsFor(ctx)...)
	if err != nil {
		return verify.ResolveResponse{}, ClassifyRegistry(fmt.Sprintf("fetching the manifest of %s", ref), err)
	}
	resp := verify.ResolveResponse{Digest: desc.Digest.String(), MediaType: string(desc.MediaType)}
	// The body decides as much as the header: a manifest that lists manifests is an index,
	// whatever the registry calls it.
	var body struct {
		MediaType string `json:"mediaType"`
		Manifests []struct {
			MediaType   string            `json:"mediaType"`
			Digest      string            `json:"digest"`
			Platform    *specs.Platform   `json:"platform"`
			Annotations map[string]string `json:"annotations"`
		} `json:"manifests"`
	}
	if err := json.Unmarshal(desc.Manifest, &body); err != nil {
		return verify.ResolveResponse{}, verify.SigErrorf(verify.ClassUnverifiable, "reading the manifest of %s: %v", ref, err)
	}
	if len(body.Manifests) > 0 && !resp.IsIndex() {
		resp.MediaType = verify.MediaOCIIndex
	}
	if !resp.IsIndex() {
		return resp, nil
	}
	for _, m := range body.Manifests {
		resp.Manifests = append(resp.Manifests, verify.Descriptor{Digest: m.Digest, MediaType: m.MediaType,
			Platform: m.Platform, Annotations: m.Annotations})
	}
	return resp, nil
}
