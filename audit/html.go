package audit

import (
	"cmp"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strings"
	"sync"
)

//go:embed html/report.html.tmpl
var htmlTemplate string

// reportTemplate is parsed once, when the first report is written (not in package init, which
// every command of the core pays); html/template escapes every value by its context, so names,
// paths and command lines from the daemon (all under a container's creator's control) stay
// text.
var reportTemplate = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("report").Funcs(template.FuncMap{
		"upper": strings.ToUpper,
	}).Parse(htmlTemplate))
})

// htmlReport is what the template shows: the daemon, the counts, and the findings grouped by
// target, then by severity (highest first).
type htmlReport struct {
	Daemon  DaemonRef
	Tool    string
	Total   int
	Counts  []htmlCount
	Targets []htmlTarget
}

type htmlCount struct {
	Severity Severity
	N        int
}

type htmlTarget struct {
	Anchor string
	Name   string
	Total  int
	Counts []htmlCount
	Groups []htmlGroup
}

type htmlGroup struct {
	Severity Severity
	Findings []Finding
}

// RenderHTML writes the report as one self-contained HTML page (inline CSS, no script, no
// font or image from anywhere, and a content security policy that forbids them), for people
// who would rather look than read JSON: the counts by severity, then one section per target
// (the daemon, the host, the engine's components, each container), its findings grouped by
// severity, each with its evidence and fix.
func RenderHTML(w io.Writer, r Report, toolVersion string) error {
	v := htmlReport{Daemon: r.Daemon, Tool: toolVersion, Total: len(r.Findings), Counts: counts(r.Findings)}
	byTarget := map[string][]Finding{}
	var names []string
	for _, f := range r.Findings {
		if _, ok := byTarget[f.Target]; !ok {
			names = append(names, f.Target)
		}
		byTarget[f.Target] = append(byTarget[f.Target], f)
	}
	slices.SortFunc(names, func(a, b string) int {
		if c := cmp.Compare(targetRank(a), targetRank(b)); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	for i, name := range names {
		fs := byTarget[name]
		t := htmlTarget{Anchor: fmt.Sprintf("target-%d", i+1), Name: name, Total: len(fs), Counts: counts(fs)}
		for s := Critical; s >= Info; s-- {
			var g []Finding
			for _, f := range fs {
				if f.Severity == s {
					g = append(g, f)
				}
			}
			if len(g) > 0 {
				t.Groups = append(t.Groups, htmlGroup{Severity: s, Findings: g})
			}
		}
		v.Targets = append(v.Targets, t)
	}
	var b strings.Builder
	if err := reportTemplate().Execute(&b, v); err != nil {
		return fmt.Errorf("rendering the HTML report: %w", err)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// counts are the number of findings of each severity, highest first, all five.
func counts(fs []Finding) []htmlCount {
	out := make([]htmlCount, 0, 5)
	for s := Critical; s >= Info; s-- {
		n := 0
		for _, f := range fs {
			if f.Severity == s {
				n++
			}
		}
		out = append(out, htmlCount{s, n})
	}
	return out
}

// targetRank orders targets as a reader goes through them: the daemon, the host, the engine's
// components, then the containers.
func targetRank(t string) int {
	switch {
	case t == "daemon":
		return 0
	case t == "host":
		return 1
	case strings.HasPrefix(t, "container "):
		return 3
	}
	return 2
}
