package verify

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// maxRows is how many blocking findings a refusal lists before summing up the rest.
const maxRows = 15

// RenderRefusal explains a refused scan in a few lines a user can act on: the blocking
// findings (ID, package, installed, fixed, severity), the count by severity, expired ignore
// entries, and how to ignore one. Every line but the first is indented.
func RenderRefusal(rep *ScanReport) string { return renderRefusal(rep, time.Now()) }

func renderRefusal(rep *ScanReport, now time.Time) string {
	var b strings.Builder
	n, others := 0, map[Verdict]int{}
	for _, f := range rep.Findings {
		if f.Verdict == VerdictBlock {
			n++
		} else {
			others[f.Verdict]++
		}
	}
	rule := ""
	if rep.Rule != "" {
		rule = fmt.Sprintf(" (rule %q)", rep.Rule)
	}
	fmt.Fprintf(&b, "image %s%s refused by the scan gate%s: %d %s at or above %s\n",
		rep.Name, judged(rep), rule, n, plural(n, "vulnerability", "vulnerabilities"), strings.ToUpper(rep.FailOn))
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  ID\tPACKAGE\tINSTALLED\tFIXED\tSEVERITY")
	rows := 0
	for _, f := range rep.Findings {
		if f.Verdict != VerdictBlock {
			continue
		}
		if rows++; rows > maxRows {
			break
		}
		fixed := f.Fixed
		if fixed == "" {
			fixed = "(none)"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", f.ID, f.Package, f.Installed, fixed, f.Severity)
	}
	tw.Flush()
	if n > maxRows {
		fmt.Fprintf(&b, "  … and %d more\n", n-maxRows)
	}
	fmt.Fprintf(&b, "  blocking: %s", countLine(rep.Blocking))
	var notes []string
	for _, v := range []struct {
		v    Verdict
		what string
	}{{VerdictBelow, "below the threshold"}, {VerdictIgnored, "ignored"}, {VerdictUnfixed, "without a fix, ignored"}} {
		if c := others[v.v]; c > 0 {
			notes = append(notes, fmt.Sprintf("%d %s", c, v.what))
		}
	}
	if len(notes) > 0 {
		fmt.Fprintf(&b, " (also %s)", strings.Join(notes, ", "))
	}
	b.WriteString("\n")
	for _, w := range rep.Warnings {
		fmt.Fprintf(&b, "  note: %s\n", w)
	}
	if first := firstBlocking(rep); first != nil {
		fmt.Fprintf(&b, "  to ignore one, add to the rule's scan.ignore in the policy (an expiry is advised):\n")
		fmt.Fprintf(&b, "    - {id: %s, package: %s, reason: \"…\", expires: %s}\n",
			first.ID, first.Package, now.AddDate(0, 1, 0).Format(time.DateOnly))
		b.WriteString("  or raise scan.fail_on")
		if hasUnfixed(rep) {
			b.WriteString(", or set scan.ignore_unfixed: true to let through vulnerabilities that have no fix")
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

func firstBlocking(rep *ScanReport) *Finding {
	for i := range rep.Findings {
		if rep.Findings[i].Verdict == VerdictBlock {
			return &rep.Findings[i]
		}
	}
	return nil
}

func hasUnfixed(rep *ScanReport) bool {
	for _, f := range rep.Findings {
		if f.Verdict == VerdictBlock && f.Fixed == "" {
			return true
		}
	}
	return false
}

// RenderSummary is one line about a scan that passed: what was found and how it was judged.
func RenderSummary(rep *ScanReport) string {
	src := "scanned in " + rep.ScanTime.Round(time.Millisecond).String()
	if rep.CacheHit {
		src = "cached result"
	}
	if rep.ScanError != "" {
		return fmt.Sprintf("image %s%s: NOT SCANNED (scanner failed; allowed by scan.on_error: allow)", rep.Name, judged(rep))
	}
	also := ""
	if n := len(rep.Children); n > 0 {
		also = fmt.Sprintf("; and the index's %d other %s (scan.all_platforms)", n, plural(n, "image", "images"))
	}
	return fmt.Sprintf("image %s%s: passed the scan gate (fail_on %s; found: %s; %s%s)",
		rep.Name, judged(rep), rep.FailOn, countLine(rep.Counts), src, also)
}

// judged names the image of an index that was judged: its platform and digest.
func judged(rep *ScanReport) string {
	if rep.Index == "" {
		return ""
	}
	return fmt.Sprintf(" (its %s image %s, of the index %s)", rep.Platform, rep.Digest, shortDigest(rep.Index))
}

func shortDigest(d string) string {
	if len(d) > len("sha256:")+12 {
		return d[:len("sha256:")+12]
	}
	return d
}

// startSpinner draws a one-line spinner on w until the returned function is called, which
// erases it. A nil w draws nothing.
func startSpinner(w io.Writer, name string) func() {
	if w == nil {
		return func() {}
	}
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		frames := []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}
		start := time.Now()
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			fmt.Fprintf(w, "\r\033[K%s scanning %s for vulnerabilities (%.1fs)", frames[i%len(frames)], name, time.Since(start).Seconds())
			select {
			case <-done:
				fmt.Fprint(w, "\r\033[K")
				return
			case <-tick.C:
			}
		}
	}()
	return func() { close(done); <-finished }
}
