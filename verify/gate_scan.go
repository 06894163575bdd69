package verify

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	specs "github.com/opencontainers/image-spec/specs-go/v1"

	"sdocker/defaults"
)

// scanGate scans what docker is about to get: for run and create the local image docker will
// use, by its ID, when there is one of the platform asked for; else the image on its registry
// (the verified digest when there is one), and of an index the image docker will pull for the
// platform asked for, or the daemon's. It returns the reference that pins what was scanned (the
// local image ID, or repo@sha256:… of the very image scanned, never of an index), so that docker
// can neither pick another image nor have one swapped in between.
func scanGate(env GateEnv, req GateRequest, rule *defaults.ImageRule, name, pinned string) (string, error) {
	p := env.Policy
	in, err := env.ScanBase()
	if err != nil {
		return "", err
	}
	// A cold scan can outlast the door's daemon timeout; it gets its own, and Ctrl-C stops it.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, 15*time.Minute)
	defer cancel()
	why := fmt.Sprintf("scan required by rule %q, line %d", rule.Match, rule.Line)
	in.Name, in.Rule, in.RuleMatch, in.DockerConfig = name, rule.Scan, rule.Match, req.DockerConfig
	in.Ref, in.Source, in.FreshTag = name, SourceRemote, req.Pull || req.PullAlways
	if pinned != "" {
		in.Ref = pinned
	}
	asked := req.Platform
	local := false
	if !req.Pull && !req.PullAlways {
		img, found, err := lookupLocal(ctx, env, in.Ref)
		if err != nil {
			return "", err
		}
		if found {
			if local, err = img.TakenFor(asked); err != nil {
				return "", &ImageError{Image: name, Rule: why, Err: err}
			}
			if !local {
				fmt.Fprintf(env.Out, "sdocker: the local image %s is for %s, not %s: docker will pull another image, so the one on the registry is scanned\n",
					name, img.Platform(), asked)
			}
		}
		if local {
			in.Ref, in.Source, in.DockerHost = img.ID, SourceDocker, env.LocalDockerHost
		}
	}
	if !local {
		if in.Platform, err = pullPlatform(ctx, env, asked); err != nil {
			return "", &ImageError{Image: name, Rule: why, Err: err}
		}
	}
	rep, err := Scan(ctx, in)
	var refused *ScanRefusedError
	switch {
	case err != nil && p.Mode == defaults.ModeWarn:
		fmt.Fprintf(env.Out, "sdocker: warning (mode: warn): would have refused image %s: %s\n", name, oneLine(err.Error()))
		return pinned, nil
	case errors.As(err, &refused):
		return "", err // the door prints RenderRefusal(refused.Report)
	case err != nil:
		return "", &ImageError{Image: name, Rule: why, Err: err}
	}
	for _, w := range rep.Warnings {
		fmt.Fprintln(env.Out, "sdocker: warning: "+w)
	}
	fmt.Fprintln(env.Out, "sdocker: "+RenderSummary(rep))
	switch {
	case local:
		return in.Ref, nil
	case rep.Digest != "":
		if ref, err := ParseRef(name); err == nil {
			return ref.Pinned(rep.Digest), nil
		}
	case rep.ScanError != "" && pinned != "":
		return pinned, nil // not scanned, as scan.on_error: allow lets it; the signature still pins it
	}
	return "", &ImageError{Image: name, Rule: why,
		Err: errors.New("the scanner did not report the digest it scanned, so docker could be handed another image")}
}

// pullPlatform is the platform docker will pull from an index: the one asked for, else the
// daemon's own.
func pullPlatform(ctx context.Context, env GateEnv, asked string) (string, error) {
	if asked != "" {
		return asked, nil
	}
	pl, err := env.DaemonPlatform(ctx)
	if err != nil {
		return "", fmt.Errorf("%w; pass --platform (or set DOCKER_DEFAULT_PLATFORM) to say which image of an index docker will pull", err)
	}
	return pl, nil
}

// Platform is the image's platform, as os/arch[/variant].
func (img LocalImage) Platform() string {
	return FormatPlatform(specs.Platform{OS: img.OS, Architecture: img.Architecture, Variant: img.Variant})
}

// TakenFor reports whether docker runs this local image for a container asked to run on the
// platform asked ("" when none was: docker then takes the local image, whatever its platform).
// A local image of another platform is not run: docker pulls the one asked for.
func (img LocalImage) TakenFor(asked string) (bool, error) {
	if asked == "" {
		return true, nil
	}
	want, err := ParsePlatform(asked)
	if err != nil {
		return false, err
	}
	return LocalMatches(specs.Platform{OS: img.OS, Architecture: img.Architecture, Variant: img.Variant}, want), nil
}
