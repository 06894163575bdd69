package verify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"sdocker/wrapper/argv"
)

// Cache lifetimes: a verified digest stays verified for DigestTTL; a tag is trusted to point at
// the same digest for TagTTL (pull always asks the registry again).
const (
	DigestTTL = 24 * time.Hour
	TagTTL    = argv.TagTTL
)

// HelperName is the helper binary that verifies signatures (with sigstore-go) and reads
// manifests; sdocker itself links neither. It checks Sigstore bundles itself and hands what
// needs cosign to CosignHelperName.
const HelperName = "sdocker-verify"

// CosignHelperName is the helper binary that links cosign: legacy signatures and attestations,
// and transparency logs. It costs two milliseconds more to start than HelperName, so a check
// goes to it only when the bundles alone cannot decide it (see NeedsCosign).
const CosignHelperName = "sdocker-verify-cosign"

// SigChecker verifies image signatures: from the cache when it can, else through the helper.
type SigChecker struct {
	// Cache, when non-nil, answers warm checks with no registry request and no helper.
	Cache *Cache
	// Helper is the path of sdocker-verify; "" means FindHelper.
	Helper string
	// Getenv reads the environment (SDOCKER_VERIFY, PATH); nil means os.Getenv.
	Getenv func(string) string
	// Prestarted, when set, is the helper the front started for this command: the first check
	// that goes to a helper of its path is its request. Whoever sets it discards it at the end.
	Prestarted *Prestarted
}

// Check verifies req. A digest reference, or a request with Digest set, is answered from the
// cache when a verification of that digest under the same rule is live; a tag is answered
// from the cache only when useTagCache is set. Failures are never cached.
func (c *SigChecker) Check(ctx context.Context, req SigRequest, useTagCache bool) (SigResponse, error) {
	ref, err := ParseRef(req.Reference)
	if err != nil {
		return SigResponse{}, SigErrorf(ClassPolicy, "%v", err)
	}
	rk, err := RuleKey(req.Rule)
	if err != nil {
		return SigResponse{}, err
	}
	digest := req.Digest
	if digest == "" {
		digest = ref.Digest
	}
	tagKey := "tag\x00" + rk + "\x00" + FullRepo(ref.Repo) + ":" + ref.TagOrLatest()
	if c.Cache != nil {
		var resp SigResponse
		switch {
		case digest != "" && c.Cache.Get(DigestKey(rk, ref.Repo, digest), &resp):
			resp.Cached = true
			return resp, nil
		case digest == "" && useTagCache && c.Cache.Get(tagKey, &resp):
			resp.Cached = true
			return resp, nil
		}
		req.CacheDir = c.Cache.Dir
	}
	resp, err := c.runHelper(ctx, req)
	if err != nil {
		return resp, err
	}
	if c.Cache != nil && digest == "" && resp.Digest != "" {
		// Best effort: a cache that cannot be written only costs the next check its speed.
		_ = c.Cache.Put(tagKey, SigResponse{Digest: resp.Digest, Signers: resp.Signers, Verified: resp.Verified, Attestations: resp.Attestations}, TagTTL)
	}
	return resp, nil
}

// DigestKey is the cache key of a verified digest under a rule (by RuleKey) in a repository.
func DigestKey(ruleKey, repo, digest string) string {
	return "sig\x00" + ruleKey + "\x00" + FullRepo(repo) + "@" + digest
}

