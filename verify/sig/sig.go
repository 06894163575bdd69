// Package sig verifies cosign signatures of images on a registry: it resolves a reference to a
// manifest digest with docker's credentials and checks the digest's signatures with cosign as a
// library. It links cosign, sigstore and go-containerregistry, so only the sdocker-verify helper
// imports it; sdocker itself speaks to it through verify.SigRequest and verify.SigResponse.
package sig

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/cosign/v2/pkg/cosign"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"

	"sdocker/verify"
)

// Verifier checks signatures on registries.
type Verifier struct {
	// Keychain finds registry credentials; nil means authn.DefaultKeychain, which reads
	// docker's config.json (from $DOCKER_CONFIG) and its credential helpers.
	Keychain authn.Keychain
	// RemoteOptions are added to every registry request (tests pass a transport).
	RemoteOptions []remote.Option
}

// Verify resolves req.Reference (or takes req.Digest), answers from the cache in req.CacheDir
// when it can, else verifies the digest's signatures against req.Rule and caches a success.
// Every failure is a *verify.SigError with its class.
func (v *Verifier) Verify(ctx context.Context, req verify.SigRequest) (verify.SigResponse, error) {
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
	ropts := v.remoteOptions(ctx)
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

	signers, err := v.check(ctx, dref, req.Rule, ropts)
	if err != nil {
		return verify.SigResponse{Digest: digest}, err
	}
	resp := verify.SigResponse{Digest: digest, Signers: signers}
	if cache != nil {
		// Best effort: an unwritable cache only costs the next check its speed.
		_ = cache.Put(cacheKey, resp, verify.DigestTTL)
	}
	return resp, nil
}

func (v *Verifier) remoteOptions(ctx context.Context) []remote.Option {
	kc := v.Keychain
	if kc == nil {
		kc = authn.DefaultKeychain
	}
	return append([]remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(kc)}, v.RemoteOptions...)
}

// resolve asks the registry which manifest digest a tag points at.
func resolve(ref name.Reference, ropts []remote.Option) (string, error) {
	desc, err := remote.Head(ref, ropts...)
	if err != nil {
		return "", classifyRegistry(fmt.Sprintf("resolving %s", ref), err)
	}
	return desc.Digest.String(), nil
}

// check verifies the signatures of dref: every key (keys_mode all) or one of them (any), and
// the keyless identities when the rule has them. It returns who signed.
func (v *Verifier) check(ctx context.Context, dref name.Digest, rule verify.SigRule, ropts []remote.Option) ([]string, error) {
	base := cosign.CheckOpts{
		RegistryClientOpts: []ociremote.Option{ociremote.WithRemoteOptions(ropts...)},
		// Without it, a signature copied from another image verifies.
		ClaimVerifier: cosign.SimpleClaimVerifier,
		IgnoreTlog:    !rule.TransparencyLog,
	}
	if rule.TransparencyLog {
		pubs, err := cosign.GetRekorPubs(ctx)
		if err != nil {
			return nil, verify.SigErrorf(verify.ClassPolicy, "transparency_log is required but the log's public keys are unavailable: %v", err)
		}
		base.RekorPubKeys = pubs
	}
	var signers []string
	if len(rule.Keys) > 0 {
		s, err := v.checkKeys(ctx, dref, rule, base)
		if err != nil {
			return nil, err
		}
		signers = append(signers, s...)
	}
	if rule.Keyless != nil {
		s, err := v.checkKeyless(ctx, dref, rule, base)
		if err != nil {
			return nil, err
		}
		signers = append(signers, s...)
	}
	return signers, nil
}

func (v *Verifier) checkKeys(ctx context.Context, dref name.Digest, rule verify.SigRule, base cosign.CheckOpts) ([]string, error) {
	var signers []string
	var firstErr error
	for _, path := range rule.Keys {
		co := base
		sv, err := loadKey(path)
		if err != nil {
			return nil, err
		}
		co.SigVerifier = sv
		_, bundled, err := cosign.VerifyImageSignatures(ctx, dref, &co)
		if err == nil && rule.TransparencyLog && !bundled {
			err = verify.SigErrorf(verify.ClassUntrusted, "the signature by key %s has no transparency-log entry, which the policy requires", path)
		}
		if err != nil {
			err = v.classify(ctx, dref, base, "key "+path, err)
			if rule.KeysMode == "any" {
				if firstErr == nil {
					firstErr = err
				}
				continue
			}
			return nil, err
		}
		signers = append(signers, "key "+path)
		if rule.KeysMode == "any" {
			return signers, nil
		}
	}
	if len(signers) == 0 {
		return nil, firstErr
	}
	return signers, nil
}

func (v *Verifier) checkKeyless(ctx context.Context, dref name.Digest, rule verify.SigRule, base cosign.CheckOpts) ([]string, error) {
	co := base
	if err := loadRoots(rule.Keyless.Roots, &co); err != nil {
		return nil, err
	}
	for _, id := range rule.Keyless.Identities {
		co.Identities = append(co.Identities, cosign.Identity{
			Subject: id.Subject, SubjectRegExp: id.SubjectRegexp, Issuer: id.Issuer, IssuerRegExp: id.IssuerRegexp,
		})
	}
	if len(co.Identities) == 0 {
		// Never "anyone": cosign would accept any identity the CA certified.
		return nil, verify.SigErrorf(verify.ClassPolicy, "keyless verification needs at least one identity")
	}
	if rule.TransparencyLog {
		pubs, err := cosign.GetCTLogPubs(ctx)
		if err != nil {
			return nil, verify.SigErrorf(verify.ClassPolicy, "transparency_log is required but the certificate log's public keys are unavailable: %v", err)
		}
		co.CTLogPubKeys = pubs
	} else {
		co.IgnoreSCT = true
	}
	sigs, bundled, err := cosign.VerifyImageSignatures(ctx, dref, &co)
	if err == nil && rule.TransparencyLog && !bundled {
		err = verify.SigErrorf(verify.ClassUntrusted, "the keyless signature has no transparency-log entry, which the policy requires")
	}
	if err != nil {
		return nil, v.classify(ctx, dref, base, "the policy's keyless identities", err)
	}
	var signers []string
	for _, s := range sigs {
		if who := describeSignature(s, ""); who != "" {
			signers = append(signers, who)
		}
	}
	return dedupe(signers), nil
}
