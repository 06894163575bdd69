package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sdocker/defaults"
)

// log.decisions: the CLI door appends one JSON line per decision, refused or allowed; a log
// that cannot be written is reported once and the command goes on.
func TestCLIDecisionLog(t *testing.T) {
	requireDaemon(t)
	dir := t.TempDir()
	logPath := filepath.Join(dir, "decisions.jsonl")
	policy := filepath.Join(dir, "policy.yaml")
	os.WriteFile(policy, []byte("version: 1\nlog:\n  decisions: "+logPath+"\n"), 0o644)
	env := []string{"SDOCKER_POLICY=" + policy}
	if r := runBin(t, sdockerBin, "", env, "run", "--rm", "--privileged", testImage); r.code != 125 {
		t.Fatalf("privileged: exit %d %s", r.code, r.stderr)
	}
	if r := runBin(t, sdockerBin, "", env, "create", "--label", runLabel, testImage); r.code != 0 {
		t.Fatalf("create: exit %d %s", r.code, r.stderr)
	}
	data, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2:\n%s", len(lines), data)
	}
	var refused, allowed defaults.LogEntry
	json.Unmarshal([]byte(lines[0]), &refused)
	json.Unmarshal([]byte(lines[1]), &allowed)
	if refused.Door != "cli" || refused.Action != "run" || refused.Allowed || len(refused.Violations) != 1 ||
		refused.Violations[0].Rule != "privileged" || refused.Violations[0].From != "--privileged" || refused.Peer == nil {
		t.Errorf("refused run logged as %s", lines[0])
	}
	if allowed.Door != "cli" || allowed.Action != "create" || !allowed.Allowed || allowed.Image != testImage || len(allowed.Additions) < 5 {
		t.Errorf("allowed create logged as %s", lines[1])
	}

	os.WriteFile(policy, []byte("version: 1\nlog:\n  decisions: "+filepath.Join(dir, "no", "such", "dir", "log")+"\n"), 0o644)
	r := runBin(t, sdockerBin, "", env, "create", "--label", runLabel, testImage)
	if r.code != 0 || strings.Count(r.stderr, "sdocker: warning: writing the decision log") != 1 {
		t.Errorf("an unwritable log: exit %d, stderr %q; want the command to go on with one warning", r.code, r.stderr)
	}
}
