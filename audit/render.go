package audit

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Formats are the output formats of Render.
var Formats = []string{"text", "json", "sarif", "html"}

// Render writes the report in a format: text and html for people, json and sarif for tools. The JSON
// and SARIF shapes are stable (see jsonReport and sarifLog).
//
// SARIF consumers (GitHub code scanning among them) need a file for every result, and a
// daemon has none to offer but its daemon.json. Each result's physical location is therefore a
// stable URI per target:
//
//	daemon                 file:///etc/docker/daemon.json (the file read), else docker://daemon
//	host                   docker://host
//	container NAME (…)     docker://container/NAME
//	engine, containerd,    docker://engine, docker://containerd, docker://runc
//	runc
//
// The target itself is also given as the result's logical location.
func Render(w io.Writer, r Report, format, toolVersion string) error {
	switch format {
	case "text":
		return RenderText(w, r)
	case "json":
		return RenderJSON(w, r)
	case "sarif":
		return RenderSARIF(w, r, toolVersion)
	case "html":
		return RenderHTML(w, r, toolVersion)
	}
	return fmt.Errorf("unknown format %q (%s)", format, strings.Join(Formats, ", "))
}

// RenderText writes one block per finding, highest severity first, and a summary line.
func RenderText(w io.Writer, r Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "sdocker audit of %s (Docker Engine %s)\n", r.Daemon.Host, r.Daemon.Version)
	for _, f := range r.Findings {
		fmt.Fprintf(&b, "\n%-8s  %s  %s\n", strings.ToUpper(f.Severity.String()), f.ID, f.Title)
		fmt.Fprintf(&b, "  target:   %s\n", f.Target)
		fmt.Fprintf(&b, "  evidence: %s\n", f.Evidence)
		fmt.Fprintf(&b, "  fix:      %s\n", f.Fix)
	}
	fmt.Fprintf(&b, "\n%s\n", summaryLine(r))
	_, err := io.WriteString(w, b.String())
	return err
}

func summaryLine(r Report) string {
	c := r.Counts()
	if len(r.Findings) == 0 {
		return "no findings"
	}
	var parts []string
	for s := Critical; s >= Info; s-- {
		parts = append(parts, fmt.Sprintf("%d %s", c[s], s))
	}
	return fmt.Sprintf("%d findings: %s", len(r.Findings), strings.Join(parts, ", "))
}

// jsonReport is the JSON form, schema "sdocker-audit/v1":
//
//	{"schema": "sdocker-audit/v1",
//	 "daemon": {"host": "unix:///var/run/docker.sock", "version": "20.10.24"},
//	 "summary": {"critical": 0, "high": 1, "medium": 0, "low": 0, "info": 2},
//	 "findings": [{"id": "CIS-2.7", "severity": "critical", "title": "…", "target": "daemon",
//	               "evidence": "…", "fix": "…"}, …]}
//
// Findings are sorted by severity (highest first), then ID and target. Fields are only added.
type jsonReport struct {
	Schema   string         `json:"schema"`
	Daemon   DaemonRef      `json:"daemon"`
	Summary  map[string]int `json:"summary"`
	Findings []Finding      `json:"findings"`
}

// RenderJSON writes the report as schema sdocker-audit/v1.
func RenderJSON(w io.Writer, r Report) error {
	out := jsonReport{Schema: "sdocker-audit/v1", Daemon: r.Daemon, Summary: map[string]int{}, Findings: r.Findings}
	if out.Findings == nil {
		out.Findings = []Finding{}
	}
	for s := Info; s <= Critical; s++ {
		out.Summary[s.String()] = r.Counts()[s]
	}
	return writeJSON(w, out)
}

func writeJSON(w io.Writer, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding the report: %w", err)
	}
	_, err = w.Write(append(data, '\n'))
	return err
}
