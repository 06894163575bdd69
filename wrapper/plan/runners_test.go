package plan

import (
	"strings"
	"testing"
	"time"

	"sdocker/defaults"
	"sdocker/wrapper"
)

// A refusal of what the GitHub Actions runner wrote into a job container's command line says
// the runner added it and names the preset under which the same command passes; the author's
// own refusals keep their hint, and nothing changes whether the command is allowed.
func TestRunnerHintsNameTheRunnerAndItsPreset(t *testing.T) {
	argv := []string{"create", "--name", "job", "--label", "1a2b3c", "--workdir", "/__w/repo/repo",
		"--network", "github_network_0123456789abcdef0123456789abcdef", "-e", "GITHUB_ACTIONS=true", "-e", "CI=true",
		"-v", "/var/run/docker.sock:/var/run/docker.sock", "-v", "/home/runner/work:/__w", "--privileged",
		"--entrypoint", "tail", "node:20", "-f", "/dev/null"}
	inv, err := wrapper.Parse(argv)
	if err != nil {
		t.Fatal(err)
	}
	req, err := wrapper.Request(inv, wrapper.RequestInput{Cwd: "/"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := defaults.Parse(defaults.DefaultPolicyYAML(), "embedded default")
	if err != nil {
		t.Fatal(err)
	}
	in := defaults.Input{Policy: p, Request: req, Facts: defaults.AssumedFacts(), Now: time.Now()}
	d := defaults.Decide(in)
	env := map[string]string{"GITHUB_ACTIONS": "true", "RUNNER_TRACKING_ID": "github_0"}
	got := RunnerHints(inv, in, d, func(k string) string { return env[k] })
	if got.Allowed || len(got.Violations) != len(d.Violations) {
		t.Fatalf("hints changed the decision: %+v", got)
	}
	for _, v := range got.Violations {
		switch v.From {
		case "-v /var/run/docker.sock:/var/run/docker.sock":
			if !strings.Contains(v.Message, "GitHub Actions runner added") || !strings.Contains(v.Hint, "sdocker policy preset github-actions") {
				t.Errorf("socket bind: %s; %s", v.Message, v.Hint)
			}
		case "--privileged":
			if strings.Contains(v.Message, "runner added") {
				t.Errorf("the author's --privileged attributed to the runner: %s", v.Message)
			}
		}
	}
}
