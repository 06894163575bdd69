package verify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"sdocker/defaults"
)

// DefaultFailOn is the threshold of a scan whose rule names none.
const DefaultFailOn = "high"

// DefaultScanTTL is how long a scan result stays cached. The key also holds the vulnerability
// database's update time, so a new database invalidates entries sooner.
const DefaultScanTTL = 24 * time.Hour

// ImageSource says where trivy reads the image from.
type ImageSource string

const (
	// SourceAuto tries the docker daemon, then the registry (as SourceRemote).
	SourceAuto ImageSource = ""
	// SourceDocker reads the image from the docker daemon (a local image).
	SourceDocker ImageSource = "docker"
	// SourceRemote reads the image from its registry.
	SourceRemote ImageSource = "remote"
)

// ScanInput is one run of the scan gate.
type ScanInput struct {
	// Ref is the image to scan: repo@sha256:… (pinned), a local image ID (sha256:… or its 64
	// hex digits), or a tag. Only pinned references and IDs are cached; a tag is scanned every time.
	Ref string
	// Name is how the image is called in messages; empty means Ref.
	Name string
	// Source is where trivy reads the image from. A remote image is first resolved on its
	// registry, so that trivy is handed one image by its digest (never a tag or an index).
	Source ImageSource
	// DockerHost is the daemon trivy reads local images from (unix:///…, tcp://…); empty means
	// trivy's own resolution (DOCKER_HOST, the docker context).
	DockerHost string
	// Platform is the platform docker will take from an index (os/arch[/variant]): the one
	// asked for (--platform, DOCKER_DEFAULT_PLATFORM), else the daemon's. A remote image that
	// is an index is judged by the child docker picks for it (see PickChild), and that child is
	// what is scanned and reported; without a platform an index is refused.
	Platform string
	// Resolver reads manifests on the registry for remote scans; nil means HelperResolver.
	Resolver Resolver
	// DockerConfig is docker's configuration directory, for the resolver's credentials.
	DockerConfig string
	// FreshTag resolves a tag on the registry even when it was resolved less than TagTTL ago
	// (a pull, as docker's own pull asks the registry).
	FreshTag bool
	// Rule is the policy's scan rule; RuleMatch is its images: pattern, for messages.
	Rule      defaults.Scan
	RuleMatch string
	// Cache stores findings by digest; nil disables caching.
	Cache *Cache
	// TTL is how long a fresh result is cached; 0 means DefaultScanTTL.
	TTL time.Duration
	// Trivy is the trivy executable (a path, or a name looked up on PATH); empty means "trivy".
	Trivy string
	// TrivyCacheDir is trivy's --cache-dir, holding its database (db/trivy.db and
	// db/metadata.json); empty means trivy's default ($XDG_CACHE_HOME/trivy, ~/.cache/trivy).
	TrivyCacheDir string
	// Now is the time ignore entries expire against; zero means time.Now().
	Now time.Time
	// Progress receives a one-line spinner while trivy runs (meant for a terminal); nil means none.
	Progress io.Writer
}

// ScanReport is what the gate found and decided about one image.
type ScanReport struct {
	Ref  string `json:"ref"`
	Name string `json:"name"`
	// Digest is the manifest digest of the image judged: for an index, of the child that was
	// scanned (Index is the index's digest, Platform the child's platform).
	Digest   string `json:"digest,omitempty"`
	Index    string `json:"index,omitempty"`
	Platform string `json:"platform,omitempty"`
	ImageID  string `json:"image_id,omitempty"`
	OS       string `json:"os,omitempty"`
	Rule     string `json:"rule,omitempty"` // the images: pattern of the rule applied
	FailOn   string `json:"fail_on"`
	Passed   bool   `json:"passed"`
	CacheHit bool   `json:"cache_hit"`
	// DB is the vulnerability database the findings come from.
	DB DBInfo `json:"db"`
	// Findings are all the vulnerabilities trivy reported, each with the gate's verdict.
	Findings []Finding `json:"findings"`
	// Counts counts all findings by severity; Blocking counts those that fail the gate.
	Counts   map[string]int `json:"counts"`
	Blocking map[string]int `json:"blocking"`
	// Expired lists the ignore entries that would have matched a finding but have expired.
	Expired []defaults.ScanIgnore `json:"expired_ignores,omitempty"`
	// Warnings must be shown to the user: expired ignore entries, a scanner failure let
	// through by scan.on_error: allow.
	Warnings []string `json:"warnings,omitempty"`
	// ScanError is the scanner's failure when scan.on_error: allow let the image through.
	ScanError string `json:"scan_error,omitempty"`
	// ScanTime is how long trivy ran (zero on a cache hit).
	ScanTime time.Duration `json:"scan_time_ns"`
	// Children are the reports of the index's other images, under scan.all_platforms.
	Children []*ScanReport `json:"children,omitempty"`
}

