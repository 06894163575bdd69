package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"sdocker/defaults"
	"sdocker/verify"
	"sdocker/wrapper"
)

// checkImage applies the policy's image rules (signature, scan) to the image of a run, create
// or pull, after the runtime decision allowed it. It returns the reference docker must use
// instead of the one typed (repo@sha256:… or an image ID), or "" to keep it.
func checkImage(ctx context.Context, e env, p *defaults.Policy, inv *wrapper.Invocation, eng *wrapper.Engine) (string, error) {
	typed := inv.Image()
	dct := contentTrust(e.getenv)
	t, err := ruleTarget(ctx, p, inv, eng, typed, dct)
	if err != nil {
		return "", err
	}
	rule := p.ImageRule(t.name)
	if dct {
		fmt.Fprintln(e.stderr, "sdocker: DOCKER_CONTENT_TRUST is set: every image must carry a cosign signature trusted by the policy (Notary v1 is not used)")
		// sdocker has made the check; docker must not try Notary on top of it.
		os.Unsetenv("DOCKER_CONTENT_TRUST")
	}
	sr, err := signatureRule(p, rule, t.name, dct)
	if err != nil {
		return "", err
	}
	scan := rule != nil && rule.Scan.Required
	if (sr != nil || scan) && inv.Command == "pull" && inv.Has("all-tags") {
		why := "DOCKER_CONTENT_TRUST"
		if rule != nil {
			why = fmt.Sprintf("rule %q (line %d)", rule.Match, rule.Line)
		}
		return "", &imageError{image: typed, rule: why, err: &verify.SigError{Class: verify.ClassPolicy,
			Message: "images are checked tag by tag: pull the tags you need one at a time instead of --all-tags"}}
	}
	pinned := ""
	switch {
	case sr == nil:
	case !t.verifiable:
		if pinned, err = localOnly(e, p, t.name, sr); err != nil {
			return "", err
		}
	default:
		if pinned, err = checkSignature(ctx, e, p, inv, eng, sr, t.name); err != nil {
			return "", err
		}
	}
	if scan {
		return scanGate(e, p, inv, eng, rule, t.name, pinned)
	}
	return pinned, nil
}

// target is the name whose image rule applies to IMAGE.
type target struct {
	name string
	// verifiable is false for a local image known by no repo digest: no signature can be
	// checked for it.
	verifiable bool
}

// imageID matches what the daemon may take as an image ID: the ID or any prefix of its hex,
// with or without sha256: (the daemon looks a name up first, then an ID by prefix).
var imageID = regexp.MustCompile(`^(sha256:)?[0-9a-f]{1,64}$`)

// ruleTarget finds the name whose rule applies. IMAGE is usually that name; but an image ID
// names no repository, so a local image given by ID is judged by the names the daemon knows it
// by (its repo digests first, which can be verified, then its tags): the first one whose rule
// asks for a check. A nameless image is judged by the rule that matches its ID.
func ruleTarget(ctx context.Context, p *defaults.Policy, inv *wrapper.Invocation, eng *wrapper.Engine, typed string, dct bool) (target, error) {
	t := target{name: typed, verifiable: true}
	if inv.Command == "pull" || !imageID.MatchString(typed) {
		return t, nil
	}
	img, found, err := lookupLocal(ctx, eng, typed)
	if err != nil || !found || !strings.HasPrefix(img.ID, "sha256:"+strings.TrimPrefix(typed, "sha256:")) {
		return t, err // a repository named like an ID, or no local image: docker reads it as a name
	}
	var names []target
	for _, rd := range img.RepoDigests {
		names = append(names, target{name: rd, verifiable: true})
	}
	for _, tag := range img.RepoTags {
		names = append(names, target{name: tag})
	}
	if len(names) == 0 {
		return target{name: typed}, nil
	}
	for _, n := range names {
		if r := p.ImageRule(n.name); dct || (r != nil && (r.Signature.Required || r.Scan.Required)) {
			return n, nil
		}
	}
	return names[0], nil
}

// contentTrust reads DOCKER_CONTENT_TRUST the way the docker CLI does: set and not false.
func contentTrust(getenv func(string) string) bool {
	v := getenv("DOCKER_CONTENT_TRUST")
	if v == "" {
		return false
	}
	on, err := strconv.ParseBool(v)
	return on || err != nil
}

// sigRule is a resolved signature requirement and what to do with local-only images.
type sigRule struct {
	rule verify.SigRule
	// allowLocal lets a local image with no repo digest through (signature.unverifiable_local).
	allowLocal bool
	// name says where the requirement comes from, for messages.
	name string
}

