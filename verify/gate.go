package verify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"sdocker/defaults"
)

// GateRequest is one image a door is about to hand the daemon, and how it will be used.
type GateRequest struct {
	// Image is the image as asked for.
	Image string
	// Pull: a pull (the tag is always resolved on the registry) rather than a run or create.
	Pull bool
	// AllTags: a pull of every tag, which cannot be checked tag by tag.
	AllTags bool
	// PullAlways: run/create with --pull=always (the local image is not what runs).
	PullAlways bool
	// Platform is the platform asked for (--platform, DOCKER_DEFAULT_PLATFORM), or "".
	Platform string
	// ContentTrust: DOCKER_CONTENT_TRUST asks for every image to be signed.
	ContentTrust bool
	// DockerConfig is the docker configuration directory, for registry credentials.
	DockerConfig string
}

// Daemon is what the gate asks of the daemon: one GET decoded.
type Daemon interface {
	Get(ctx context.Context, path string, out any) error
}

// GateEnv is what the gate works with.
type GateEnv struct {
	Policy *defaults.Policy
	Daemon Daemon
	// NotFound is the error Daemon wraps for a 404.
	NotFound error
	// DaemonPlatform is the platform the daemon pulls when none is asked for.
	DaemonPlatform func(ctx context.Context) (string, error)
	// LocalDockerHost is the daemon's address where trivy can read its images (a local daemon),
	// or "".
	LocalDockerHost string
	Getenv          func(string) string
	// Signatures checks signatures (and caches verifications).
	Signatures *SigChecker
	// ScanBase is what every scan shares (trivy, its database, the cache, progress).
	ScanBase func() (ScanInput, error)
	// Out receives what the gate says along the way.
	Out io.Writer
}

// Gate applies the policy's image rules (signature, scan) to the image of a run, create or pull,
// after the runtime decision allowed it. It returns the reference docker must be handed instead
// of the one asked for (repo@sha256:… or an image ID), or "" to keep it. What it says along the
// way (the verified digest and signers, the scan summary, warnings) goes to env.Out.
func Gate(ctx context.Context, env GateEnv, req GateRequest) (string, error) {
	return gate(ctx, env, req, true)
}

// GateSignatures applies the signature part of the gate alone (a door that cannot wait for a
// scan: the daemon's authorization plugin).
func GateSignatures(ctx context.Context, env GateEnv, req GateRequest) (string, error) {
	return gate(ctx, env, req, false)
}

