package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"sdocker/defaults"
	"sdocker/internal/golden"
	"sdocker/wrapper"
	"sdocker/wrapper/plan"
)

// ciEntry is one command line of the CI corpus (testdata/ci/README.md).
type ciEntry struct {
	file, name, source string
	env                []string // KEY=VALUE, placeholders replaced
	argv               []string
	runner             string
	added              []string
	want               map[string]string // policy ("default", "preset") → outcome
}

// ciLayout holds the placeholders' values for the runs that need no daemon.
var ciLayout = map[string]string{
	"{RUNNER}":        "/home/runner/actions-runner",
	"{WORK}":          "/home/runner/actions-runner/_work",
	"{TOOLS}":         "/home/runner/actions-runner/_work/_tool",
	"{JWS}":           "/home/jenkins/agent/workspace/app",
	"{BK}":            "/var/lib/buildkite-agent/builds/agent-1/acme/app",
	"{SSH_AUTH_SOCK}": "/tmp/ssh-XXXXa1b2c3/agent.4242",
}

// expand replaces the layout's placeholders, the longest first.
func expand(s string, layout map[string]string) string {
	keys := make([]string, 0, len(layout))
	for k := range layout {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { return len(b) - len(a) })
	for _, k := range keys {
		s = strings.ReplaceAll(s, k, layout[k])
	}
	return s
}

// splitArgs splits a command line as the runners' process starters do for these lines: blanks
// separate arguments, double and single quotes group and are removed ("a":"b" is a:b).
func splitArgs(line string) ([]string, error) {
	var args []string
	var cur strings.Builder
	in, quote := false, rune(0)
	for _, c := range line {
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(c)
		case c == '"' || c == '\'':
			quote, in = c, true
		case c == ' ' || c == '\t':
			if in {
				args = append(args, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(c)
			in = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated %c quote in %q", quote, line)
	}
	if in {
		args = append(args, cur.String())
	}
	return args, nil
}

// loadCorpus reads every entry of testdata/ci, placeholders replaced by layout.
func loadCorpus(t *testing.T, layout map[string]string) []ciEntry {
	t.Helper()
	files, err := filepath.Glob("testdata/ci/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus in testdata/ci: %v", err)
	}
	var all []ciEntry
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var e *ciEntry
		line := 0
		for sc.Scan() {
			line++
			text := strings.TrimSpace(sc.Text())
			if text == "" || strings.HasPrefix(text, "#") {
				continue
			}
			if strings.HasPrefix(text, "[") && strings.HasSuffix(text, "]") {
				all = append(all, ciEntry{file: filepath.Base(f), name: text[1 : len(text)-1], want: map[string]string{}})
				e = &all[len(all)-1]
				continue
			}
			key, value, ok := strings.Cut(text, ":")
			if !ok || e == nil {
				t.Fatalf("%s:%d: want [name] or key: value, got %q", f, line, text)
			}
			value = expand(strings.TrimSpace(value), layout)
			switch key {
			case "source":
				e.source = value
			case "env":
				e.env = strings.Fields(value)
			case "argv":
				if e.argv, err = splitArgs(value); err != nil {
					t.Fatalf("%s:%d: %v", f, line, err)
				}
			case "runner":
				e.runner = value
			case "added":
				for _, a := range strings.Split(value, "|") {
					e.added = append(e.added, strings.TrimSpace(a))
				}
			case "default", "preset":
				e.want[key] = value
			default:
				t.Fatalf("%s:%d: unknown key %q", f, line, key)
			}
		}
		fh.Close()
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range all {
		if e.source == "" || len(e.argv) == 0 || e.want["default"] == "" || e.want["preset"] == "" || e.runner == "" {
			t.Fatalf("%s [%s]: an entry needs source, argv, runner, default and preset", e.file, e.name)
		}
	}
	return all
}

// kindOf says how sdocker takes a command line: "decided" (run, create, exec: explain decides
// it), "daemon" (decided against what the daemon holds), or "passthrough".
func kindOf(t *testing.T, argv []string) string {
	t.Helper()
	inv, err := wrapper.Parse(argv)
	if err != nil {
		t.Fatalf("parsing %q: %v", argv, err)
	}
	switch inv.Command {
	case "":
		return "passthrough"
	case "run", "create", "exec", "build", "buildx build":
		return "decided"
	}
	return "daemon"
}

// explainOutcome runs sdocker explain --format json on argv with env and says the outcome in
// the corpus' words.
func explainOutcome(t *testing.T, argv, env []string) (string, map[string]any) {
	t.Helper()
	r := runBin(t, sdockerBin, "", env, append([]string{"explain", "--format", "json"}, argv...)...)
	var out map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("explain %q: exit %d, not JSON: %v\n%s%s", argv, r.code, err, r.stdout, r.stderr)
	}
	if allowed, _ := out["allowed"].(bool); !allowed {
		var rules []string
		for _, v := range out["violations"].([]any) {
			rule := v.(map[string]any)["rule"].(string)
			if !slices.Contains(rules, rule) {
				rules = append(rules, rule)
			}
		}
		slices.Sort(rules)
		return "refused " + strings.Join(rules, " "), out
	}
	if socketSubstituted(argv, out) {
		return "substituted", out
	}
	return "hardened", out
}

