package verify

import (
	"context"
	"errors"
)

// CheckIndexChild verifies a local image known by the digest of one image of an index (docker
// records the digest it pulled by, and the scan gate pulls an index's image by its own digest),
// when that digest carries no signature of its own: the index the tag names on the registry must
// verify under the rule and list req.Digest among its images. The index's signature covers its
// images, whose digests it holds. A success is cached under req.Digest like any verification,
// so a warm check makes no registry request. Any other outcome returns unsigned, the error the
// digest's own check gave.
func (c *SigChecker) CheckIndexChild(ctx context.Context, req SigRequest, r Resolver, unsigned error) (SigResponse, error) {
	if req.Digest == "" || !errors.Is(unsigned, ErrUnsigned) {
		return SigResponse{}, unsigned
	}
	ref, err := ParseRef(req.Reference)
	if err != nil || ref.Digest != "" {
		return SigResponse{}, unsigned
	}
	tagReq := req
	tagReq.Digest = ""
	idx, err := c.Check(ctx, tagReq, true)
	if err != nil || idx.Digest == req.Digest {
		return SigResponse{}, unsigned
	}
	res, err := r.Resolve(ctx, ResolveRequest{Reference: ref.Pinned(idx.Digest), DockerConfig: req.DockerConfig})
	if err != nil || res.Digest != idx.Digest || !res.IsIndex() {
		return SigResponse{}, unsigned
	}
	for _, m := range res.Manifests {
		if m.Digest != req.Digest {
			continue
		}
		resp := SigResponse{Digest: req.Digest, Signers: idx.Signers, Cached: idx.Cached}
		if rk, err := RuleKey(req.Rule); err == nil && c.Cache != nil {
			_ = c.Cache.Put(DigestKey(rk, ref.Repo, req.Digest), SigResponse{Digest: req.Digest, Signers: idx.Signers}, DigestTTL)
		}
		return resp, nil
	}
	return SigResponse{}, unsigned
}