// DBInfo identifies trivy's vulnerability database.
type DBInfo struct {
	Version   int       `json:"version"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Verdict is what the gate made of one finding.
type Verdict string

const (
	VerdictBlock   Verdict = "block"   // at or above the threshold: fails the gate
	VerdictBelow   Verdict = "below"   // under the threshold
	VerdictIgnored Verdict = "ignored" // matched a live ignore entry
	VerdictUnfixed Verdict = "unfixed" // no fixed version, and the rule ignores unfixed ones
)

// Finding is one vulnerability in one package.
type Finding struct {
	ID        string   `json:"id"`
	Aliases   []string `json:"aliases,omitempty"`
	Package   string   `json:"package"`
	Installed string   `json:"installed"`
	Fixed     string   `json:"fixed,omitempty"`
	Severity  string   `json:"severity"` // CRITICAL, HIGH, MEDIUM, LOW or UNKNOWN
	Status    string   `json:"status,omitempty"`
	Title     string   `json:"title,omitempty"`
	Target    string   `json:"target,omitempty"`
	Verdict   Verdict  `json:"verdict"`
	// Reason is why an ignored finding is ignored, or which expired entry no longer ignores it.
	Reason string `json:"reason,omitempty"`
}

// ScanRefusedError is a gate that failed: findings at or above the rule's threshold.
type ScanRefusedError struct{ Report *ScanReport }

func (e *ScanRefusedError) Error() string {
	r := e.Report
	n := 0
	for _, c := range r.Blocking {
		n += c
	}
	return fmt.Sprintf("image %s refused by the scan gate: %d %s at or above %s (%s)",
		r.Name, n, plural(n, "vulnerability", "vulnerabilities"), strings.ToUpper(r.FailOn), countLine(r.Blocking))
}

// ScannerError is a scan that could not be done: trivy missing, crashing, its database
// missing, or its output unreadable. It says nothing about the image.
type ScannerError struct {
	Ref  string
	Op   string // what was being done
	Err  error
	Hint string // how to fix it, when known
}

func (e *ScannerError) Error() string {
	s := fmt.Sprintf("scanning %s: %s: %v", e.Ref, e.Op, e.Err)
	if e.Hint != "" {
		s += "; " + e.Hint
	}
	return s
}

func (e *ScannerError) Unwrap() error { return e.Err }

// Scan runs the gate: it finds the image's vulnerabilities (from the cache, else with trivy)
// and judges them by the rule. It scans whether or not the rule says required: deciding to
// call it is the caller's part. It returns *ScanRefusedError when the gate fails and
// *ScannerError when the scan could not be done (unless the rule says on_error: allow, in
// which case the report passes and carries a warning).
func Scan(ctx context.Context, in ScanInput) (*ScanReport, error) {
	if in.Name == "" {
		in.Name = in.Ref
	}
	if in.Now.IsZero() {
		in.Now = time.Now()
	}
	rep := &ScanReport{Ref: in.Ref, Name: in.Name, Rule: in.RuleMatch, Digest: refDigest(in.Ref), FailOn: failOn(in.Rule)}
	switch in.Source {
	case SourceRemote:
		return scanRemote(ctx, in, rep)
	case SourceAuto:
		// The daemon's image if it has one, else the registry's, resolved as any remote scan
		// (trivy's own fallback to the registry would pick an index's image by its own rules).
		local := in
		local.Source = SourceDocker
		lrep, err := scanImage(ctx, local, rep)
		var se *ScannerError
		if !errors.As(err, &se) || ctx.Err() != nil || refDigest(in.Ref) != "" && isFullID(in.Ref) {
			return lrep, err
		}
		return scanRemote(ctx, in, &ScanReport{Ref: in.Ref, Name: in.Name, Rule: in.RuleMatch, FailOn: failOn(in.Rule)})
	}
	return scanImage(ctx, in, rep)
}

// scanImage scans one image (in.Ref: a local image ID, or repo@sha256:… of an image manifest)
// and judges its findings.
func scanImage(ctx context.Context, in ScanInput, rep *ScanReport) (*ScanReport, error) {
	raw, err := findings(ctx, in, rep)
	if err != nil {
		return scanFailed(ctx, in, rep, err)
	}
	judge(rep, raw, in.Rule, in.Now)
	if !rep.Passed {
		return rep, &ScanRefusedError{Report: rep}
	}
	return rep, nil
}

// scanFailed returns a scan that could not be made: an error, or, where the rule says
// on_error: allow and err is a *ScannerError, a pass with a warning. on_error: allow covers a
// broken scanner or registry, never an interrupted or timed-out scan.
func scanFailed(ctx context.Context, in ScanInput, rep *ScanReport, err error) (*ScanReport, error) {
	var se *ScannerError
	if errors.As(err, &se) && in.Rule.OnError == "allow" && ctx.Err() == nil {
		rep.Passed = true
		rep.ScanError = err.Error()
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("%v; the image is let through because the rule says scan.on_error: allow", err))
		rep.Counts, rep.Blocking = map[string]int{}, map[string]int{}
		return rep, nil
	}
	return rep, err
}

// cachedScan is what the cache holds: trivy's findings before any rule is applied, so that
// ignore entries and their expiry are judged afresh at every use.
type cachedScan struct {
	ImageID  string    `json:"image_id"`
	OS       string    `json:"os"`
	Findings []Finding `json:"findings"`
}

// findings returns the image's raw findings, from the cache when the image is pinned and the
// database and scanner are those of the cached entry, else from trivy.
func findings(ctx context.Context, in ScanInput, rep *ScanReport) ([]Finding, error) {
	trivy, err := findTrivy(in.Trivy)
	if err != nil {
		return nil, &ScannerError{Ref: in.Name, Op: "finding trivy", Err: err,
			Hint: "install trivy (scripts/install-trivy.sh) or set SDOCKER_TRIVY"}
	}
	cacheDir, err := trivyCacheDir(in.TrivyCacheDir)
	if err != nil {
		return nil, &ScannerError{Ref: in.Name, Op: "finding trivy's cache directory", Err: err}
	}
	db, err := readDBInfo(cacheDir)
	if err != nil {
		return nil, &ScannerError{Ref: in.Name, Op: "reading trivy's vulnerability database", Err: err,
			Hint: fmt.Sprintf("fetch it with: trivy image --download-db-only --cache-dir %s", cacheDir)}
	}
	rep.DB = db
	key := ""
	// Cached: a remote image resolved to its digest, or a local image by its ID. A local image
	// named repo@sha256:… is not: that digest may be an index's, and the image the daemon holds
	// under it may be any of its images.
	if rep.Digest != "" && in.Cache != nil && (in.Source == SourceRemote || isFullID(in.Ref)) {
		key = scanCacheKey(rep.Digest, db, trivy)
		var c cachedScan
		if in.Cache.Get(key, &c) {
			rep.CacheHit, rep.ImageID, rep.OS = true, c.ImageID, c.OS
			return c.Findings, nil
		}
	}
	start := time.Now()
	stop := startSpinner(in.Progress, in.Name)
	out, err := runTrivy(ctx, trivyRun{
		path: trivy, cacheDir: cacheDir, ref: in.Ref, name: in.Name, source: in.Source, dockerHost: in.DockerHost,
	})
	stop()
	rep.ScanTime = time.Since(start)
	if err != nil {
		return nil, err
	}
	rep.ImageID, rep.OS = out.ImageID, out.OS
	if key != "" {
		ttl := in.TTL
		if ttl <= 0 {
			ttl = DefaultScanTTL
		}
		// A cache that cannot be written costs a rescan next time, never a wrong answer.
		_ = in.Cache.Put(key, cachedScan{ImageID: out.ImageID, OS: out.OS, Findings: out.Findings}, ttl)
	}
	return out.Findings, nil
}

// scanCacheKey identifies a scan result: the digest of the one image scanned (a local image's
// ID, or an image manifest's digest, never an index's: a remote index is resolved to the child
// that is scanned), the database it was judged against and the trivy binary (its path, size and
// modification time: an upgrade rescans). Version 2 keys, which held index digests, are never read.
func scanCacheKey(digest string, db DBInfo, trivy string) string {
	id := trivy
	if fi, err := os.Stat(trivy); err == nil {
		id = fmt.Sprintf("%s:%d:%d", trivy, fi.Size(), fi.ModTime().UnixNano())
	}
	return fmt.Sprintf("scan/v3 %s db=%d@%s trivy=%s", digest, db.Version, db.UpdatedAt.UTC().Format(time.RFC3339Nano), id)
}

// refDigest is the content digest a reference names: the manifest digest of repo@sha256:…, or
// the image ID. A tag names no digest ("").
func refDigest(ref string) string {
	const pinned = len("@sha256:") + 64
	if n := len(ref); n >= pinned && ref[n-pinned] == '@' && validDigest(ref[n-pinned+1:]) {
		return ref[n-pinned+1:]
	}
	if isFullID(ref) {
		return "sha256:" + strings.TrimPrefix(ref, "sha256:")
	}
	return ""
}

// isFullID: ref is a whole image ID, with or without sha256:.
func isFullID(ref string) bool {
	h := strings.TrimPrefix(ref, "sha256:")
	return len(h) == 64 && isLowerHex(h)
}

func failOn(r defaults.Scan) string {
	if r.FailOn == "" {
		return DefaultFailOn
	}
	return strings.ToLower(r.FailOn)
}

// findTrivy resolves the trivy executable: a path is used as is, a name is looked up on PATH.
func findTrivy(name string) (string, error) {
	if name == "" {
		name = "trivy"
	}
	if strings.ContainsRune(name, filepath.Separator) {
		fi, err := os.Stat(name)
		if err != nil {
			return "", err
		}
		if fi.IsDir() || fi.Mode()&0o111 == 0 {
			return "", fmt.Errorf("%s is not an executable file", name)
		}
		return name, nil
	}
	return lookPath(name)
}

// trivyCacheDir is dir, else trivy's own default.
func trivyCacheDir(dir string) (string, error) {
	if dir != "" {
		return dir, nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(base, "trivy"), nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
