package main

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
	"sdocker/verify"
	"sdocker/wrapper"
)

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
