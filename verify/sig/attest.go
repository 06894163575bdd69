package sig

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sigstore/cosign/v3/pkg/cosign"
	"github.com/sigstore/cosign/v3/pkg/oci"

	"sdocker/verify"
	"sdocker/verify/bundle"
)

// checkAttestations checks each attestation the rule requires: a bundle among the image's
// referrers whose signed statement is about this digest, has the required predicate type (read
// from the verified statement, never from the referrer's annotations or artifact type), is
// signed by one of the attestation's keys or identities, and whose predicate meets the
// conditions.
func (v *Verifier) checkAttestations(ctx context.Context, ev *evidence, rule verify.SigRule, base cosign.CheckOpts, lk *logKeys) ([]verify.AttestResult, error) {
	var out []verify.AttestResult
	for i, a := range rule.Attestations {
		ab := base
		ab.IgnoreTlog = !a.TransparencyLog
		var signers []*signer
		for _, path := range a.Keys {
			s, err := newKeySigner(path, ab, lk.trustedRoot)
			if err != nil {
				return nil, err
			}
			signers = append(signers, s)
		}
		if a.Keyless != nil {
			s, err := newKeylessSigner(a.Keyless, ab, lk.trustedRoot)
			if err != nil {
				return nil, err
			}
			signers = append(signers, s)
		}
		if len(signers) == 0 {
			return nil, verify.SigErrorf(verify.ClassPolicy, "attestation %s names no keys and no keyless identities to verify it with", a.Type)
		}
		res, err := findAttestation(ctx, ev, a, signers, lk)
		if errors.Is(err, verify.ErrPolicy) {
			return nil, err
		}
		// What could not be read may have held it: that says nothing about the image.
		if err != nil && ev.attErr != nil {
			return nil, bundle.ClassifyRegistry("fetching the attestations of "+ev.dref.String(), ev.attErr)
		}
		if err != nil && ev.bundleErr != nil {
			return nil, bundle.ClassifyRegistry("fetching the referrers of "+ev.dref.String(), ev.bundleErr)
		}
		if err != nil {
			return nil, verify.SigErrorf(verify.ClassAttestation, "%s: attestation %d (%s): %v; to allow the image, attach a signed attestation that meets the rule, or change the rule's attestations", ev.dref, i, a.Type, err)
		}
		out = append(out, res)
	}
	return out, nil
}

// findAttestation returns the first attestation of a's type that a signer verifies and that
// meets a's conditions, or says what was found instead.
func findAttestation(ctx context.Context, ev *evidence, a verify.AttestRule, signers []*signer, lk *logKeys) (verify.AttestResult, error) {
	var found []string
	var types []string
	for _, att := range ev.legacyAtts {
		for _, s := range signers {
			res, err := s.verifyLegacyAttestation(ctx, att, ev.hash, lk)
			if errors.Is(err, verify.ErrPolicy) {
				return verify.AttestResult{}, err
			}
			if err != nil {
				continue
			}
			if res.PredicateType != a.Type {
				types = append(types, res.PredicateType)
				continue
			}
			checked, err := meets(res.Predicate, a.Conditions)
			if err != nil {
				found = append(found, fmt.Sprintf("one by %s, but %v", res.By, err))
				continue
			}
			return verify.AttestResult{Type: a.Type, Format: verify.FormatLegacy, By: res.By, Checked: checked, TransparencyLog: res.Tlog}, nil
		}
	}
	for _, fb := range ev.bundles {
		for _, s := range signers {
			res, err := s.Verify(fb, ev.hash)
			if err != nil {
				continue
			}
			if res.PredicateType != a.Type {
				types = append(types, res.PredicateType)
				continue
			}
			checked, err := meets(res.Predicate, a.Conditions)
			if err != nil {
				found = append(found, fmt.Sprintf("one by %s, but %v", res.By, err))
				continue
			}
			return verify.AttestResult{Type: a.Type, Format: verify.FormatBundle, By: res.By, Checked: checked, TransparencyLog: res.Tlog}, nil
		}
	}
	if len(found) > 0 {
		return verify.AttestResult{}, fmt.Errorf("found %s", strings.Join(bundle.Dedupe(found), "; "))
	}
	var trusted []string
	for _, s := range signers {
		trusted = append(trusted, s.Name)
	}
	what := "no attestation of that type"
	if len(types) > 0 {
		what = "attestations of other types only (" + strings.Join(bundle.Dedupe(types), ", ") + ")"
	}
	if len(ev.bundles) == 0 && len(ev.legacyAtts) == 0 {
		what = "no attestation at all"
	}
	return verify.AttestResult{}, fmt.Errorf("missing: found %s verified by %s for this image", what, strings.Join(trusted, " or "))
}

