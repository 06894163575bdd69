package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"sdocker/defaults"
	"sdocker/verify"
	"sdocker/wrapper"
)

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

// verifyOptions are the flags of `sdocker verify`.
type verifyOptions struct {
	format, policy string
}

func newVerifyCmd(e env) *cobra.Command {
	o := &verifyOptions{}
	c := &cobra.Command{
		Use:   "verify [--format text|json] [--policy FILE] IMAGE…",
		Short: "Check images' cosign signatures on their registries as pull would, without pulling",
		Long: `Resolves each image to its digest on its registry and checks its cosign signatures against the
policy's rule for it (or content_trust), as pull does, without pulling and without a daemon: for
CI. Prints the digest and the signers; exit status 125 if any image fails.`,
		Args:                  positional(cobra.MinimumNArgs(1)),
		DisableFlagsInUseLine: true,
		RunE:                  func(c *cobra.Command, a []string) error { return o.Run(c, e, a) },
	}
	c.Flags().StringVar(&o.format, "format", "text", "output format: text or json")
	c.Flags().StringVar(&o.policy, "policy", "", "policy file (default: SDOCKER_POLICY, then the user's and the system's, then the embedded one)")
	return c
}

// Run checks the signatures of images on their registries, as pull would, without pulling: for
// CI pipelines. It needs no daemon. Any failure exits 125.
func (o *verifyOptions) Run(c *cobra.Command, e env, images []string) error {
	if o.format != "text" && o.format != "json" {
		return usageError(c, fmt.Sprintf("unknown format %q (text or json)", o.format))
	}
	format, policyFile := o.format, o.policy
	p, err := defaults.Load(policyFile)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dct := verify.ContentTrust(e.getenv)
	var inv wrapper.Invocation
	checker := signatureChecker(e)
	// The front may have started the helper while this process started: it is the first
	// check's, or stopped at the end.
	checker.Prestarted = verify.TakePrestarted(e.getenv)
	defer checker.Prestarted.Discard()
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
		fmt.Fprintln(e.stdout, verify.VerifiedLine(ref, verify.SigResponse{Digest: res.Digest, Signers: res.Signers,
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
	sr, err := verify.SignatureRule(p, rule, img, dct || p.ContentTrust != nil)
	if err != nil {
		return fail(err)
	}
	if sr == nil {
		return fail(&verify.SigError{Class: verify.ClassPolicy, Message: fmt.Sprintf(
			"the policy (%s) requires no signature for %s and has no content_trust section: nothing to verify against", p.Source, img)})
	}
	res.Rule = sr.Name
	resp, err := c.Check(ctx, verify.SigRequest{Reference: img, Rule: sr.Rule, DockerConfig: inv.ConfigDir(e.getenv)}, true)
	if err != nil {
		return fail(err)
	}
	res.Digest, res.Signers, res.Cached = resp.Digest, resp.Signers, resp.Cached
	res.Signatures, res.Attestations = resp.Verified, resp.Attestations
	res.Pinned = ref.Pinned(resp.Digest)
	return res
}