// socketSubstituted reports whether the daemon's socket, bound by argv, is no longer the
// source of that bind in the argv explain would execute.
func socketSubstituted(argv []string, out map[string]any) bool {
	asked := false
	for _, a := range argv {
		if strings.HasPrefix(a, "/var/run/docker.sock:") || strings.HasPrefix(a, "/run/docker.sock:") {
			asked = true
		}
	}
	if !asked {
		return false
	}
	rendered, _ := out["argv"].([]any)
	for _, a := range rendered {
		if s, _ := a.(string); strings.HasPrefix(s, "/var/run/docker.sock:") || strings.HasPrefix(s, "/run/docker.sock:") {
			return false
		}
	}
	return true
}

// ciEnv is the environment explain gets for an entry: the runner's variables, no policy of the
// user's, and policy when given.
func ciEnv(t *testing.T, e ciEntry, policy string) []string {
	return append([]string{"SDOCKER_POLICY=" + policy, "XDG_CONFIG_HOME=" + t.TempDir()}, e.env...)
}

func TestCICorpusUnderDefault(t *testing.T) {
	start := time.Now()
	for _, e := range loadCorpus(t, ciLayout) {
		t.Run(e.file+"/"+e.name, func(t *testing.T) {
			checkOutcome(t, e, e.want["default"], "")
		})
	}
	t.Logf("corpus under the default: %v", time.Since(start))
}

// checkOutcome holds an entry to its outcome under a policy file ("" the embedded default).
func checkOutcome(t *testing.T, e ciEntry, want, policy string) {
	t.Helper()
	kind := kindOf(t, e.argv)
	if want == "passthrough" || want == "daemon" {
		if kind != want {
			t.Fatalf("%q is %s to sdocker, the corpus says %s", e.argv, kind, want)
		}
		return
	}
	if kind != "decided" {
		t.Fatalf("%q is %s to sdocker, the corpus says %s", e.argv, kind, want)
	}
	got, out := explainOutcome(t, e.argv, ciEnv(t, e, policy))
	if got != want {
		v, _ := json.MarshalIndent(out["violations"], "", "  ")
		t.Errorf("%s\n%q: %s, want %s; violations: %s", e.source, e.argv, got, want, v)
	}
	if policy != "" && !strings.HasPrefix(got, "refused") {
		checkLoopbackPorts(t, e.argv, out)
	}
}

// checkLoopbackPorts holds a runner's preset to runtime.network.publish_address: a port
// published without an address (a service's ports: [5432:5432]) is published on 127.0.0.1.
func checkLoopbackPorts(t *testing.T, argv []string, out map[string]any) {
	t.Helper()
	rendered := fmt.Sprint(out["argv"])
	for i, a := range argv {
		if (a == "-p" || a == "--publish") && i+1 < len(argv) && strings.Count(argv[i+1], ":") <= 1 {
			if !strings.Contains(rendered, "--publish=127.0.0.1:"+argv[i+1]) {
				t.Errorf("%s %s is not published on the loopback: %s", a, argv[i+1], rendered)
			}
		}
	}
}

// TestCICorpusAttribution holds AttributeRunner to every decided entry: it names the entry's
// runner and at least the arguments the corpus says the runner added, and each refusal under
// the default that a runner-added argument caused names the runner's preset.
func TestCICorpusAttribution(t *testing.T) {
	p, err := defaults.Parse(defaults.DefaultPolicyYAML(), "default")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range loadCorpus(t, ciLayout) {
		if kindOf(t, e.argv) != "decided" {
			continue
		}
		t.Run(e.file+"/"+e.name, func(t *testing.T) {
			req, a := attributed(t, e)
			if string(a.Runner) != e.runner && !(e.runner == "none" && a.Runner == "") {
				t.Fatalf("runner %q (evidence %q), want %s", a.Runner, a.Evidence, e.runner)
			}
			for _, want := range e.added {
				if _, ok := a.AddedBy(want); !ok {
					t.Errorf("%q not attributed to the runner; attributed: %+v", want, a.Added)
				}
			}
			d := defaults.Decide(defaults.Input{Policy: p, Request: req, Facts: defaults.AssumedFacts(), Now: time.Now()})
			for _, v := range defaults.RunnerHints(d, a, nil).Violations {
				if _, ok := a.AddedBy(v.From); ok && !strings.Contains(v.Hint, "sdocker policy preset "+e.runner) {
					t.Errorf("refusal of runner-added %s does not name the preset: %s; %s", v.From, v.Message, v.Hint)
				}
			}
			// With the same request decided under the runner's preset (as explain decides it:
			// the policed socket taken as served), a hint says the preset allows only what it does.
			preset := presetPolicy(t, corpusRunnerOf(e))
			facts := defaults.AssumedFacts()
			facts.PolicedSocket = preset.Runtime.DockerSocket.Policed
			under := defaults.Decide(defaults.Input{Policy: preset, Request: req, Facts: facts, Now: time.Now()})
			for _, v := range defaults.RunnerHints(d, a, &under).Violations {
				if _, ok := a.AddedBy(v.From); !ok {
					continue
				}
				lifted := strings.Contains(v.Hint, "which allows what the runner adds")
				if stillRefused := slices.ContainsFunc(under.Violations, func(w defaults.Violation) bool { return w.Rule == v.Rule && w.From == v.From }); lifted == stillRefused {
					t.Errorf("%s: hint %q, but under the preset it is refused: %v", v.From, v.Hint, stillRefused)
				}
			}
		})
	}
}

