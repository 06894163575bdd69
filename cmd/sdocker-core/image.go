package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"sdocker/defaults"
	"sdocker/verify"
	"sdocker/wrapper"
)

// checkImage hands the image of a run, create or pull to the image gate (verify.Gate), after the
// runtime decision allowed it, and returns the reference docker must use instead of the one
// typed (repo@sha256:… or an image ID), or "" to keep it.
func checkImage(ctx context.Context, e env, p *defaults.Policy, inv *wrapper.Invocation, eng *wrapper.Engine) (string, error) {
	req := verify.GateRequest{
		Image: inv.Image(), Pull: inv.Command == "pull", AllTags: inv.Command == "pull" && inv.Has("all-tags"),
		PullAlways: pullAlways(inv), Platform: platformOf(inv, e), ContentTrust: verify.ContentTrust(e.getenv),
		DockerConfig: inv.ConfigDir(e.getenv),
	}
	ep, epErr := inv.Endpoint(e.getenv)
	env := verify.GateEnv{
		Policy: p, Daemon: eng, NotFound: wrapper.ErrNotFound, Getenv: e.getenv, Out: e.stderr,
		Signatures: signatureChecker(e), ScanBase: func() (verify.ScanInput, error) { return scanBase(e) },
		DaemonPlatform: func(ctx context.Context) (string, error) {
			info, err := eng.Info(ctx)
			if err != nil {
				return "", fmt.Errorf("asking the daemon for its platform: %w", err)
			}
			pl, err := verify.DaemonPlatform(info.OSType, info.Architecture, epErr == nil && ep.Local())
			if err != nil {
				return "", err
			}
			return verify.FormatPlatform(pl), nil
		},
	}
	if epErr == nil && ep.Local() {
		env.LocalDockerHost = ep.Host
	}
	if req.ContentTrust {
		// sdocker makes the check; docker must not try Notary on top of it.
		defer os.Unsetenv("DOCKER_CONTENT_TRUST")
	}
	pinned, err := verify.Gate(ctx, env, req)
	var refused *verify.ScanRefusedError
	if errors.As(err, &refused) {
		fmt.Fprintln(e.stderr, "sdocker: "+verify.RenderRefusal(refused.Report))
		return "", &silentError{code: exitFailure}
	}
	return pinned, err
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
