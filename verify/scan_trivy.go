package verify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

var lookPath = exec.LookPath

// trivyRun is one execution of trivy.
type trivyRun struct {
	path, cacheDir, ref, name string
	source                    ImageSource
	dockerHost                string
}

// trivyResult is what sdocker keeps of trivy's report.
type trivyResult struct {
	ImageID string
	OS      string
	// RepoDigests are the repo@sha256:… names trivy found for the image: for a remote scan by
	// tag, the digest the tag resolved to, which is what was scanned.
	RepoDigests []string
	Findings    []Finding
}

// trivyArgs are the flags of a scan that never waits on the network for trivy's own sake: no
// database or version check, no telemetry, every severity reported (the gate filters), and no
// ignore file or configuration picked up from a working directory.
func (r trivyRun) args() []string {
	a := []string{"image",
		"--cache-dir", r.cacheDir,
		"--skip-db-update", "--skip-java-db-update", "--offline-scan",
		"--skip-version-check", "--disable-telemetry", "--no-progress",
		"--scanners", "vuln",
		"--severity", "UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL",
		"--ignorefile", os.DevNull,
		"--format", "json",
	}
	src := string(r.source)
	if r.source == SourceAuto {
		src = "docker,remote" // not trivy's default, which also probes containerd and podman
	}
	a = append(a, "--image-src", src)
	if r.dockerHost != "" {
		a = append(a, "--docker-host", r.dockerHost)
	}
	return append(a, "--", LowerHost(r.ref))
}

// trivyEnv is the environment trivy runs in: the caller's, without the TRIVY_ variables that
// could narrow the report behind the gate's back (severity filters, ignore files, VEX…).
// Registry credentials stay.
func trivyEnv() []string {
	keep := map[string]bool{"TRIVY_USERNAME": true, "TRIVY_PASSWORD": true, "TRIVY_REGISTRY_TOKEN": true,
		"TRIVY_PASSWORD_STDIN": true, "TRIVY_INSECURE": true, "TRIVY_TIMEOUT": true}
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "TRIVY_") && !keep[name] {
			continue
		}
		env = append(env, kv)
	}
	return env
}

func runTrivy(ctx context.Context, r trivyRun) (trivyResult, error) {
	fail := func(op string, err error) (trivyResult, error) {
		return trivyResult{}, &ScannerError{Ref: r.name, Op: op, Err: err}
	}
	cmd := exec.CommandContext(ctx, r.path, r.args()...)
	cmd.Env = trivyEnv()
	cmd.Dir = "/"                   // no trivy.yaml or .trivyignore from the caller's directory
	cmd.WaitDelay = 2 * time.Second // a killed trivy's children must not hold the pipes open
	var stdout bytes.Buffer
	stderr := &tailBuffer{max: 16 << 10}
	cmd.Stdout, cmd.Stderr = &stdout, stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return fail("running trivy", ctx.Err())
		}
		if msg := stderr.lastError(); msg != "" {
			err = fmt.Errorf("%w: %s", err, msg)
		}
		return fail("running trivy", err)
	}
	res, err := parseTrivyReport(stdout.Bytes())
	if err != nil {
		return fail("reading trivy's report", err)
	}
	return res, nil
}

// trivyReport is the part of trivy's JSON report (schema version 2) that the gate reads.
type trivyReport struct {
	SchemaVersion int
	ArtifactName  string
	Metadata      struct {
		ImageID     string
		RepoDigests []string
		OS          *struct{ Family, Name string }
	}
	Results []struct {
		Target          string
		Class           string
		Type            string
		Vulnerabilities []struct {
			VulnerabilityID  string
			VendorIDs        []string
			PkgName          string
			PkgPath          string
			InstalledVersion string
			FixedVersion     string
			Status           string
			Severity         string
			Title            string
		}
	}
}

func parseTrivyReport(data []byte) (trivyResult, error) {
	var rep trivyReport
	if err := json.Unmarshal(data, &rep); err != nil {
		return trivyResult{}, fmt.Errorf("not a trivy JSON report: %w", err)
	}
	if rep.SchemaVersion != 2 {
		return trivyResult{}, fmt.Errorf("unsupported report schema version %d (want 2)", rep.SchemaVersion)
	}
	res := trivyResult{ImageID: rep.Metadata.ImageID, RepoDigests: rep.Metadata.RepoDigests, Findings: []Finding{}}
	if os := rep.Metadata.OS; os != nil {
		res.OS = strings.TrimSpace(os.Family + " " + os.Name)
	}
	for _, r := range rep.Results {
		for _, v := range r.Vulnerabilities {
			sev := strings.ToUpper(v.Severity)
			if severityRank(sev) < 0 {
				sev = "UNKNOWN"
			}
			res.Findings = append(res.Findings, Finding{
				ID: v.VulnerabilityID, Aliases: v.VendorIDs, Package: v.PkgName,
				Installed: v.InstalledVersion, Fixed: v.FixedVersion, Severity: sev,
				Status: v.Status, Title: v.Title, Target: r.Target,
			})
		}
	}
	return res, nil
}

// readDBInfo reads db/metadata.json under trivy's cache directory. A database without
// metadata is treated as missing: trivy could not use it offline either.
func readDBInfo(cacheDir string) (DBInfo, error) {
	dir := filepath.Join(cacheDir, "db")
	if _, err := os.Stat(filepath.Join(dir, "trivy.db")); err != nil {
		return DBInfo{}, err
	}
	data, err := os.ReadFile(filepath.Join(dir, "metadata.json"))
	if err != nil {
		return DBInfo{}, err
	}
	var m struct {
		Version   int
		UpdatedAt time.Time
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return DBInfo{}, fmt.Errorf("%s: %w", filepath.Join(dir, "metadata.json"), err)
	}
	if m.Version == 0 {
		return DBInfo{}, errors.New("metadata.json names no database version")
	}
	return DBInfo{Version: m.Version, UpdatedAt: m.UpdatedAt}, nil
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	buf []byte
	max int
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = t.buf[len(t.buf)-t.max:]
	}
	return len(p), nil
}

// lastError is trivy's last FATAL or ERROR log entry with the lines that follow it (an error
// list), else its last non-empty line, as one line without the log timestamp.
func (t *tailBuffer) lastError() string {
	lines := strings.Split(strings.TrimSpace(string(t.buf)), "\n")
	from := len(lines) - 1
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.Contains(lines[i], "FATAL") || strings.Contains(lines[i], "ERROR") {
			from = i
			break
		}
	}
	msg := oneLine(strings.Join(lines[from:], " "))
	if ts, rest, ok := strings.Cut(msg, " "); ok {
		if _, err := time.Parse(time.RFC3339, ts); err == nil {
			msg = rest
		}
	}
	return msg
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 400 {
		s = s[:400] + "…"
	}
	return s
}