// signatureRule resolves the signature requirement for ref: the matching rule's keys or keyless
// identities, else the policy's content_trust where the rule says only required: true or
// DOCKER_CONTENT_TRUST is set. nil means no signature is required.
func signatureRule(p *defaults.Policy, rule *defaults.ImageRule, ref string, dct bool) (*sigRule, error) {
	var s defaults.Signature
	name := "DOCKER_CONTENT_TRUST"
	if rule != nil {
		s = rule.Signature
		name = fmt.Sprintf("rule %q (line %d)", rule.Match, rule.Line)
	}
	if len(s.Keys) == 0 && s.Keyless == nil {
		if !s.Required && !dct {
			return nil, nil
		}
		if p.ContentTrust == nil {
			return nil, &verify.SigError{Class: verify.ClassPolicy, Message: fmt.Sprintf(
				"%s requires a signature on %s, but the policy names no keys or keyless identities for it: add them to the rule or to content_trust", name, ref)}
		}
		local, atts := s.UnverifiableLocal, s.Attestations
		s = *p.ContentTrust
		if local != "" {
			s.UnverifiableLocal = local
		}
		// content_trust lends its keys: its attestations and the rule's all stand.
		s.Attestations = append(append([]defaults.Attestation(nil), atts...), p.ContentTrust.Attestations...)
		name += " with the policy's content_trust"
	}
	base := ""
	if strings.ContainsRune(p.Source, filepath.Separator) {
		base = filepath.Dir(p.Source)
	}
	r := verify.SigRule{KeysMode: s.KeysMode, TransparencyLog: s.TransparencyLog}
	for _, k := range s.Keys {
		r.Keys = append(r.Keys, policyPath(base, k))
	}
	r.Keyless = keylessRule(base, s.Keyless)
	for _, a := range s.Attestations {
		ar := verify.AttestRule{Type: defaults.PredicateTypeURI(a.Type), Keyless: keylessRule(base, a.Keyless),
			TransparencyLog: s.TransparencyLog, Conditions: verify.AttestConditions(a.Conditions)}
		for _, k := range a.Keys {
			ar.Keys = append(ar.Keys, policyPath(base, k))
		}
		if a.TransparencyLog != nil {
			ar.TransparencyLog = *a.TransparencyLog
		}
		if len(ar.Keys) == 0 && ar.Keyless == nil {
			// Verified like the signature: by its keys or identities.
			ar.Keys, ar.Keyless = r.Keys, r.Keyless
		}
		r.Attestations = append(r.Attestations, ar)
	}
	return &sigRule{rule: r, allowLocal: s.UnverifiableLocal == "allow", name: name}, nil
}

// keylessRule resolves a keyless requirement's roots against the policy's directory.
func keylessRule(base string, k *defaults.Keyless) *verify.Keyless {
	if k == nil {
		return nil
	}
	out := &verify.Keyless{Roots: policyPath(base, k.Roots)}
	for _, id := range k.Identities {
		out.Identities = append(out.Identities, verify.Identity(id))
	}
	return out
}

// policyPath reads a relative path in a policy file as relative to that file.
func policyPath(base, p string) string {
	if base == "" || p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(base, p)
}

// localImage is what the daemon says of an image it has.
type localImage struct {
	ID           string   `json:"Id"`
	RepoTags     []string `json:"RepoTags"`
	RepoDigests  []string `json:"RepoDigests"`
	OS           string   `json:"Os"`
	Architecture string   `json:"Architecture"`
	Variant      string   `json:"Variant"`
}

// lookupLocal asks the daemon about an image it may have. Like the docker CLI, the name goes
// into the path as is: its slashes are part of it.
func lookupLocal(ctx context.Context, eng *wrapper.Engine, name string) (localImage, bool, error) {
	var img localImage
	err := eng.Get(ctx, "/images/"+name+"/json", &img)
	switch {
	case errors.Is(err, wrapper.ErrNotFound):
		return img, false, nil
	case err != nil:
		return img, false, fmt.Errorf("asking the daemon about image %s: %w", name, err)
	}
	return img, true, nil
}

