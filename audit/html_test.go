package audit

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

// The page is one file that asks for nothing: no script, no stylesheet, font or image from
// anywhere, links only within itself, and a content security policy that forbids the rest.
func TestHTMLIsSelfContainedAndEscaped(t *testing.T) {
	var b bytes.Buffer
	if err := RenderHTML(&b, check(t, loadSnapshot(t, "cis-snapshot.json")), "test"); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	tests := []struct {
		name string
		bad  *regexp.Regexp
	}{
		{"no script element", regexp.MustCompile(`(?i)<script`)},
		{"no element from the evidence", regexp.MustCompile(`(?i)<img`)},
		{"no event handler attribute", regexp.MustCompile(`(?i)<[^>]+\son\w+=`)},
		{"no remote or local resource", regexp.MustCompile(`(?i)(src|href)\s*=\s*"[^#]`)},
		{"no URL to fetch", regexp.MustCompile(`(?i)url\(|@import|https?://`)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if m := tc.bad.FindString(page); m != "" {
				t.Fatalf("the page holds %q", m)
			}
		})
	}
	for _, want := range []string{
		`content="default-src 'none'; style-src 'unsafe-inline'"`,
		`/srv/&lt;img src=x onerror=alert(1)&gt;`,
		`sshd: alice &lt;script&gt;alert(1)&lt;/script&gt;`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
}

// Grouped by target (daemon first, then host, components, containers), then severity.
func TestHTMLGroupsByTargetThenSeverity(t *testing.T) {
	var b bytes.Buffer
	if err := RenderHTML(&b, check(t, loadSnapshot(t, "cis-snapshot.json")), "test"); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	order := []string{
		`<h2>daemon</h2>`, `<h3>medium (1)</h3>`, `CIS-2.4`, `<h3>low (4)</h3>`, `<h3>info (2)</h3>`,
		`<h2>container hostnet (`, `<h2>container joiner (`, `<h2>container orphan (`, `<h2>container ports (`,
		`<h3>medium (1)</h3>`, `CIS-5.14`, `<h3>low (3)</h3>`, `CIS-5.8`,
	}
	at := 0
	for _, s := range order {
		i := strings.Index(page[at:], s)
		if i < 0 {
			t.Fatalf("%q missing, or not after what precedes it in %q", s, order)
		}
		at += i + len(s)
	}
	if !strings.Contains(page, `<h2 id="summary">27 findings</h2>`) {
		t.Error("the summary does not say 27 findings")
	}
}

func TestHTMLNoFindings(t *testing.T) {
	var b bytes.Buffer
	if err := RenderHTML(&b, Report{Daemon: DaemonRef{Host: "unix:///run/x.sock", Version: "29.3.1"}}, "test"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "No findings") || !strings.Contains(b.String(), "Nothing to fix.") {
		t.Fatalf("an empty report does not say so:\n%s", b.String())
	}
}
