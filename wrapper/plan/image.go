package plan

import (
	"context"
	"fmt"

	"sdocker/defaults"
	"sdocker/verify"
	"sdocker/wrapper"
)

// GateInput is one image a door hands the image gate.
type GateInput struct {
	// Invocation is the run, create or pull whose image is checked.
	Invocation *wrapper.Invocation
	// Endpoint is the daemon that will run or pull it.
	Endpoint wrapper.Endpoint
	// Policy holds the image rules.
	Policy *defaults.Policy
	// Engine answers the daemon's facts (its platform).
	Engine *wrapper.Engine
	// Daemon answers the gate's questions about local images; nil means Engine.
	Daemon verify.Daemon
}

// CheckImage hands the image of a run, create or pull to the image gate (verify.Gate), after
// the runtime decision allowed it, and returns the reference docker must use instead of the one
// typed (repo@sha256:… or an image ID), or "" to keep it. An image the scan gate refuses is a
// *verify.ScanRefusedError, whose report the caller prints.
func CheckImage(ctx context.Context, env Env, in GateInput) (string, error) {
	inv, ep, eng := in.Invocation, in.Endpoint, in.Engine
	req := verify.GateRequest{
		Image: inv.Image(), Pull: inv.Command == "pull", AllTags: inv.Command == "pull" && inv.Has("all-tags"),
		PullAlways: pullAlways(inv), Platform: platformOf(inv, env.Getenv),
		ContentTrust: verify.ContentTrust(env.Getenv), DockerConfig: inv.ConfigDir(env.Getenv),
	}
	daemon := in.Daemon
	if daemon == nil {
		daemon = eng
	}
	genv := verify.GateEnv{
		Policy: in.Policy, Daemon: daemon, NotFound: wrapper.ErrNotFound, Getenv: env.Getenv, Out: env.Out,
		Signatures: env.Signatures, ScanBase: env.ScanBase,
		DaemonPlatform: func(ctx context.Context) (string, error) {
			info, err := eng.Info(ctx)
			if err != nil {
				return "", fmt.Errorf("asking the daemon for its platform: %w", err)
			}
			pl, err := verify.DaemonPlatform(info.OSType, info.Architecture, ep.Local())
			if err != nil {
				return "", err
			}
			return verify.FormatPlatform(pl), nil
		},
	}
	if ep.Local() {
		genv.LocalDockerHost = ep.Host
	}
	return verify.Gate(ctx, genv, req)
}

// checkImage runs the image gate for the plan's own command.
func (pl *Plan) checkImage(ctx context.Context, env Env, daemon *onceDaemon) (string, error) {
	pl.ContentTrust = verify.ContentTrust(env.Getenv)
	return CheckImage(ctx, env, GateInput{Invocation: pl.Invocation, Endpoint: pl.Endpoint, Policy: pl.Policy, Engine: pl.Engine, Daemon: daemon})
}

// platformOf is the platform docker will take from a multi-platform image.
func platformOf(inv *wrapper.Invocation, getenv func(string) string) string {
	platform := getenv("DOCKER_DEFAULT_PLATFORM")
	for _, f := range inv.Flags {
		if f.Flag.Canonical() == "platform" {
			platform = f.Value
		}
	}
	return platform
}

// pullAlways: --pull=always, given at any place.
func pullAlways(inv *wrapper.Invocation) bool {
	for _, f := range inv.Flags {
		if f.Flag.Canonical() == "pull" && f.Value == "always" {
			return true
		}
	}
	return false
}