// checkSignature verifies the image's signature and returns it pinned to the verified digest.
// An image the daemon already has is verified by its repo digest (the digest docker will use);
// a pull, or an image not present, is resolved on the registry.
func checkSignature(ctx context.Context, e env, p *defaults.Policy, inv *wrapper.Invocation, eng *wrapper.Engine, sr *sigRule, typed string) (string, error) {
	ref, err := verify.ParseRef(typed)
	if err != nil {
		return "", &verify.SigError{Class: verify.ClassPolicy, Message: err.Error()}
	}
	req := verify.SigRequest{Reference: typed, Rule: sr.rule, DockerConfig: inv.ConfigDir(e.getenv)}
	if ref.Digest == "" && inv.Command != "pull" && !pullAlways(inv) {
		img, found, err := lookupLocal(ctx, eng, typed)
		if found && err == nil {
			// A local image of another platform than the one asked for is not what docker runs:
			// it pulls the tag, so the tag is what is verified.
			found, err = img.takenFor(platformOf(inv, e))
		}
		switch {
		case err != nil:
			return "", err
		case found:
			d, ok := verify.RepoDigest(img.RepoDigests, ref.Repo)
			if !ok {
				return localOnly(e, p, typed, sr)
			}
			req.Digest = d
		}
	}
	checker := signatureChecker(e)
	resp, err := checker.Check(ctx, req, inv.Command != "pull")
	if err != nil && req.Digest != "" {
		// A local image pulled by the digest of its index's image (as the scan gate pulls it).
		if r, childErr := checker.CheckIndexChild(ctx, req, verify.HelperResolver{Getenv: e.getenv}, err); childErr == nil {
			resp, err = r, nil
		}
	}
	if err != nil {
		var se *verify.SigError
		if p.Mode == defaults.ModeWarn && errors.As(err, &se) && se.Class != verify.ClassPolicy {
			fmt.Fprintf(e.stderr, "sdocker: warning (mode: warn): would have refused image %s (%s): %s\n", typed, sr.name, oneLine(err.Error()))
			if resp.Digest != "" {
				return ref.Pinned(resp.Digest), nil
			}
			return "", nil
		}
		return "", &imageError{image: typed, rule: sr.name, err: err}
	}
	fmt.Fprintln(e.stderr, "sdocker: "+verifiedLine(ref, resp))
	return ref.Pinned(resp.Digest), nil
}

// verifiedLine says which digest the reference resolved to and who signed it.
func verifiedLine(ref verify.Ref, resp verify.SigResponse) string {
	cached := ""
	if resp.Cached {
		cached = " (cached verification)"
	}
	signers := strings.Join(resp.Signers, ", ")
	if len(resp.Verified) > 0 {
		var by []string
		for _, v := range resp.Verified {
			by = append(by, v.By+" ("+formatName(v.Format, v.TransparencyLog)+")")
		}
		signers = strings.Join(by, ", ")
	}
	var atts string
	for _, a := range resp.Attestations {
		atts += fmt.Sprintf("; attested %s by %s", a.Type, a.By)
		if len(a.Checked) > 0 {
			atts += " (" + strings.Join(a.Checked, ", ") + ")"
		}
	}
	return fmt.Sprintf("%s is %s, signed by %s%s%s", ref, resp.Digest, signers, atts, cached)
}

// formatName words a signature format for a person.
func formatName(format string, tlog bool) string {
	name := "legacy signature"
	if format == verify.FormatBundle {
		name = "Sigstore bundle"
	}
	if tlog {
		name += ", in the transparency log"
	}
	return name
}

// localOnly handles a local image with no repo digest: nothing was pulled, so there is no
// registry digest to check a signature against.
func localOnly(e env, p *defaults.Policy, typed string, sr *sigRule) (string, error) {
	if sr.allowLocal {
		fmt.Fprintf(e.stderr, "sdocker: warning: %s is a local image with no repo digest; running it unverified, as %s allows (signature.unverifiable_local: allow)\n", typed, sr.name)
		return "", nil
	}
	err := &verify.SigError{Class: verify.ClassLocal, Message: fmt.Sprintf(
		"%s has no repo digest (it was built or loaded here), so no signature can be checked; push it to a registry, sign it, and pull it, or set signature.unverifiable_local: allow", typed)}
	if p.Mode == defaults.ModeWarn {
		fmt.Fprintf(e.stderr, "sdocker: warning (mode: warn): would have refused image %s (%s): %s\n", typed, sr.name, err)
		return "", nil
	}
	return "", &imageError{image: typed, rule: sr.name, err: err}
}

func pullAlways(inv *wrapper.Invocation) bool {
	for _, f := range inv.Flags {
		if f.Flag.Canonical() == "pull" && f.Value == "always" {
			return true
		}
	}
	return false
}

// signatureChecker caches verifications in the user's cache directory; without one, every
// check goes to the registry.
func signatureChecker(e env) *verify.SigChecker {
	c := &verify.SigChecker{Getenv: e.getenv}
	if dir, err := verify.DefaultCacheDir(e.getenv, "signatures"); err == nil {
		c.Cache = &verify.Cache{Dir: dir}
	}
	return c
}

// imageError is a refused image: nothing is pulled or run.
type imageError struct {
	image, rule string
	err         error
}

func (e *imageError) Error() string {
	return fmt.Sprintf("refused image %s (%s): %v", e.image, e.rule, e.err)
}

func (e *imageError) Unwrap() error { return e.err }
