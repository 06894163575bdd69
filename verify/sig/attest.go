package sig

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/sigstore/cosign/v2/pkg/cosign"

	"sdocker/verify"
)

// checkAttestations checks each attestation the rule requires: a bundle among the image's
// referrers whose signed statement is about this digest, has the required predicate type (read
// from the verified statement, never from the referrer's annotations or artifact type), is
// signed by one of the attestation's keys or identities, and whose predicate meets the
// conditions.
func (v *Verifier) checkAttestations(ev *evidence, rule verify.SigRule, base cosign.CheckOpts, lk *logKeys) ([]verify.AttestResult, error) {
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
		res, err := findAttestation(ev, a, signers)
		if err != nil {
			return nil, verify.SigErrorf(verify.ClassAttestation, "%s: attestation %d (%s): %v; to allow the image, attach a signed attestation that meets the rule, or change the rule's attestations", ev.dref, i, a.Type, err)
		}
		out = append(out, res)
	}
	return out, nil
}

// findAttestation returns the first attestation of a's type that a signer verifies and that
// meets a's conditions, or says what was found instead.
func findAttestation(ev *evidence, a verify.AttestRule, signers []*signer) (verify.AttestResult, error) {
	var found []string
	var types []string
	for _, fb := range ev.bundles {
		for _, s := range signers {
			res, err := s.verifyBundle(fb, ev.hash)
			if err != nil {
				continue
			}
			if res.predicateType != a.Type {
				types = append(types, res.predicateType)
				continue
			}
			checked, err := meets(res.predicate, a.Conditions)
			if err != nil {
				found = append(found, fmt.Sprintf("one by %s, but %v", res.by, err))
				continue
			}
			return verify.AttestResult{Type: a.Type, Format: verify.FormatBundle, By: res.by, Checked: checked, TransparencyLog: res.tlog}, nil
		}
	}
	if len(found) > 0 {
		return verify.AttestResult{}, fmt.Errorf("found %s", strings.Join(dedupe(found), "; "))
	}
	var trusted []string
	for _, s := range signers {
		trusted = append(trusted, s.name)
	}
	what := "no attestation of that type"
	if len(types) > 0 {
		what = "attestations of other types only (" + strings.Join(dedupe(types), ", ") + ")"
	}
	if len(ev.bundles) == 0 {
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
