package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"sdocker/defaults"
	"sdocker/wrapper"
)

// checkImage applies the policy's image rules (signature, scan) to the image of a run, create
// or pull, after the runtime decision allowed it. It returns the reference docker must use
// instead of the one typed (repo@sha256:…), or "" to keep it.
func checkImage(ctx context.Context, e env, p *defaults.Policy, inv *wrapper.Invocation, eng *wrapper.Engine) (string, error) {
	_, _ = ctx, eng
	ref := inv.Image()
	rule := p.ImageRule(ref)
	needSig := e.getenv("DOCKER_CONTENT_TRUST") == "1" || (rule != nil && rule.Signature.Required)
	needScan := rule != nil && rule.Scan.Required
	if !needSig && !needScan {
		return "", nil
	}
	// Fail closed: this build cannot check signatures or scan, so it cannot allow an image
	// whose rule requires either.
	_ = os.Stderr
	return "", fmt.Errorf("image %s: %w", ref, errors.New("the policy requires a signature check or a scan, which this build of sdocker cannot do yet"))
}
