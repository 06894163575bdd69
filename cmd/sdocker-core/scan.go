package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"golang.org/x/term"

	"sdocker/defaults"
	"sdocker/verify"
	"sdocker/wrapper"
)

const scanUsage = "usage: sdocker scan [--format text|json] [--policy FILE] [--image-src docker|remote] [--platform OS/ARCH[/VARIANT]] IMAGE [IMAGE…]"

// scanOptions are the flags of `sdocker scan`.
type scanOptions struct {
	format, policy string
	// platform picks the image of an index, as docker's --platform; "" means
	// DOCKER_DEFAULT_PLATFORM, else the daemon's platform.
	platform  string
	source    verify.ImageSource
	sourceSet bool
	images    []string
}

func parseScanArgs(args []string) (scanOptions, error) {
	o := scanOptions{format: "text"}
	usage := func(msg string) error {
		if msg != "" {
			msg += "; "
		}
		return &wrapper.UsageError{Msg: msg + scanUsage}
	}
	for len(args) > 0 {
		a := args[0]
		args = args[1:]
		if a == "--" {
			o.images = append(o.images, args...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			o.images = append(o.images, a)
			continue
		}
		name, val, hasVal := strings.Cut(a, "=")
		switch name {
		case "--format", "--policy", "--image-src", "--platform":
		case "-h", "--help":
			return o, usage("")
		default:
			return o, usage(fmt.Sprintf("unknown flag %s", name))
		}
		if !hasVal {
			if len(args) == 0 {
				return o, usage(name + " needs a value")
			}
			val, args = args[0], args[1:]
		}
		switch name {
		case "--format":
			o.format = val
		case "--policy":
			o.policy = val
		case "--image-src":
			o.source, o.sourceSet = verify.ImageSource(val), true
		case "--platform":
			if _, err := verify.ParsePlatform(val); err != nil {
				return o, usage(err.Error())
			}
			o.platform = val
		}
	}
	switch {
	case o.format != "text" && o.format != "json":
		return o, usage(fmt.Sprintf("unknown format %q (text or json)", o.format))
	case o.sourceSet && o.source != verify.SourceDocker && o.source != verify.SourceRemote:
		return o, usage(fmt.Sprintf("unknown image source %q (docker or remote)", o.source))
	case len(o.images) == 0:
		return o, usage("no image given")
	}
	return o, nil
}

// scanResult is one image's entry in `sdocker scan --format json`.
type scanResult struct {
	*verify.ScanReport
	Refused bool   `json:"refused"`
	Error   string `json:"error,omitempty"`
}

// cmdScan runs the scan gate alone on each image: the exit status is 0 when every image
// passes, 125 when one is refused or could not be scanned (unless its rule says on_error: allow).
func cmdScan(args []string, e env) error {
	o, err := parseScanArgs(args)
	if err != nil {
		return err
	}
	p, err := defaults.Load(o.policy)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	base, err := scanBase(e)
	if err != nil {
		return err
	}
	local := newLocalImages(e)

	failed := false
	var results []scanResult
	for _, image := range o.images {
		in := base
		in.Name = image
		if r := p.ImageRule(image); r != nil {
			in.Rule, in.RuleMatch = r.Scan, r.Match
		}
		rep, err := scanOne(ctx, in, image, o, local)
		res := scanResult{ScanReport: rep}
		var refused *verify.ScanRefusedError
		switch {
		case errors.As(err, &refused):
			res.Refused = true
			res.Error = err.Error()
			if o.format == "text" {
				fmt.Fprintln(e.stderr, "sdocker: "+verify.RenderRefusal(rep))
			}
		case err != nil:
			res.Error = err.Error()
			if o.format == "text" {
				fmt.Fprintln(e.stderr, "sdocker: "+oneLine(err.Error()))
			}
		case o.format == "text":
			for _, w := range rep.Warnings {
				fmt.Fprintln(e.stderr, "sdocker: warning: "+w)
			}
			fmt.Fprintln(e.stdout, verify.RenderSummary(rep))
		}
		failed = failed || err != nil
		results = append(results, res)
	}
	if o.format == "json" {
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

// scanOne scans one image: a local image by its ID (so that the result is cached) when the
// daemon has one of the platform asked for, else the reference as given from its registry (of
// an index, the image docker would pull for that platform, or for the daemon's).
func scanOne(ctx context.Context, in verify.ScanInput, image string, o scanOptions, local *localImages) (*verify.ScanReport, error) {
	in.Ref, in.Source, in.FreshTag = image, verify.SourceRemote, true
	asked := o.platform
	if asked == "" {
		asked = local.getenv("DOCKER_DEFAULT_PLATFORM")
	}
	if !o.sourceSet || o.source == verify.SourceDocker {
		img, host, err := local.find(ctx, image)
		taken := err == nil
		if taken {
			if taken, err = img.takenFor(asked); err == nil && !taken {
				err = fmt.Errorf("the local image %s is for %s, not %s", image, img.platform(), asked)
			}
		}
		switch {
		case taken:
			in.Ref, in.Source, in.DockerHost = img.ID, verify.SourceDocker, host
			return verify.Scan(ctx, in)
		case o.sourceSet:
			// --image-src docker: the image must be local.
			return &verify.ScanReport{Ref: image, Name: image}, err
		}
	}
	in.Platform = asked
	if in.Platform == "" {
		in.Platform = local.daemonPlatform(ctx)
	}
	return verify.Scan(ctx, in)
}

// scanBase is what every scan shares: trivy, its database, the cache, progress on a terminal.
func scanBase(e env) (verify.ScanInput, error) {
	dir, err := verify.DefaultCacheDir(e.getenv, "scan")
	if err != nil {
		return verify.ScanInput{}, err
	}
	in := verify.ScanInput{
		Trivy:         e.getenv("SDOCKER_TRIVY"),
		TrivyCacheDir: e.getenv("TRIVY_CACHE_DIR"),
		Cache:         &verify.Cache{Dir: dir},
		Now:           time.Now(),
	}
	if isTerminal(e.stderr) {
		in.Progress = e.stderr
	}
	return in, nil
}

// isTerminal reports whether w is a terminal, where a spinner may be drawn.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// localImages finds images in the docker daemon the docker CLI would talk to.
type localImages struct {
	e    env
	eng  *wrapper.Engine
	ep   wrapper.Endpoint
	fail error // the daemon could not be reached: every image is "not local"
}

func newLocalImages(e env) *localImages {
	l := &localImages{e: e}
	inv, err := wrapper.Parse(nil)
	if err == nil {
		l.ep, err = inv.Endpoint(e.getenv)
	}
	if err == nil {
		l.eng, err = wrapper.NewEngine(l.ep)
	}
	l.fail = err
	return l
}

func (l *localImages) getenv(name string) string { return l.e.getenv(name) }

// find returns the local image and the daemon host trivy should read it from.
func (l *localImages) find(ctx context.Context, image string) (localImage, string, error) {
	var img localImage
	if l.fail != nil {
		return img, "", fmt.Errorf("finding local image %s: %w", image, l.fail)
	}
	if image == "" || strings.ContainsAny(image, "?# \t") {
		return img, "", fmt.Errorf("%q is not an image reference", image)
	}
	// Like the docker CLI, the name goes into the path as is: its slashes are part of it.
	if err := l.eng.Get(ctx, "/images/"+image+"/json", &img); err != nil {
		return img, "", fmt.Errorf("finding local image %s: %w", image, err)
	}
	host := ""
	if l.ep.Local() {
		host = l.ep.Host
	}
	return img, host, nil
}

// daemonPlatform is the platform the daemon pulls, or "" when it cannot be known (an index is
// then refused, asking for --platform).
func (l *localImages) daemonPlatform(ctx context.Context) string {
	if l.fail != nil {
		return ""
	}
	info, err := l.eng.Info(ctx)
	if err != nil {
		return ""
	}
	p, err := verify.DaemonPlatform(info.OSType, info.Architecture, l.ep.Local())
	if err != nil {
		return ""
	}
	return verify.FormatPlatform(p)
}
