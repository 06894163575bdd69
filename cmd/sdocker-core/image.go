package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"sdocker/defaults"
	"sdocker/verify"
	"sdocker/wrapper"
	"sdocker/wrapper/plan"
)

// checkImage is the image gate (plan.CheckImage) for a door that has its own invocation: a
// refusal of the scan gate is printed, as the CLI prints it.
func checkImage(ctx context.Context, e env, p *defaults.Policy, inv *wrapper.Invocation, eng *wrapper.Engine) (string, error) {
	ep, _ := inv.Endpoint(e.getenv) // an endpoint that cannot be read is not local
	if verify.ContentTrust(e.getenv) {
		// sdocker makes the check; docker must not try Notary on top of it.
		defer os.Unsetenv("DOCKER_CONTENT_TRUST")
	}
	pinned, err := plan.CheckImage(ctx, planEnv(e), plan.GateInput{Invocation: inv, Endpoint: ep, Policy: p, Engine: eng})
	return pinned, scanRefusal(e, err)
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

// scanRefusal prints an image the scan gate refused, as its report.
func scanRefusal(e env, err error) error {
	var refused *verify.ScanRefusedError
	if errors.As(err, &refused) {
		fmt.Fprintln(e.stderr, "sdocker: "+verify.RenderRefusal(refused.Report))
		return &silentError{code: exitFailure}
	}
	return err
}
