package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"sdocker/defaults"
	"sdocker/verify"
	"sdocker/wrapper"
)

const verifyUsage = "usage: sdocker verify IMAGE… [--format json] [--policy FILE]"

// verifyResult is one image's line of `sdocker verify --format json`.
type verifyResult struct {
	Image   string   `json:"image"`
	Rule    string   `json:"rule,omitempty"`
	Digest  string   `json:"digest,omitempty"`
	Pinned  string   `json:"pinned,omitempty"`
	Signers []string `json:"signers,omitempty"`
	// Signatures says, for each trusted key or identity, the format and who verified.
	Signatures []verify.Verification `json:"signatures,omitempty"`
	// Attestations are the attestations the rule required, as they were checked.
	Attestations []verify.AttestResult `json:"attestations,omitempty"`
	Cached       bool                  `json:"cached,omitempty"`
	Error        *verify.SigError      `json:"error,omitempty"`
}

// cmdVerify checks the signatures of images on their registries, as pull would, without
// pulling: for CI pipelines. It needs no daemon. Any failure exits 125.
func cmdVerify(args []string, e env) error {
	var images []string
	format, policyFile := "", ""
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, val, hasVal := strings.Cut(a, "=")
		switch name {
		case "--format", "--policy":
			if !hasVal {
				if i+1 >= len(args) {
					return &wrapper.UsageError{Msg: a + " needs a value; " + verifyUsage}
				}
				i++
				val = args[i]
			}
			if name == "--format" {
				format = val
			} else {
				policyFile = val
			}
		case "-h", "--help":
			fmt.Fprintln(e.stdout, verifyUsage)
			return nil
		default:
			if strings.HasPrefix(a, "-") {
				return &wrapper.UsageError{Msg: "unknown flag " + a + "; " + verifyUsage}
			}
			images = append(images, a)
		}
	}
	if len(images) == 0 || (format != "" && format != "json") {
		return &wrapper.UsageError{Msg: verifyUsage}
	}
	p, err := defaults.Load(policyFile)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dct := contentTrust(e.getenv)
	var inv wrapper.Invocation
	checker := signatureChecker(e)
	var results []verifyResult
	failed := false
	for _, img := range images {
		res := verifyOne(ctx, e, p, &inv, checker, img, dct)
		failed = failed || res.Error != nil
		results = append(results, res)
		if format == "json" {
			continue
		}
		if res.Error != nil {
			fmt.Fprintf(e.stderr, "sdocker: %s: %s\n", img, oneLine(res.Error.Error()))
			continue
		}
		ref, _ := verify.ParseRef(img)
		fmt.Fprintln(e.stdout, verifiedLine(ref, verify.SigResponse{Digest: res.Digest, Signers: res.Signers,
			Verified: res.Signatures, Attestations: res.Attestations, Cached: res.Cached}))
	}
	if format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(results); err != nil {
			return err
		}
	}
	if failed {
		return &silentError{code: exitFailure}
	}
	return nil
}

// verifyOne checks one image against its rule; an image no rule asks a signature of is checked
// against content_trust, or reported as a policy error (verify never says yes unchecked).
func verifyOne(ctx context.Context, e env, p *defaults.Policy, inv *wrapper.Invocation, c *verify.SigChecker, img string, dct bool) verifyResult {
	res := verifyResult{Image: img}
	fail := func(err error) verifyResult {
		var se *verify.SigError
		if !errors.As(err, &se) {
			se = &verify.SigError{Class: verify.ClassPolicy, Message: err.Error()}
		}
		res.Error = se
		return res
	}
	ref, err := verify.ParseRef(img)
	if err != nil {
		return fail(err)
	}
	rule := p.ImageRule(img)
	sr, err := signatureRule(p, rule, img, dct || p.ContentTrust != nil)
	if err != nil {
		return fail(err)
	}
	if sr == nil {
		return fail(&verify.SigError{Class: verify.ClassPolicy, Message: fmt.Sprintf(
			"the policy (%s) requires no signature for %s and has no content_trust section: nothing to verify against", p.Source, img)})
	}
	res.Rule = sr.name
	resp, err := c.Check(ctx, verify.SigRequest{Reference: img, Rule: sr.rule, DockerConfig: inv.ConfigDir(e.getenv)}, true)
	if err != nil {
		return fail(err)
	}
	res.Digest, res.Signers, res.Cached = resp.Digest, resp.Signers, resp.Cached
	res.Signatures, res.Attestations = resp.Verified, resp.Attestations
	res.Pinned = ref.Pinned(resp.Digest)
	return res
}