func gate(ctx context.Context, env GateEnv, req GateRequest, scans bool) (string, error) {
	typed, p := req.Image, env.Policy
	dct := req.ContentTrust
	t, err := ruleTarget(ctx, env, req, typed, dct)
	if err != nil {
		return "", err
	}
	rule := p.ImageRule(t.name)
	if dct {
		fmt.Fprintln(env.Out, "sdocker: DOCKER_CONTENT_TRUST is set: every image must carry a cosign signature trusted by the policy (Notary v1 is not used)")
	}
	sr, err := SignatureRule(p, rule, t.name, dct)
	if err != nil {
		return "", err
	}
	scan := scans && rule != nil && rule.Scan.Required
	if (sr != nil || scan) && req.Pull && req.AllTags {
		why := "DOCKER_CONTENT_TRUST"
		if rule != nil {
			why = fmt.Sprintf("rule %q (line %d)", rule.Match, rule.Line)
		}
		return "", &ImageError{Image: typed, Rule: why, Err: &SigError{Class: ClassPolicy,
			Message: "images are checked tag by tag: pull the tags you need one at a time instead of --all-tags"}}
	}
	pinned := ""
	switch {
	case sr == nil:
	case !t.verifiable:
		if pinned, err = localOnly(env, t.name, sr); err != nil {
			return "", err
		}
	default:
		if pinned, err = checkSignature(ctx, env, req, sr, t.name); err != nil {
			return "", err
		}
	}
	if scan {
		return scanGate(env, req, rule, t.name, pinned)
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

// isImageID: s is what the daemon may take as an image ID: the ID or any prefix of its hex,
// with or without sha256: (the daemon looks a name up first, then an ID by prefix).
func isImageID(s string) bool {
	h := strings.TrimPrefix(s, "sha256:")
	return len(h) >= 1 && len(h) <= 64 && isLowerHex(h)
}

// ruleTarget finds the name whose rule applies. IMAGE is usually that name; but an image ID
// names no repository, so a local image given by ID is judged by the names the daemon knows it
// by (its repo digests first, which can be verified, then its tags): the first one whose rule
// asks for a check. A nameless image is judged by the rule that matches its ID.
func ruleTarget(ctx context.Context, env GateEnv, req GateRequest, typed string, dct bool) (target, error) {
	p := env.Policy
	t := target{name: typed, verifiable: true}
	if req.Pull || !isImageID(typed) {
		return t, nil
	}
	img, found, err := lookupLocal(ctx, env, typed)
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

// ContentTrust reads DOCKER_CONTENT_TRUST the way the docker CLI does: set and not false.
func ContentTrust(getenv func(string) string) bool {
	v := getenv("DOCKER_CONTENT_TRUST")
	if v == "" {
		return false
	}
	on, err := strconv.ParseBool(v)
	return on || err != nil
}

// SigRequirement is a resolved signature requirement and what to do with local-only images.
type SigRequirement struct {
	Rule SigRule
	// AllowLocal lets a local image with no repo digest through (signature.unverifiable_local).
	AllowLocal bool
	// Name says where the requirement comes from, for messages.
	Name string
}

// SignatureRule resolves the signature requirement for ref: the matching rule's keys or keyless
// identities, else the policy's content_trust where the rule says only required: true or
// DOCKER_CONTENT_TRUST is set. nil means no signature is required.
func SignatureRule(p *defaults.Policy, rule *defaults.ImageRule, ref string, dct bool) (*SigRequirement, error) {
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
			return nil, &SigError{Class: ClassPolicy, Message: fmt.Sprintf(
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
	r := SigRule{KeysMode: s.KeysMode, TransparencyLog: s.TransparencyLog}
	for _, k := range s.Keys {
		r.Keys = append(r.Keys, policyPath(base, k))
	}
	r.Keyless = keylessRule(base, s.Keyless)
	for _, a := range s.Attestations {
		ar := AttestRule{Type: defaults.PredicateTypeURI(a.Type), Keyless: keylessRule(base, a.Keyless),
			TransparencyLog: s.TransparencyLog, Conditions: AttestConditions(a.Conditions)}
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
	return &SigRequirement{Rule: r, AllowLocal: s.UnverifiableLocal == "allow", Name: name}, nil
}

// keylessRule resolves a keyless requirement's roots against the policy's directory.
func keylessRule(base string, k *defaults.Keyless) *Keyless {
	if k == nil {
		return nil
	}
	out := &Keyless{Roots: policyPath(base, k.Roots)}
	for _, id := range k.Identities {
		out.Identities = append(out.Identities, Identity(id))
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

// LocalImage is what the daemon says of an image it has.
type LocalImage struct {
	ID           string   `json:"Id"`
	RepoTags     []string `json:"RepoTags"`
	RepoDigests  []string `json:"RepoDigests"`
	OS           string   `json:"Os"`
	Architecture string   `json:"Architecture"`
	Variant      string   `json:"Variant"`
}

// lookupLocal asks the daemon about an image it may have. Like the docker CLI, the name goes
// into the path as is: its slashes are part of it.
func lookupLocal(ctx context.Context, env GateEnv, name string) (LocalImage, bool, error) {
	var img LocalImage
	err := env.Daemon.Get(ctx, "/images/"+name+"/json", &img)
	switch {
	case errors.Is(err, env.NotFound):
		return img, false, nil
	case err != nil:
		return img, false, fmt.Errorf("asking the daemon about image %s: %w", name, err)
	}
	return img, true, nil
}

// checkSignature verifies the image's signature and returns it pinned to the verified digest.
// An image the daemon already has is verified by its repo digest (the digest docker will use);
// a pull, or an image not present, is resolved on the registry.
func checkSignature(ctx context.Context, env GateEnv, gr GateRequest, sr *SigRequirement, typed string) (string, error) {
	p := env.Policy
	ref, err := ParseRef(typed)
	if err != nil {
		return "", &SigError{Class: ClassPolicy, Message: err.Error()}
	}
	req := SigRequest{Reference: typed, Rule: sr.Rule, DockerConfig: gr.DockerConfig}
	if ref.Digest == "" && !gr.Pull && !gr.PullAlways {
		img, found, err := lookupLocal(ctx, env, typed)
		if found && err == nil {
			// A local image of another platform than the one asked for is not what docker runs:
			// it pulls the tag, so the tag is what is verified.
			found, err = img.TakenFor(gr.Platform)
		}
		switch {
		case err != nil:
			return "", err
		case found:
			d, ok := RepoDigest(img.RepoDigests, ref.Repo)
			if !ok {
				return localOnly(env, typed, sr)
			}
			req.Digest = d
		}
	}
	checker := env.Signatures
	resp, err := checker.Check(ctx, req, !gr.Pull)
	if err != nil && req.Digest != "" {
		// A local image pulled by the digest of its index's image (as the scan gate pulls it).
		if r, childErr := checker.CheckIndexChild(ctx, req, HelperResolver{Getenv: env.Getenv}, err); childErr == nil {
			resp, err = r, nil
		}
	}
	if err != nil {
		var se *SigError
		if p.Mode == defaults.ModeWarn && errors.As(err, &se) && se.Class != ClassPolicy {
			fmt.Fprintf(env.Out, "sdocker: warning (mode: warn): would have refused image %s (%s): %s\n", typed, sr.Name, oneLine(err.Error()))
			if resp.Digest != "" {
				return ref.Pinned(resp.Digest), nil
			}
			return "", nil
		}
		return "", &ImageError{Image: typed, Rule: sr.Name, Err: err}
	}
	fmt.Fprintln(env.Out, "sdocker: "+VerifiedLine(ref, resp))
	return ref.Pinned(resp.Digest), nil
}

// VerifiedLine says which digest the reference resolved to and who signed it.
func VerifiedLine(ref Ref, resp SigResponse) string {
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
	if format == FormatBundle {
		name = "Sigstore bundle"
	}
	if tlog {
		name += ", in the transparency log"
	}
	return name
}

// localOnly handles a local image with no repo digest: nothing was pulled, so there is no
// registry digest to check a signature against.
func localOnly(env GateEnv, typed string, sr *SigRequirement) (string, error) {
	p := env.Policy
	if sr.AllowLocal {
		fmt.Fprintf(env.Out, "sdocker: warning: %s is a local image with no repo digest; running it unverified, as %s allows (signature.unverifiable_local: allow)\n", typed, sr.Name)
		return "", nil
	}
	err := &SigError{Class: ClassLocal, Message: fmt.Sprintf(
		"%s has no repo digest (it was built or loaded here), so no signature can be checked; push it to a registry, sign it, and pull it, or set signature.unverifiable_local: allow", typed)}
	if p.Mode == defaults.ModeWarn {
		fmt.Fprintf(env.Out, "sdocker: warning (mode: warn): would have refused image %s (%s): %s\n", typed, sr.Name, err)
		return "", nil
	}
	return "", &ImageError{Image: typed, Rule: sr.Name, Err: err}
}

// ImageError is a refused image: nothing is pulled or run.
type ImageError struct {
	Image, Rule string
	Err         error
}

func (e *ImageError) Error() string {
	return fmt.Sprintf("refused image %s (%s): %v", e.Image, e.Rule, e.Err)
}

func (e *ImageError) Unwrap() error { return e.Err }
