// Package sig verifies cosign signatures of images on a registry, in both formats: it resolves
// a reference to a manifest digest with docker's credentials and checks the digest's Sigstore
// bundles (with package bundle) and legacy signatures and attestations (with cosign as a
// library). It links cosign, so only the sdocker-verify-cosign helper imports it; sdocker
// itself speaks to it through verify.SigRequest and verify.SigResponse.
package sig

import (
	"context"
	"errors"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/cosign/v3/pkg/cosign"
	ociremote "github.com/sigstore/cosign/v3/pkg/oci/remote"
	"github.com/sigstore/sigstore-go/pkg/root"

	"sdocker/verify"
	"sdocker/verify/bundle"
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
	return v.bundles().VerifyWith(ctx, req, v.check)
}

// Resolve fetches the manifest req.Reference names (see bundle.Verifier.Resolve).
func (v *Verifier) Resolve(ctx context.Context, req verify.ResolveRequest) (verify.ResolveResponse, error) {
	return v.bundles().Resolve(ctx, req)
}

func (v *Verifier) bundles() *bundle.Verifier {
	return &bundle.Verifier{Keychain: v.Keychain, RemoteOptions: v.RemoteOptions}
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
	resp.Signers = bundle.Dedupe(resp.Signers)
	if resp.Attestations, err = v.checkAttestations(ctx, ev, rule, base, lk); err != nil {
		return verify.SigResponse{}, err
	}
	return resp, nil
}

// verifySigner looks for one signature that s verifies: a bundle (cosign v3's default) or a
// legacy signature. It fails only when none does, with what was found instead.
func (v *Verifier) verifySigner(ctx context.Context, ev *evidence, s *signer, lk *logKeys) (verify.Verification, error) {
	vf, ok, reasons, policyErr := s.FirstSignature(ev.bundles, ev.hash)
	if ok {
		return vf, nil
	}
	if len(ev.legacy) > 0 {
		co := s.co
		if err := lk.legacy(&co, s.Key == nil); err != nil {
			policyErr = err
			reasons = append(reasons, err.Error())
		} else {
			for _, sig := range ev.legacy {
				bundled, err := cosign.VerifyImageSignature(ctx, sig, ev.hash, &co)
				if err == nil && s.RequireTlog && !bundled {
					err = errors.New("the legacy signature has no transparency-log entry, which the policy requires")
				}
				if err != nil {
					reasons = append(reasons, err.Error())
					continue
				}
				by := s.Name
				if s.Key == nil {
					by = "identity " + describeSignature(sig, "")
				}
				return verify.Verification{Format: verify.FormatLegacy, By: by, TransparencyLog: bundled && s.RequireTlog}, nil
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
