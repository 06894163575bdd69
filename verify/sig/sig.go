// Package sig verifies cosign signatures of images on a registry: it resolves a reference to a
// manifest digest with docker's credentials and checks the digest's signatures with cosign as a
// library. It links cosign, sigstore and go-containerregistry, so only the sdocker-verify helper
// imports it; sdocker itself speaks to it through verify.SigRequest and verify.SigResponse.
package sig

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/cosign/v3/pkg/cosign"
	ociremote "github.com/sigstore/cosign/v3/pkg/oci/remote"
	"github.com/sigstore/sigstore-go/pkg/root"

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

	resp, err := v.check(ctx, dref, req.Rule, ropts)
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

func (v *Verifier) remoteOptions(ctx context.Context) []remote.Option {
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
		return "", classifyRegistry(fmt.Sprintf("resolving %s", ref), err)
	}
	return desc.Digest.String(), nil
}

// check verifies the signatures of dref, in both formats: every key (keys_mode all) or one of
// them (any), and the keyless identities when the rule has them; then the rule's attestations.
// A key or identity is satisfied by any one signature it verifies, legacy or bundle, so a
// referrer pushed by someone else cannot make a validly signed image fail.
func (v *Verifier) check(ctx context.Context, dref name.Digest, rule verify.SigRule, ropts []remote.Option) (verify.SigResponse, error) {
	base := cosign.CheckOpts{
		RegistryClientOpts: []ociremote.Option{ociremote.WithRemoteOptions(ropts...)},
		// Without it, a signature copied from another image verifies.
		ClaimVerifier: cosign.SimpleClaimVerifier,
		IgnoreTlog:    !rule.TransparencyLog,
	}
	lk := &logKeys{ctx: ctx}
	var keys []*signer
	for _, path := range rule.Keys {
		s, err := newKeySigner(path, base, lk.trustedRoot)
		if err != nil {
			return verify.SigResponse{}, err
		}
		keys = append(keys, s)
	}
	var keyless *signer
	if rule.Keyless != nil {
		var err error
		if keyless, err = newKeylessSigner(rule.Keyless, base, lk.trustedRoot); err != nil {
			return verify.SigResponse{}, err
		}
	}
	ev, err := gather(ctx, dref, ropts, len(rule.Attestations) > 0)
	if err != nil {
		return verify.SigResponse{}, err
	}
	var resp verify.SigResponse
	add := func(vf verify.Verification) {
		resp.Verified = append(resp.Verified, vf)
		resp.Signers = append(resp.Signers, vf.By)
	}
	var firstErr error
	for _, s := range keys {
		vf, err := v.verifySigner(ctx, ev, s, lk)
		if err != nil {
			if rule.KeysMode != "any" {
				return verify.SigResponse{}, err
			}
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		add(vf)
		if rule.KeysMode == "any" {
			break
		}
	}
	if len(keys) > 0 && len(resp.Verified) == 0 {
		return verify.SigResponse{}, firstErr
	}
	if keyless != nil {
		vf, err := v.verifySigner(ctx, ev, keyless, lk)
		if err != nil {
			return verify.SigResponse{}, err
		}
		add(vf)
	}
	resp.Signers = dedupe(resp.Signers)
	if resp.Attestations, err = v.checkAttestations(ctx, ev, rule, base, lk); err != nil {
		return verify.SigResponse{}, err
	}
	return resp, nil
}

// verifySigner looks for one signature that s verifies: a bundle (cosign v3's default) or a
// legacy signature. It fails only when none does, with what was found instead.
func (v *Verifier) verifySigner(ctx context.Context, ev *evidence, s *signer, lk *logKeys) (verify.Verification, error) {
	var reasons []string
	var policyErr error
	for _, fb := range ev.bundles {
		res, err := s.verifyBundle(fb, ev.hash)
		if errors.Is(err, verify.ErrPolicy) {
			policyErr = err
		}
		if err != nil {
			reasons = append(reasons, err.Error())
			continue
		}
		if res.predicateType != cosignSignPredicate {
			reasons = append(reasons, "an attestation of type "+res.predicateType+" is not a signature")
			continue
		}
		return verify.Verification{Format: verify.FormatBundle, By: res.by, TransparencyLog: res.tlog}, nil
	}
	if len(ev.legacy) > 0 {
		co := s.co
		if err := lk.legacy(&co, s.key == nil); err != nil {
			policyErr = err
			reasons = append(reasons, err.Error())
		} else {
			for _, sig := range ev.legacy {
				bundled, err := cosign.VerifyImageSignature(ctx, sig, ev.hash, &co)
				if err == nil && s.requireTlog && !bundled {
					err = errors.New("the legacy signature has no transparency-log entry, which the policy requires")
				}
				if err != nil {
					reasons = append(reasons, err.Error())
					continue
				}
				by := s.name
				if s.key == nil {
					by = "identity " + describeSignature(sig, "")
				}
				return verify.Verification{Format: verify.FormatLegacy, By: by, TransparencyLog: bundled && s.requireTlog}, nil
			}
		}
	}
	if policyErr != nil {
		// A trusted signature may be among those the policy could not check.
		return verify.Verification{}, policyErr
	}
	return verify.Verification{}, v.refusal(ev, s, reasons)
}

// logKeys fetches the public transparency logs' keys once per check, and only when a rule
// that requires a log entry meets a signature to check.
type logKeys struct {
	ctx         context.Context
	root        root.TrustedMaterial
	rootErr     error
	rekor, ct   *cosign.TrustedTransparencyLogPubKeys
	rekorErr    error
	ctErr       error
	fetchedRoot bool
	fetchedPubs bool
}

// trustedRoot is the public Sigstore trusted root (logs for bundles).
func (l *logKeys) trustedRoot() (root.TrustedMaterial, error) {
	if !l.fetchedRoot {
		l.fetchedRoot = true
		l.root, l.rootErr = cosign.TrustedRoot()
	}
	if l.rootErr != nil {
		return nil, verify.SigErrorf(verify.ClassPolicy, "transparency_log is required but the log's public keys are unavailable: %v", l.rootErr)
	}
	return l.root, nil
}

// legacy puts the log keys into co where it requires an entry (and, for certificates, an SCT).
func (l *logKeys) legacy(co *cosign.CheckOpts, cert bool) error {
	if co.IgnoreTlog {
		return nil
	}
	if !l.fetchedPubs {
		l.fetchedPubs = true
		l.rekor, l.rekorErr = cosign.GetRekorPubs(l.ctx)
		l.ct, l.ctErr = cosign.GetCTLogPubs(l.ctx)
	}
	if l.rekorErr != nil {
		return verify.SigErrorf(verify.ClassPolicy, "transparency_log is required but the log's public keys are unavailable: %v", l.rekorErr)
	}
	co.RekorPubKeys = l.rekor
	if cert {
		if l.ctErr != nil {
			return verify.SigErrorf(verify.ClassPolicy, "transparency_log is required but the certificate log's public keys are unavailable: %v", l.ctErr)
		}
		co.CTLogPubKeys = l.ct
	}
	return nil
}
