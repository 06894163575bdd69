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

const scanUsage = "usage: sdocker scan [--format text|json] [--policy FILE] [--image-src docker|remote] IMAGE [IMAGE…]"

// scanOptions are the flags of `sdocker scan`.
type scanOptions struct {
	format, policy string
	source         verify.ImageSource
	sourceSet      bool
	images         []string
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
		case "--format", "--policy", "--image-src":
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
	var local *localImages
	if !o.sourceSet || o.source == verify.SourceDocker {
		local = newLocalImages(e)
	}

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

// scanOne scans one image: a local image by its ID (so that the result is cached), else the
// reference as given from its registry.
func scanOne(ctx context.Context, in verify.ScanInput, image string, o scanOptions, local *localImages) (*verify.ScanReport, error) {
	in.Ref, in.Source = image, verify.SourceRemote
	if local != nil {
		id, host, err := local.id(ctx, image)
		switch {
		case err == nil:
			in.Ref, in.Source, in.DockerHost = id, verify.SourceDocker, host
		case o.sourceSet:
			// --image-src docker: the image must be local.
			return &verify.ScanReport{Ref: image, Name: image}, err
		}
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
	eng  *wrapper.Engine
	ep   wrapper.Endpoint
	fail error // the daemon could not be reached: every image is "not local"
}

func newLocalImages(e env) *localImages {
	l := &localImages{}
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

// id returns the local image's ID and the daemon host trivy should read it from.
func (l *localImages) id(ctx context.Context, image string) (string, string, error) {
	if l.fail != nil {
		return "", "", fmt.Errorf("finding local image %s: %w", image, l.fail)
	}
	if image == "" || strings.ContainsAny(image, "?# \t") {
		return "", "", fmt.Errorf("%q is not an image reference", image)
	}
	var out struct {
		ID string `json:"Id"`
	}
	// Like the docker CLI, the name goes into the path as is: its slashes are part of it.
	if err := l.eng.Get(ctx, "/images/"+image+"/json", &out); err != nil {
		return "", "", fmt.Errorf("finding local image %s: %w", image, err)
	}
	host := ""
	if l.ep.Local() {
		host = l.ep.Host
	}
	return out.ID, host, nil
}