// RuleKey identifies a rule for the cache: its settings and the content of its key and root
// files, so that editing the policy or replacing a key invalidates earlier verifications.
func RuleKey(r SigRule) (string, error) {
	if len(r.Keys) == 0 && r.Keyless == nil {
		return "", SigErrorf(ClassPolicy, "a signature is required but the rule names no keys and no keyless identities")
	}
	h := sha256.New()
	spec, _ := json.Marshal(r)
	h.Write(spec)
	files := append([]string(nil), r.Keys...)
	if r.Keyless != nil {
		files = append(files, r.Keyless.Roots)
	}
	for _, a := range r.Attestations {
		files = append(files, a.Keys...)
		if a.Keyless != nil {
			files = append(files, a.Keyless.Roots)
		}
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return "", SigErrorf(ClassPolicy, "reading %s: %v", f, err)
		}
		sum := sha256.Sum256(data)
		h.Write(sum[:])
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// FindHelper locates sdocker-verify: $SDOCKER_VERIFY, then next to the running executable,
// then on PATH.
func FindHelper(getenv func(string) string) (string, error) {
	if p, ok := argv.FindCompanion(HelperName, "SDOCKER_VERIFY", getenv); ok {
		return p, nil
	}
	return "", SigErrorf(ClassUnverifiable, "the %s helper was found neither next to sdocker nor on PATH (set SDOCKER_VERIFY)", HelperName)
}

// FindCosignHelper locates sdocker-verify-cosign: $SDOCKER_VERIFY_COSIGN, then next to the
// running executable, then on PATH.
func FindCosignHelper(getenv func(string) string) (string, error) {
	if p, ok := argv.FindCompanion(CosignHelperName, "SDOCKER_VERIFY_COSIGN", getenv); ok {
		return p, nil
	}
	return "", SigErrorf(ClassUnverifiable, "the %s helper was found neither next to %s nor on PATH (set SDOCKER_VERIFY_COSIGN)", CosignHelperName, HelperName)
}

// NeedsCosign reports whether a check under r needs cosign whatever the image holds: a
// transparency-log entry or an attestation is required. Any other check is decided by the
// image's Sigstore bundles when they verify, and needs cosign only for legacy signatures.
func NeedsCosign(r SigRule) bool {
	if r.TransparencyLog {
		return true
	}
	return len(r.Attestations) > 0
}

func (c *SigChecker) runHelper(ctx context.Context, req SigRequest) (SigResponse, error) {
	getenv := c.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	path := c.Helper
	if path == "" && getenv("SDOCKER_VERIFY") == "" && NeedsCosign(req.Rule) {
		// Straight to cosign: sdocker-verify would only hand the check over. Without it,
		// sdocker-verify answers why.
		path, _ = FindCosignHelper(getenv)
	}
	if path == "" {
		var err error
		if path, err = FindHelper(getenv); err != nil {
			return SigResponse{}, err
		}
	}
	if p := c.Prestarted; p != nil && p.Path == path {
		c.Prestarted = nil
		return p.ask(ctx, req)
	}
	return AskHelper(ctx, path, req)
}

// AskHelper sends req to the verification helper at path and returns its answer; a failed
// check is a *SigError, and so is a helper that gives no readable answer.
func AskHelper(ctx context.Context, path string, req SigRequest) (SigResponse, error) {
	in, err := json.Marshal(req)
	if err != nil {
		return SigResponse{}, fmt.Errorf("encoding the verification request: %w", err)
	}
	var resp SigResponse
	if err := callHelper(ctx, path, nil, in, &resp); err != nil {
		return SigResponse{}, err
	}
	return checkAnswer(path, resp)
}

// checkAnswer turns a helper's answer into the check's result.
func checkAnswer(path string, resp SigResponse) (SigResponse, error) {
	if resp.Error != nil {
		return resp, resp.Error
	}
	if resp.Digest == "" {
		return resp, SigErrorf(ClassUnverifiable, "%s answered with no digest", path)
	}
	return resp, nil
}

// callHelper runs the sdocker-verify helper (with args, e.g. "resolve") on one JSON request and
// decodes its JSON answer into out. A helper that answers nothing readable could not verify.
func callHelper(ctx context.Context, path string, args []string, in []byte, out any) error {
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = append(os.Environ(), argv.HelperEnv...)
	cmd.Stdin = bytes.NewReader(in)
	var stdout, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &errOut
	runErr := cmd.Run()
	return decodeAnswer(ctx, strings.Join(append([]string{path}, args...), " "), stdout.Bytes(), errOut.String(), runErr, out)
}

// decodeAnswer decodes a helper's answer into out: a helper that answered nothing readable
// could not verify, and its stderr and exit status say why.
func decodeAnswer(ctx context.Context, what string, stdout []byte, stderr string, runErr error, out any) error {
	if err := json.Unmarshal(stdout, out); err != nil {
		msg := strings.TrimSpace(stderr)
		if runErr != nil {
			msg = strings.TrimSpace(runErr.Error() + ": " + msg)
		}
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			msg = "timed out: " + msg
		}
		return SigErrorf(ClassUnverifiable, "running %s: %s", what, msg)
	}
	return nil
}
