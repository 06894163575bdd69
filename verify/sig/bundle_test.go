package sig

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/sigstore/sigstore/pkg/signature"

	"sdocker/verify"
	"sdocker/verify/sig/sigtest"
)

const slsaV1 = "https://slsa.dev/provenance/v1"

func provenance(builder, repo string) map[string]any {
	return map[string]any{
		"buildDefinition": map[string]any{
			"buildType":            "https://actions.github.io/buildtypes/workflow/v1",
			"externalParameters":   map[string]any{"workflow": map[string]any{"repository": repo, "ref": "refs/heads/main"}},
			"resolvedDependencies": []any{map[string]any{"uri": "git+" + repo + "@refs/heads/main"}},
		},
		"runDetails": map[string]any{"builder": map[string]any{"id": builder}},
	}
}

// Sigstore bundles (cosign v3's default format) beside legacy signatures, on registries with
// and without the referrers API: any trusted signature passes, an untrusted one never does.
func TestVerifyBundles(t *testing.T) {
	for _, api := range []bool{true, false} {
		name := "referrers tag schema"
		if api {
			name = "referrers API"
		}
		t.Run(name, func(t *testing.T) { testBundles(t, sigtest.NewRegistry(t, registry.WithReferrersSupport(api))) })
	}
}

func testBundles(t *testing.T, reg *sigtest.Registry) {
	dir := t.TempDir()
	team := sigtest.NewKey(t, dir, "team")
	other := sigtest.NewKey(t, dir, "other")
	ca := sigtest.NewCA(t, dir, "test-fulcio")
	log := sigtest.NewLog(t)
	plainRoot := ca.TrustedRoot(t, dir, nil)
	logRoot := ca.TrustedRoot(t, dir, log)
	otherLogRoot := ca.TrustedRoot(t, t.TempDir(), sigtest.NewLog(t))
	const subject, issuer = "ci@team.example", "https://issuer.example"
	const builder, repo = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml@refs/tags/v2.1.0", "https://github.com/team/api"
	leaf := func(o sigtest.LeafOptions) *sigtest.Leaf { return ca.Leaf(t, o) }
	good := sigtest.LeafOptions{Email: subject, Issuer: issuer}

	img := func(n string) string { return reg.Host + "/team/" + n + ":v1" }
	push := func(n string) name.Digest { return sigtest.PushRandom(t, img(n)) }
	bundle := func(d name.Digest, k *sigtest.Key, o sigtest.BundleOptions) {
		var s signature.Signer
		if k != nil {
			s = k.Signer
		}
		sigtest.SignBundle(t, d, s, o)
	}

	signed := push("signed")
	bundle(signed, team, sigtest.BundleOptions{})
	untrusted := push("untrusted")
	bundle(untrusted, other, sigtest.BundleOptions{})
	mixed := push("mixed") // someone else's referrer beside a valid legacy signature
	bundle(mixed, other, sigtest.BundleOptions{})
	sigtest.Sign(t, mixed, team.Signer, sigtest.SignOptions{})
	mixed2 := push("mixed2") // a valid bundle beside someone else's legacy signature
	bundle(mixed2, team, sigtest.BundleOptions{})
	sigtest.Sign(t, mixed2, other.Signer, sigtest.SignOptions{})
	junk := push("junk") // referrers anyone could push, beside a valid bundle
	sigtest.PushJunkReferrers(t, junk)
	bundle(junk, team, sigtest.BundleOptions{})
	junkOnly := push("junk-only")
	sigtest.PushJunkReferrers(t, junkOnly)
	copied := push("copied")
	bundle(copied, team, sigtest.BundleOptions{Subject: signed})
	sbomOnly := push("sbom-only")
	bundle(sbomOnly, team, sigtest.BundleOptions{PredicateType: "https://spdx.dev/Document"})
	twoKeys := push("two-keys")
	bundle(twoKeys, team, sigtest.BundleOptions{})
	sigtest.Sign(t, twoKeys, other.Signer, sigtest.SignOptions{})
	keyless := push("keyless")
	bundle(keyless, nil, sigtest.BundleOptions{Leaf: leaf(good)})
	wrongID := push("wrong-identity")
	bundle(wrongID, nil, sigtest.BundleOptions{Leaf: leaf(sigtest.LeafOptions{Email: "mallory@evil.example", Issuer: issuer})})
	wrongIss := push("wrong-issuer")
	bundle(wrongIss, nil, sigtest.BundleOptions{Leaf: leaf(sigtest.LeafOptions{Email: subject, Issuer: "https://evil.example"})})
	logged := push("logged")
	bundle(logged, nil, sigtest.BundleOptions{Leaf: leaf(good), Log: log})

	// Attestations.
	attested := push("attested")
	bundle(attested, team, sigtest.BundleOptions{})
	bundle(attested, team, sigtest.BundleOptions{PredicateType: slsaV1, Predicate: provenance(builder, repo)})
	wrongBuilder := push("wrong-builder")
	bundle(wrongBuilder, team, sigtest.BundleOptions{})
	bundle(wrongBuilder, team, sigtest.BundleOptions{PredicateType: slsaV1, Predicate: provenance("https://evil.example/builder", repo)})
	spoofed := push("spoofed") // the referrer claims SLSA, the signed statement is something else
	bundle(spoofed, team, sigtest.BundleOptions{})
	bundle(spoofed, team, sigtest.BundleOptions{PredicateType: "https://example.com/custom", AnnotatedType: slsaV1, Predicate: provenance(builder, repo)})
	untrustedAtt := push("untrusted-attestation")
	bundle(untrustedAtt, team, sigtest.BundleOptions{})
	bundle(untrustedAtt, other, sigtest.BundleOptions{PredicateType: slsaV1, Predicate: provenance(builder, repo)})
	copiedAtt := push("copied-attestation")
	bundle(copiedAtt, team, sigtest.BundleOptions{})
	bundle(copiedAtt, team, sigtest.BundleOptions{PredicateType: slsaV1, Predicate: provenance(builder, repo), Subject: attested})
	keylessAtt := push("keyless-attestation")
	bundle(keylessAtt, nil, sigtest.BundleOptions{Leaf: leaf(good)})
	bundle(keylessAtt, nil, sigtest.BundleOptions{Leaf: leaf(good), PredicateType: slsaV1, Predicate: provenance(builder, repo)})

	// Legacy attestations (.att).
	legacyAtt := push("legacy-attestation")
	bundle(legacyAtt, team, sigtest.BundleOptions{})
	sigtest.AttestLegacy(t, legacyAtt, team.Signer, name.Digest{}, slsaV1, provenance(builder, repo))
	legacyCopied := push("legacy-attestation-copied")
	bundle(legacyCopied, team, sigtest.BundleOptions{})
	sigtest.AttestLegacy(t, legacyCopied, team.Signer, legacyAtt, slsaV1, provenance(builder, repo))
	legacyOther := push("legacy-attestation-other-key")
	bundle(legacyOther, team, sigtest.BundleOptions{})
	sigtest.AttestLegacy(t, legacyOther, other.Signer, name.Digest{}, slsaV1, provenance(builder, repo))

	keys := func(mode string, k ...*sigtest.Key) verify.SigRule {
		r := verify.SigRule{KeysMode: mode}
		for _, k := range k {
			r.Keys = append(r.Keys, k.PubPath)
		}
		return r
	}
	id := verify.Identity{Subject: subject, Issuer: issuer}
	keylessRule := func(roots string, tlog bool) verify.SigRule {
		return verify.SigRule{Keyless: &verify.Keyless{Roots: roots, Identities: []verify.Identity{id}}, TransparencyLog: tlog}
	}
	slsa := verify.AttestRule{Type: slsaV1, Keys: []string{team.PubPath},
		Conditions: verify.AttestConditions{BuilderID: builder, SourceRepository: repo}}
	withAtt := func(r verify.SigRule, a ...verify.AttestRule) verify.SigRule { r.Attestations = a; return r }

	tests := []struct {
		name     string
		ref      string
		rule     verify.SigRule
		class    verify.Class // "" means verified
		want     string       // in the verifications (format by), or in the message on failure
		wantTlog bool
	}{
		{"key bundle", img("signed"), keys("", team), "", "sigstore-bundle key " + team.PubPath, false},
		{"untrusted bundle alone", img("untrusted"), keys("", team), verify.ClassUntrusted, "bundle: a key the policy does not list", true},
		{"untrusted bundle beside a valid legacy signature", img("mixed"), keys("", team), "", "legacy key " + team.PubPath, false},
		{"valid bundle beside an untrusted legacy signature", img("mixed2"), keys("", team), "", "sigstore-bundle key " + team.PubPath, false},
		{"junk referrers beside a valid bundle", img("junk"), keys("", team), "", "sigstore-bundle key " + team.PubPath, false},
		{"junk referrers alone", img("junk-only"), keys("", team), verify.ClassUntrusted, "an unreadable referrer", false},
		{"bundle copied from another image", img("copied"), keys("", team), verify.ClassUntrusted, "made for another image (sha256:" + signed.DigestStr()[7:], true},
		{"an attestation is not a signature", img("sbom-only"), keys("", team), verify.ClassUntrusted, "an attestation of type https://spdx.dev/Document", true},
		{"all keys, one per format", img("two-keys"), keys("all", team, other), "", "legacy key " + other.PubPath, false},
		{"keyless bundle, PEM roots", img("keyless"), keylessRule(ca.RootsPath, false), "", "sigstore-bundle identity " + subject + " (issuer " + issuer + ")", false},
		{"keyless bundle, trusted_root.json", img("keyless"), keylessRule(plainRoot, false), "", "sigstore-bundle identity " + subject, false},
		{"keyless wrong identity", img("wrong-identity"), keylessRule(ca.RootsPath, false), verify.ClassUntrusted, "mallory@evil.example", true},
		{"keyless wrong issuer", img("wrong-issuer"), keylessRule(ca.RootsPath, false), verify.ClassUntrusted, "https://evil.example", true},
		{"keyless bundle, key rule", img("keyless"), keys("", team), verify.ClassUntrusted, subject, true},
		{"log required, bundle without entry", img("keyless"), keylessRule(logRoot, true), verify.ClassUntrusted, "log", true},
		{"log required, bundle with entry", img("logged"), keylessRule(logRoot, true), "", "sigstore-bundle identity " + subject, true},
		{"log required, entry from an untrusted log", img("logged"), keylessRule(otherLogRoot, true), verify.ClassUntrusted, "log", true},
		{"attestation verified", img("attested"), withAtt(keys("", team), slsa), "", "sigstore-bundle key " + team.PubPath, false},
		{"attestation missing", img("signed"), withAtt(keys("", team), slsa), verify.ClassAttestation, "missing: found attestations of other types only (https://sigstore.dev/cosign/sign/v1)", true},
		{"attestation condition fails", img("wrong-builder"), withAtt(keys("", team), slsa), verify.ClassAttestation, `builder_id is "https://evil.example/builder", not "` + builder, true},
		{"attestation source fails", img("attested"), withAtt(keys("", team), verify.AttestRule{Type: slsaV1, Keys: []string{team.PubPath}, Conditions: verify.AttestConditions{SourceRepository: "https://github.com/team/other"}}), verify.ClassAttestation, `source_repository is "https://github.com/team/api"`, true},
		{"attestation predicate type spoofed", img("spoofed"), withAtt(keys("", team), slsa), verify.ClassAttestation, "missing", true},
		{"attestation by an untrusted key", img("untrusted-attestation"), withAtt(keys("", team), slsa), verify.ClassAttestation, "missing", true},
		{"attestation copied from another image", img("copied-attestation"), withAtt(keys("", team), slsa), verify.ClassAttestation, "missing", true},
		{"legacy attestation verified", img("legacy-attestation"), withAtt(keys("", team), slsa), "", slsaV1 + " key " + team.PubPath + " builder_id = " + builder, false},
		{"legacy attestation copied from another image", img("legacy-attestation-copied"), withAtt(keys("", team), slsa), verify.ClassAttestation, "missing", false},
		{"legacy attestation by an untrusted key", img("legacy-attestation-other-key"), withAtt(keys("", team), slsa), verify.ClassAttestation, "missing", false},
		{"keyless attestation", img("keyless-attestation"), withAtt(keylessRule(ca.RootsPath, false), verify.AttestRule{Type: slsaV1,
			Keyless: &verify.Keyless{Roots: ca.RootsPath, Identities: []verify.Identity{id}}, Conditions: verify.AttestConditions{BuilderID: builder}}), "", "identity " + subject, false},
		{"keyless attestation, wrong identity", img("keyless-attestation"), withAtt(keylessRule(ca.RootsPath, false), verify.AttestRule{Type: slsaV1,
			Keyless: &verify.Keyless{Roots: ca.RootsPath, Identities: []verify.Identity{{Subject: "release@team.example", Issuer: issuer}}}}), verify.ClassAttestation, "missing", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := verifyBoth(t, verify.SigRequest{Reference: tc.ref, Rule: tc.rule})
			if tc.class == "" {
				if err != nil {
					t.Fatalf("verify: %v", err)
				}
				var got []string
				for _, vf := range resp.Verified {
					got = append(got, vf.Format+" "+vf.By)
					if vf.TransparencyLog != tc.wantTlog {
						t.Errorf("transparency_log = %v for %+v", vf.TransparencyLog, vf)
					}
				}
				for _, a := range resp.Attestations {
					got = append(got, a.Type+" "+a.By+" "+strings.Join(a.Checked, ","))
				}
				if s := strings.Join(got, "; "); !strings.Contains(s, tc.want) {
					t.Errorf("verified %q, want %q in it", s, tc.want)
				}
				if len(tc.rule.Attestations) > 0 && len(resp.Attestations) != len(tc.rule.Attestations) {
					t.Errorf("attestations = %+v", resp.Attestations)
				}
				return
			}
			t.Log(err)
			var se *verify.SigError
			if !errors.As(err, &se) || se.Class != tc.class {
				t.Fatalf("err = %v, want a *verify.SigError of class %s", err, tc.class)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("message %q does not say %q", err.Error(), tc.want)
			}
		})
	}
}