// TestCICorpusUnderPresets holds every entry to its outcome under its runner's preset, as
// sdocker policy preset RUNNER prints it.
func TestCICorpusUnderPresets(t *testing.T) {
	start := time.Now()
	files := map[string]string{}
	for _, e := range loadCorpus(t, ciLayout) {
		runner := corpusRunnerOf(e)
		if files[runner] == "" {
			r := sdocker(t, "policy", "preset", runner)
			if r.code != 0 {
				t.Fatalf("sdocker policy preset %s: exit %d: %s", runner, r.code, r.stderr)
			}
			files[runner] = filepath.Join(t.TempDir(), runner+".yaml")
			if err := os.WriteFile(files[runner], []byte(r.stdout), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		t.Run(e.file+"/"+e.name, func(t *testing.T) {
			checkOutcome(t, e, e.want["preset"], files[runner])
		})
	}
	t.Logf("corpus under the presets: %v", time.Since(start))
}

// corpusRunnerOf is the runner whose preset an entry is judged under: its file's.
func corpusRunnerOf(e ciEntry) string { return strings.TrimSuffix(e.file, ".txt") }

// presetPolicy reads a runner's preset as sdocker policy preset prints it.
func presetPolicy(t *testing.T, name string) *defaults.Policy {
	t.Helper()
	b, err := defaults.Preset(name)
	if err != nil {
		t.Fatal(err)
	}
	p, err := defaults.Parse(b, "preset "+name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCIRunnerHintsGolden shows what a CI user reads when the default policy refuses what a
// runner added: the refusal lines of some corpus entries, rewritten by RunnerHints with the
// same request decided under the runner's preset (testdata/ci/hints.golden).
func TestCIRunnerHintsGolden(t *testing.T) {
	p, err := defaults.Parse(defaults.DefaultPolicyYAML(), "default")
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	for _, e := range loadCorpus(t, ciLayout) {
		switch e.name {
		case "job-container-create", "container-action-run", "inside-run-builtin-node", "run-mount-buildkite-agent", "author-job-container-pid-host":
		default:
			continue
		}
		req, a := attributed(t, e)
		preset := presetPolicy(t, corpusRunnerOf(e))
		facts := defaults.AssumedFacts()
		facts.PolicedSocket = preset.Runtime.DockerSocket.Policed
		now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
		under := defaults.Decide(defaults.Input{Policy: preset, Request: req, Facts: facts, Now: now})
		d := defaults.Decide(defaults.Input{Policy: p, Request: req, Facts: defaults.AssumedFacts(), Now: now})
		fmt.Fprintf(&out, "[%s/%s] runner %s (%s): %s\n", e.file, e.name, a.Runner, a.Shape, strings.Join(a.Evidence, "; "))
		for _, v := range defaults.RunnerHints(d, a, &under).Violations {
			fmt.Fprintln(&out, "sdocker: "+plan.ViolationLine(v))
		}
		out.WriteString("\n")
	}
	golden.Check(t, "testdata/ci/hints.golden", []byte(out.String()))
}

// attributed reads a corpus entry as the CLI door does and names the runner it comes from, with
// the entry's environment.
func attributed(t *testing.T, e ciEntry) (defaults.Request, defaults.Attribution) {
	t.Helper()
	inv, err := wrapper.Parse(e.argv)
	if err != nil {
		t.Fatal(err)
	}
	req, err := wrapper.Request(inv, wrapper.RequestInput{Cwd: "/"})
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, kv := range e.env {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	return req, defaults.AttributeRunner(wrapper.RunnerInput(inv, req, func(k string) string { return env[k] }))
}
