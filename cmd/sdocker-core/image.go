package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	specs "github.com/opencontainers/image-spec/specs-go/v1"

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

// imageID matches what docker may take as an image ID: a full ID or a prefix of its hex.
var imageID = regexp.MustCompile(`^(sha256:[0-9a-f]{64}|[0-9a-f]{12,64})$`)

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

// platformOf is the platform docker will take from a multi-platform image.
func platformOf(inv *wrapper.Invocation, e env) string {
	platform := e.getenv("DOCKER_DEFAULT_PLATFORM")
	for _, f := range inv.Flags {
		if f.Flag.Canonical() == "platform" {
			platform = f.Value
		}
	}
	return platform
}

// scanGate scans what docker is about to get: for run and create the local image docker will
// use, by its ID, when there is one of the platform asked for; else the image on its registry
// (the verified digest when there is one), and of an index the image docker will pull for the
// platform asked for, or the daemon's. It returns the reference that pins what was scanned (the
// local image ID, or repo@sha256:… of the very image scanned, never of an index), so that docker
// can neither pick another image nor have one swapped in between.
func scanGate(e env, p *defaults.Policy, inv *wrapper.Invocation, eng *wrapper.Engine, rule *defaults.ImageRule, name, pinned string) (string, error) {
	in, err := scanBase(e)
	if err != nil {
		return "", err
	}
	// A cold scan can outlast the door's daemon timeout; it gets its own, and Ctrl-C stops it.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, 15*time.Minute)
	defer cancel()
	why := fmt.Sprintf("scan required by rule %q, line %d", rule.Match, rule.Line)
	in.Name, in.Rule, in.RuleMatch, in.DockerConfig = name, rule.Scan, rule.Match, inv.ConfigDir(e.getenv)
	in.Ref, in.Source, in.FreshTag = name, verify.SourceRemote, inv.Command == "pull" || pullAlways(inv)
	if pinned != "" {
		in.Ref = pinned
	}
	asked := platformOf(inv, e)
	local := false
	if inv.Command != "pull" && !pullAlways(inv) {
		img, found, err := lookupLocal(ctx, eng, in.Ref)
		if err != nil {
			return "", err
		}
		if found {
			if local, err = img.takenFor(asked); err != nil {
				return "", &imageError{image: name, rule: why, err: err}
			}
			if !local {
				fmt.Fprintf(e.stderr, "sdocker: the local image %s is for %s, not %s: docker will pull another image, so the one on the registry is scanned\n",
					name, img.platform(), asked)
			}
		}
		if local {
			in.Ref, in.Source = img.ID, verify.SourceDocker
			if ep, err := inv.Endpoint(e.getenv); err == nil && ep.Local() {
				in.DockerHost = ep.Host
			}
		}
	}
	if !local {
		if in.Platform, err = pullPlatform(ctx, e, inv, eng, asked); err != nil {
			return "", &imageError{image: name, rule: why, err: err}
		}
	}
	rep, err := verify.Scan(ctx, in)
	var refused *verify.ScanRefusedError
	switch {
	case err != nil && p.Mode == defaults.ModeWarn:
		fmt.Fprintf(e.stderr, "sdocker: warning (mode: warn): would have refused image %s: %s\n", name, oneLine(err.Error()))
		return pinned, nil
	case errors.As(err, &refused):
		fmt.Fprintln(e.stderr, "sdocker: "+verify.RenderRefusal(refused.Report))
		return "", &silentError{code: exitFailure}
	case err != nil:
		return "", &imageError{image: name, rule: why, err: err}
	}
	for _, w := range rep.Warnings {
		fmt.Fprintln(e.stderr, "sdocker: warning: "+w)
	}
	fmt.Fprintln(e.stderr, "sdocker: "+verify.RenderSummary(rep))
	switch {
	case local:
		return in.Ref, nil
	case rep.Digest != "":
		if ref, err := verify.ParseRef(name); err == nil {
			return ref.Pinned(rep.Digest), nil
		}
	case rep.ScanError != "" && pinned != "":
		return pinned, nil // not scanned, as scan.on_error: allow lets it; the signature still pins it
	}
	return "", &imageError{image: name, rule: why,
		err: errors.New("the scanner did not report the digest it scanned, so docker could be handed another image")}
}

// pullPlatform is the platform docker will pull from an index: the one asked for, else the
// daemon's own.
func pullPlatform(ctx context.Context, e env, inv *wrapper.Invocation, eng *wrapper.Engine, asked string) (string, error) {
	if asked != "" {
		return asked, nil
	}
	info, err := eng.Info(ctx)
	if err != nil {
		return "", fmt.Errorf("asking the daemon for its platform: %w", err)
	}
	sameHost := false
	if ep, err := inv.Endpoint(e.getenv); err == nil {
		sameHost = ep.Local()
	}
	pl, err := verify.DaemonPlatform(info.OSType, info.Architecture, sameHost)
	if err != nil {
		return "", fmt.Errorf("%w; pass --platform (or set DOCKER_DEFAULT_PLATFORM) to say which image of an index docker will pull", err)
	}
	return verify.FormatPlatform(pl), nil
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
		local := s.UnverifiableLocal
		s = *p.ContentTrust
		if local != "" {
			s.UnverifiableLocal = local
		}
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
	if k := s.Keyless; k != nil {
		r.Keyless = &verify.Keyless{Roots: policyPath(base, k.Roots)}
		for _, id := range k.Identities {
			r.Keyless.Identities = append(r.Keyless.Identities, verify.Identity(id))
		}
	}
	return &sigRule{rule: r, allowLocal: s.UnverifiableLocal == "allow", name: name}, nil
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

func (img localImage) platform() string {
	return verify.FormatPlatform(specs.Platform{OS: img.OS, Architecture: img.Architecture, Variant: img.Variant})
}

// takenFor reports whether docker runs this local image for a container asked to run on the
// platform asked ("" when none was: docker then takes the local image, whatever its platform).
// A local image of another platform is not run: docker pulls the one asked for.
func (img localImage) takenFor(asked string) (bool, error) {
	if asked == "" {
		return true, nil
	}
	want, err := verify.ParsePlatform(asked)
	if err != nil {
		return false, err
	}
	return verify.LocalMatches(specs.Platform{OS: img.OS, Architecture: img.Architecture, Variant: img.Variant}, want), nil
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
	return fmt.Sprintf("%s is %s, signed by %s%s", ref, resp.Digest, strings.Join(resp.Signers, ", "), cached)
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