// meets checks the conditions against a predicate and lists those that held.
func meets(pred map[string]any, c verify.AttestConditions) ([]string, error) {
	var checked []string
	if c.BuilderID != "" {
		got := firstString(pred, "runDetails.builder.id", "builder.id")
		if got != c.BuilderID {
			return nil, fmt.Errorf("its builder_id is %s, not %q", quoteOrNone(got), c.BuilderID)
		}
		checked = append(checked, "builder_id = "+got)
	}
	if c.SourceRepository != "" {
		got := firstString(pred,
			"buildDefinition.externalParameters.workflow.repository",
			"buildDefinition.externalParameters.source.uri",
			"buildDefinition.externalParameters.source",
			"buildDefinition.resolvedDependencies.0.uri",
			"invocation.configSource.uri",
			"materials.0.uri")
		if normalizeRepo(got) != normalizeRepo(c.SourceRepository) {
			return nil, fmt.Errorf("its source_repository is %s, not %q", quoteOrNone(got), c.SourceRepository)
		}
		checked = append(checked, "source_repository = "+got)
	}
	paths := make([]string, 0, len(c.Predicate))
	for p := range c.Predicate {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		got, ok := scalar(lookup(pred, p))
		if !ok || got != c.Predicate[p] {
			if !ok {
				got = "(none)"
			} else {
				got = strconv.Quote(got)
			}
			return nil, fmt.Errorf("its predicate.%s is %s, not %q", p, got, c.Predicate[p])
		}
		checked = append(checked, "predicate."+p+" = "+got)
	}
	return checked, nil
}

func quoteOrNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return strconv.Quote(s)
}

// firstString is the first of the dotted paths that holds a non-empty string.
func firstString(m map[string]any, paths ...string) string {
	for _, p := range paths {
		if s, ok := lookup(m, p).(string); ok && s != "" {
			return s
		}
	}
	return ""
}

// lookup follows a dotted path through maps and (by index) lists.
func lookup(v any, path string) any {
	for _, part := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[part]
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// scalar renders a JSON scalar the way a policy writes it.
func scalar(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case bool:
		return strconv.FormatBool(x), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	}
	return "", false
}

// normalizeRepo compares repositories as SLSA writes them: git+https://host/org/repo.git@ref
// is https://host/org/repo. Case is kept: some hosts tell Org/Repo from org/repo.
func normalizeRepo(s string) string {
	s = strings.TrimPrefix(strings.TrimSpace(s), "git+")
	if i := strings.Index(s, "://"); i >= 0 {
		if j := strings.LastIndex(s[i+3:], "@"); j >= 0 && strings.Contains(s[i+3:i+3+j], "/") {
			s = s[:i+3+j]
		}
	}
	return strings.TrimSuffix(strings.TrimSuffix(s, "/"), ".git")
}

// verifyLegacyAttestation verifies one legacy attestation (a DSSE envelope under the .att tag)
// against the signer, for the digest h, and reads its statement.
func (s *signer) verifyLegacyAttestation(ctx context.Context, att oci.Signature, h v1.Hash, lk *logKeys) (*bundle.Result, error) {
	co := s.co
	// The statement's subject must be this image.
	co.ClaimVerifier = cosign.IntotoSubjectClaimVerifier
	if err := lk.legacy(&co, s.Key == nil); err != nil {
		return nil, err
	}
	bundled, err := cosign.VerifyBlobAttestation(ctx, att, h, &co)
	if err != nil {
		return nil, err
	}
	if s.RequireTlog && !bundled {
		return nil, errors.New("the attestation has no transparency-log entry, which the policy requires")
	}
	payload, err := att.Payload()
	if err != nil {
		return nil, err
	}
	var env struct {
		PayloadType string `json:"payloadType"`
		Payload     string `json:"payload"`
	}
	if err := json.Unmarshal(payload, &env); err != nil {
		return nil, fmt.Errorf("reading the attestation's envelope: %w", err)
	}
	if env.PayloadType != "application/vnd.in-toto+json" {
		return nil, fmt.Errorf("the attestation's payload is %q, not an in-toto statement", env.PayloadType)
	}
	raw, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		return nil, fmt.Errorf("decoding the attestation's statement: %w", err)
	}
	var st struct {
		Subject []struct {
			Digest map[string]string `json:"digest"`
		} `json:"subject"`
		PredicateType string `json:"predicateType"`
		Predicate     any    `json:"predicate"`
	}
	if err := json.Unmarshal(raw, &st); err != nil {
		return nil, fmt.Errorf("reading the attestation's statement: %w", err)
	}
	about := false
	for _, sub := range st.Subject {
		if d, ok := sub.Digest[h.Algorithm]; ok && strings.EqualFold(d, h.Hex) {
			about = true
		}
	}
	if !about {
		return nil, fmt.Errorf("the attestation is not about %s", h)
	}
	by := s.Name
	if s.Key == nil {
		by = "identity " + describeSignature(att, "")
	}
	pred, _ := st.Predicate.(map[string]any) // an SBOM may be text: no conditions hold on it
	return &bundle.Result{By: by, PredicateType: st.PredicateType, Predicate: pred, Tlog: bundled && s.RequireTlog}, nil
}
