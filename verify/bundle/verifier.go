package bundle

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"sdocker/verify"
)

// ErrUndecided is the answer of a check the bundles alone do not decide: the rule needs cosign
// (verify.NeedsCosign), the referrers could not be read, or a signer the rule needs verified
// no bundle, and a legacy signature might still satisfy it. sdocker-verify-cosign decides it.
var ErrUndecided = errors.New("the image's Sigstore bundles alone do not decide the check")

// Verifier reads manifests and checks signatures on registries.
type Verifier struct {
	// Keychain finds registry credentials; nil means authn.DefaultKeychain, which reads
	// docker's config.json (from $DOCKER_CONFIG) and its credential helpers.
	Keychain authn.Keychain
	// RemoteOptions are added to every registry request (tests pass a transport).
	RemoteOptions []remote.Option
}

// CheckFunc verifies the signatures of dref against rule: it is what a Verifier does once the
// digest is known and no live cache entry answers.
type CheckFunc func(ctx context.Context, dref name.Digest, rule verify.SigRule, ropts []remote.Option) (verify.SigResponse, error)

// Verify checks req with the image's Sigstore bundles alone: it answers a verification only
// when the bundles verify every signer the rule needs (the answer sdocker-verify-cosign would
// give), a failure only where that helper would fail the same way before looking at any
// signature (the rule, the reference, the registry), and ErrUndecided otherwise. It never
// refuses an image for the signatures it has.
func (v *Verifier) Verify(ctx context.Context, req verify.SigRequest) (verify.SigResponse, error) {
	if verify.NeedsCosign(req.Rule) {
		return verify.SigResponse{}, ErrUndecided
	}
	return v.VerifyWith(ctx, req, checkBundles)
}

// VerifyWith resolves req.Reference (or takes req.Digest), answers from the cache in
// req.CacheDir when it can, else checks the digest with check and caches a success. Every
// failure but ErrUndecided is a *verify.SigError with its class; the answer to a failed check
// still carries the digest.
func (v *Verifier) VerifyWith(ctx context.Context, req verify.SigRequest, check CheckFunc) (verify.SigResponse, error) {
	ruleKey, err := verify.RuleKey(req.Rule)
	if err != nil {
		return verify.SigResponse{}, err
	}
	ref, err := name.ParseReference(verify.LowerHost(req.Reference))
	if err != nil {
		return verify.SigResponse{}, verify.SigErrorf(verify.ClassPolicy, "parsing image reference %q: %v", req.Reference, err)
	}
	typed, err := verify.ParseRef(req.Reference)
	if err != nil {
		return verify.SigResponse{}, verify.SigErrorf(verify.ClassPolicy, "parsing image reference %q: %v", req.Reference, err)
	}
	ropts := v.RemoteOptionsFor(ctx)
	digest := req.Digest
	if digest == "" {
		if d, ok := ref.(name.Digest); ok {
			digest = d.DigestStr()
		} else if digest, err = resolve(ref, ropts); err != nil {
			return verify.SigResponse{}, err
		}
	}
	dref := ref.Context().Digest(digest)

	var cache *verify.Cache
	cacheKey := verify.DigestKey(ruleKey, typed.Repo, digest)
	if req.CacheDir != "" {
		cache = &verify.Cache{Dir: req.CacheDir}
		var resp verify.SigResponse
		if cache.Get(cacheKey, &resp) {
			resp.Cached = true
			return resp, nil
		}
	}

	resp, err := check(ctx, dref, req.Rule, ropts)
	if err != nil {
		return verify.SigResponse{Digest: digest}, err
	}
	resp.Digest = digest
	if cache != nil {
		// Best effort: an unwritable cache only costs the next check its speed.
		_ = cache.Put(cacheKey, resp, verify.DigestTTL)
	}
	return resp, nil
}

// checkBundles is the bundles' part of sig's check, for a rule that needs no cosign: every key
// (keys_mode all) or the first (any), and the keyless identities, each verified by a bundle,
// in the order sig tries them; anything short of that is undecided.
func checkBundles(ctx context.Context, dref name.Digest, rule verify.SigRule, ropts []remote.Option) (verify.SigResponse, error) {
	var signers []*Signer
	for _, path := range rule.Keys {
		s, err := KeySigner(path, false, nil)
		if err != nil {
			return verify.SigResponse{}, err
		}
		signers = append(signers, s)
	}
	if rule.KeysMode == "any" && len(signers) > 1 {
		// sig settles on the first key that verifies, by either format: only the first key's
		// bundles can tell which one that is.
		signers = signers[:1]
	}
	if rule.Keyless != nil {
		s, _, err := KeylessSigner(rule.Keyless, false, nil)
		if err != nil {
			return verify.SigResponse{}, err
		}
		signers = append(signers, s)
	}
	h, err := v1.NewHash(dref.DigestStr())
	if err != nil {
		return verify.SigResponse{}, fmt.Errorf("parsing digest %s: %w", dref.DigestStr(), err)
	}
	fbs, err := Fetch(ctx, dref, ropts)
	if err != nil {
		return verify.SigResponse{}, fmt.Errorf("%w: reading the referrers of %s: %v", ErrUndecided, dref, err)
	}
	var resp verify.SigResponse
	for _, s := range signers {
		vf, ok, _, _ := s.FirstSignature(fbs, h)
		if !ok {
			return verify.SigResponse{}, fmt.Errorf("%w: no bundle verifies with %s", ErrUndecided, s.Name)
		}
		resp.Verified = append(resp.Verified, vf)
		resp.Signers = append(resp.Signers, vf.By)
	}
	resp.Signers = Dedupe(resp.Signers)
	return resp, nil
}

// RemoteOptionsFor are the registry options of one check.
func (v *Verifier) RemoteOptionsFor(ctx context.Context) []remote.Option {
	kc := v.Keychain
	if kc == nil {
		kc = authn.DefaultKeychain
	}
	ropts := append([]remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(kc)}, v.RemoteOptions...)
	// One puller for the whole check: the registry is pinged and authenticated once, not once
	// per request (a cold check makes a dozen).
	if p, err := remote.NewPuller(ropts...); err == nil {
		ropts = append(ropts, remote.Reuse(p))
	}
	return ropts
}

// resolve asks the registry which manifest digest a tag points at.
func resolve(ref name.Reference, ropts []remote.Option) (string, error) {
	desc, err := remote.Head(ref, ropts...)
	if err != nil {
		return "", ClassifyRegistry(fmt.Sprintf("resolving %s", ref), err)
	}
	return desc.Digest.String(), nil
}

// ClassifyRegistry words a registry failure: it says nothing about the image's signatures.
func ClassifyRegistry(what string, err error) error {
	var te *transport.Error
	if errors.As(err, &te) {
		switch te.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden:
			return verify.SigErrorf(verify.ClassUnverifiable, "%s: registry authentication failed (status %d); log in with docker login", what, te.StatusCode)
		case http.StatusNotFound:
			return verify.SigErrorf(verify.ClassUnverifiable, "%s: not found on the registry", what)
		}
		return verify.SigErrorf(verify.ClassUnverifiable, "%s: the registry answered status %d", what, te.StatusCode)
	}
	return verify.SigErrorf(verify.ClassUnverifiable, "%s: registry unreachable: %v", what, err)
}

// Dedupe keeps the first of each string, in order.
func Dedupe(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
