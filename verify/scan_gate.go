package verify

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"sdocker/defaults"
)

// severityOrder lists trivy's severities from most to least severe.
var severityOrder = []string{"CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"}

// severityRank is 4 for CRITICAL down to 0 for UNKNOWN, -1 for anything else.
func severityRank(s string) int {
	for i, name := range severityOrder {
		if strings.EqualFold(s, name) {
			return len(severityOrder) - 1 - i
		}
	}
	return -1
}

// judge applies the rule to the raw findings at now, filling the report's verdicts, counts,
// expired ignore entries and warnings, and whether the gate passes. It is a pure function of
// its inputs, so that cached findings are judged exactly as fresh ones.
//
// A finding blocks when its severity is at or above the rule's fail_on, unless a live ignore
// entry matches it (by ID or alias, and by package when the entry names one), or the rule
// ignores unfixed vulnerabilities and it has no fixed version. UNKNOWN severity never blocks.
func judge(rep *ScanReport, raw []Finding, rule defaults.Scan, now time.Time) {
	threshold := severityRank(failOn(rule))
	rep.Counts, rep.Blocking = map[string]int{}, map[string]int{}
	rep.Findings = make([]Finding, 0, len(raw))
	expired := map[int]bool{}
	for _, f := range raw {
		f.Verdict, f.Reason = VerdictBelow, ""
		rank := severityRank(f.Severity)
		if rank >= threshold && rank > 0 {
			f.Verdict = VerdictBlock
		}
		if i, ok := ignoreFor(f, rule.Ignore, now, false); ok {
			ig := rule.Ignore[i]
			f.Verdict, f.Reason = VerdictIgnored, ig.Reason
			if f.Reason == "" {
				f.Reason = "ignored by the policy"
			}
			if !ig.Expires.IsZero() {
				f.Reason += " (until " + ig.Expires.Format(time.DateOnly) + ")"
			}
		} else if i, ok := ignoreFor(f, rule.Ignore, now, true); ok {
			ig := rule.Ignore[i]
			f.Reason = fmt.Sprintf("ignore entry expired on %s", ig.Expires.Format(time.DateOnly))
			if !expired[i] {
				expired[i] = true
				rep.Expired = append(rep.Expired, ig)
				rep.Warnings = append(rep.Warnings, fmt.Sprintf("the ignore entry for %s%s expired on %s and no longer ignores it",
					ig.ID, inPackage(ig.Package), ig.Expires.Format(time.DateOnly)))
			}
		}
		if f.Verdict != VerdictIgnored && rule.IgnoreUnfixed && f.Fixed == "" {
			f.Verdict, f.Reason = VerdictUnfixed, "no fixed version (ignore_unfixed)"
		}
		rep.Counts[f.Severity]++
		if f.Verdict == VerdictBlock {
			rep.Blocking[f.Severity]++
		}
		rep.Findings = append(rep.Findings, f)
	}
	sort.SliceStable(rep.Findings, func(i, j int) bool {
		a, b := rep.Findings[i], rep.Findings[j]
		if (a.Verdict == VerdictBlock) != (b.Verdict == VerdictBlock) {
			return a.Verdict == VerdictBlock
		}
		if ra, rb := severityRank(a.Severity), severityRank(b.Severity); ra != rb {
			return ra > rb
		}
		if a.ID != b.ID {
			return a.ID < b.ID
		}
		return a.Package < b.Package
	})
	rep.Passed = len(rep.Blocking) == 0
}

// ignoreFor finds the first ignore entry matching f that is live (expired false) or expired
// (expired true).
func ignoreFor(f Finding, ignores []defaults.ScanIgnore, now time.Time, expired bool) (int, bool) {
	for i, ig := range ignores {
		if ig.Expires.Expired(now) != expired || !matchesID(f, ig.ID) {
			continue
		}
		if ig.Package != "" && ig.Package != f.Package {
			continue
		}
		return i, true
	}
	return 0, false
}

func matchesID(f Finding, id string) bool {
	if strings.EqualFold(f.ID, id) {
		return true
	}
	for _, a := range f.Aliases {
		if strings.EqualFold(a, id) {
			return true
		}
	}
	return false
}

func inPackage(pkg string) string {
	if pkg == "" {
		return ""
	}
	return " in " + pkg
}

// countLine renders counts by severity, most severe first: "1 critical, 2 high".
func countLine(counts map[string]int) string {
	var parts []string
	for _, s := range severityOrder {
		if n := counts[s]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, strings.ToLower(s)))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}
