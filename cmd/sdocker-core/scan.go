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

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"sdocker/defaults"
	"sdocker/verify"
	"sdocker/wrapper"
)

// scanOptions are the flags of `sdocker scan`, and its images.
type scanOptions struct {
	format, policy string
	// platform picks the image of an index, as docker's --platform; "" means
	// DOCKER_DEFAULT_PLATFORM, else the daemon's platform.
	platform  string
	source    verify.ImageSource
	sourceSet bool
	images    []string
}

func newScanCmd(e env) *cobra.Command {
	o := &scanOptions{}
	c := &cobra.Command{
		Use:   "scan [--format text|json] [--policy FILE] [--image-src docker|remote] [--platform OS/ARCH[/VARIANT]] IMAGE…",
		Short: "Run the vulnerability scan gate (trivy) on images, as run, create and pull do",
		Long: `Scans each image with trivy, offline, and applies the policy's scan rule for it (fail_on,
ignore_unfixed, ignore entries): a local image by its ID where the daemon has it, else the image
on its registry. Exit status 0 when every image passes, 125 when one is refused or could not be
scanned (unless its rule says on_error: allow).`,
		Args:                  positional(cobra.ArbitraryArgs),
		DisableFlagsInUseLine: true,
		RunE: func(c *cobra.Command, a []string) error {
			o.images = a
			if err := o.validate(); err != nil {
				return usageError(c, err.Error())
			}
			return o.Run(e)
		},
	}
	o.addFlags(c.Flags())
	return c
}

func (o *scanOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.format, "format", "text", "output format: text or json")
	fs.StringVar(&o.policy, "policy", "", "policy file (default: SDOCKER_POLICY, then the user's and the system's, then the embedded one)")
	fs.Var((*imageSourceFlag)(o), "image-src", "where the image is read: docker (the local daemon) or remote (its registry); default: local where the daemon has it")
	fs.Var((*platformFlag)(o), "platform", "the platform whose image of an index is scanned, as docker's --platform (default: DOCKER_DEFAULT_PLATFORM, else the daemon's)")
}

// platformFlag is --platform: OS/ARCH[/VARIANT].
type platformFlag scanOptions

func (f *platformFlag) String() string { return f.platform }
func (f *platformFlag) Type() string   { return "os/arch[/variant]" }
func (f *platformFlag) Set(v string) error {
	if _, err := verify.ParsePlatform(v); err != nil {
		return err
	}
	f.platform = v
	return nil
}

func (o *scanOptions) validate() error {
	switch {
	case o.format != "text" && o.format != "json":
		return fmt.Errorf("unknown format %q (text or json)", o.format)
	case len(o.images) == 0:
		return errors.New("no image given")
	}
	return nil
}

// imageSourceFlag is --image-src: docker or remote.
type imageSourceFlag scanOptions

func (f *imageSourceFlag) String() string { return string(f.source) }
func (f *imageSourceFlag) Type() string   { return "docker|remote" }
func (f *imageSourceFlag) Set(v string) error {
	if s := verify.ImageSource(v); s != verify.SourceDocker && s != verify.SourceRemote {
		return fmt.Errorf("unknown image source %q (docker or remote)", v)
	}
	f.source, f.sourceSet = verify.ImageSource(v), true
	return nil
}

// parseScanArgs reads scan's command line as the scan command does (its flags anywhere, "--"
// ending them).
func parseScanArgs(args []string) (scanOptions, error) {
	o := scanOptions{}
	fs := pflag.NewFlagSet("scan", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	o.addFlags(fs)
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	o.images = fs.Args()
	return o, o.validate()
}

// scanResult is one image's entry in `sdocker scan --format json`.
type scanResult struct {
	*verify.ScanReport
	Refused bool   `json:"refused"`
	Error   string `json:"error,omitempty"`
}

// Run runs the scan gate alone on each image: the exit status is 0 when every image passes,
// 125 when one is refused or could not be scanned (unless its rule says on_error: allow).
func (o *scanOptions) Run(e env) error {
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
		rep, err := scanOne(ctx, in, image, *o, local)
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
			if taken, err = img.TakenFor(asked); err == nil && !taken {
				err = fmt.Errorf("the local image %s is for %s, not %s", image, img.Platform(), asked)
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
func (l *localImages) find(ctx context.Context, image string) (verify.LocalImage, string, error) {
	var img verify.LocalImage
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
