package verify

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	specs "github.com/opencontainers/image-spec/specs-go/v1"
)

// Media types of the manifests the gate tells apart.
const (
	MediaOCIIndex       = "application/vnd.oci.image.index.v1+json"
	MediaDockerList     = "application/vnd.docker.distribution.manifest.list.v2+json"
	MediaOCIManifest    = "application/vnd.oci.image.manifest.v1+json"
	MediaDockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
)

// ResolveRequest asks the sdocker-verify helper (`sdocker-verify resolve`, one JSON document on
// its stdin) what a reference names on its registry.
type ResolveRequest struct {
	// Reference is a tag or a digest reference.
	Reference string `json:"reference"`
	// DockerConfig is docker's configuration directory, for registry credentials.
	DockerConfig string `json:"docker_config,omitempty"`
}

// ResolveResponse is the helper's answer: the manifest the reference names, and for an index
// its children. The helper checks that a manifest fetched by digest has that digest.
type ResolveResponse struct {
	Digest    string       `json:"digest,omitempty"`
	MediaType string       `json:"media_type,omitempty"`
	Manifests []Descriptor `json:"manifests,omitempty"`
	Error     *SigError    `json:"error,omitempty"`
}

// IsIndex reports whether the manifest is an index (several images under one digest).
func (r ResolveResponse) IsIndex() bool { return isIndexType(r.MediaType) }

// Descriptor is one child of an index.
type Descriptor struct {
	Digest      string            `json:"digest"`
	MediaType   string            `json:"media_type"`
	Platform    *specs.Platform   `json:"platform,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// IsImage reports whether the child is an image docker could run: an image manifest that is not
// an attestation (buildx stores those beside the images, as unknown/unknown).
func (d Descriptor) IsImage() bool {
	if d.MediaType != MediaOCIManifest && d.MediaType != MediaDockerManifest {
		return false
	}
	return d.Annotations["vnd.docker.reference.type"] != "attestation-manifest"
}

func isIndexType(mt string) bool { return mt == MediaOCIIndex || mt == MediaDockerList }

// Resolver says what a reference names on its registry.
type Resolver interface {
	Resolve(ctx context.Context, req ResolveRequest) (ResolveResponse, error)
}

// HelperResolver asks the sdocker-verify helper, which links the registry client.
type HelperResolver struct {
	// Helper is the path of sdocker-verify; "" means FindHelper.
	Helper string
	// Getenv reads the environment (SDOCKER_VERIFY, PATH); nil means os.Getenv.
	Getenv func(string) string
}

// Resolve runs `sdocker-verify resolve`. Every failure is a *SigError (ClassUnverifiable for a
// registry or helper failure, ClassPolicy for a reference that cannot be read).
func (h HelperResolver) Resolve(ctx context.Context, req ResolveRequest) (ResolveResponse, error) {
	getenv := h.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	path := h.Helper
	if path == "" {
		var err error
		if path, err = FindHelper(getenv); err != nil {
			return ResolveResponse{}, err
		}
	}
	in, err := json.Marshal(req)
	if err != nil {
		return ResolveResponse{}, fmt.Errorf("encoding the resolve request: %w", err)
	}
	var resp ResolveResponse
	if err := callHelper(ctx, path, []string{"resolve"}, in, &resp); err != nil {
		return ResolveResponse{}, err
	}
	if resp.Error != nil {
		return resp, resp.Error
	}
	if !validDigest(resp.Digest) {
		return resp, SigErrorf(ClassUnverifiable, "%s resolve answered with no digest", path)
	}
	return resp, nil
}

// cachedResolver answers digest references from the cache (what a digest names never
// changes) and, unless fresh is set, tags resolved less than TagTTL ago. A tag answered from the
// cache is still pinned to the digest it named, so a tag moved meanwhile only means the image
// judged and run is the one it named a moment ago.
type cachedResolver struct {
	r     Resolver
	cache *Cache
	fresh bool
}

func (c cachedResolver) Resolve(ctx context.Context, req ResolveRequest) (ResolveResponse, error) {
	if c.cache == nil {
		return c.r.Resolve(ctx, req)
	}
	d := refDigest(req.Reference)
	key, ttl := "manifest/v1 "+d, DefaultScanTTL
	if d == "" {
		ref, err := ParseRef(req.Reference)
		if err != nil {
			return c.r.Resolve(ctx, req)
		}
		key, ttl = "manifest-tag/v1 "+FullRepo(ref.Repo)+":"+ref.TagOrLatest(), TagTTL
	}
	var resp ResolveResponse
	if (d != "" || !c.fresh) && c.cache.Get(key, &resp) && (d == "" || resp.Digest == d) && validDigest(resp.Digest) {
		return resp, nil
	}
	resp, err := c.r.Resolve(ctx, req)
	if err == nil && (d == "" || resp.Digest == d) {
		_ = c.cache.Put(key, resp, ttl) // best effort: a miss only costs a request
	}
	return resp, err
}
