package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"sdocker/internal/testenv"
	"sdocker/wrapper/argv"
)

// commands returns every verb and subcommand of the tree, by path ("policy check").
func commands(t *testing.T) map[string]*cobra.Command {
	t.Helper()
	out := map[string]*cobra.Command{}
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		for _, sub := range c.Commands() {
			p := append(slices.Clone(path), sub.Name())
			out[strings.Join(p, " ")] = sub
			walk(sub, p)
		}
	}
	walk(newRoot(env{}), nil)
	return out
}

// The front sends sdocker's verbs to the core by argv.Verbs: it must name every verb of the tree.
func TestFrontKnowsEveryVerb(t *testing.T) {
	var tree []string
	for _, c := range newRoot(env{}).Commands() {
		tree = append(tree, c.Name())
	}
	slices.Sort(tree)
	if !slices.Equal(tree, argv.Verbs) {
		t.Fatalf("the command tree has %q, the front routes %q", tree, argv.Verbs)
	}
}

// Every verb and subcommand answers --help, -h and help VERB on stdout with exit 0, its usage
// line included, and nothing runs.
func TestEveryVerbAnswersHelp(t *testing.T) {
	for path, c := range commands(t) {
		words := strings.Fields(path)
		for _, form := range [][]string{
			append(slices.Clone(words), "--help"),
			append(slices.Clone(words), "-h"),
			append([]string{"help"}, words...),
		} {
			t.Run(strings.Join(form, " "), func(t *testing.T) {
				out, errOut, code := runInProcess(t, form...)
				if code != 0 || errOut != "" {
					t.Fatalf("exit %d, stderr %q; want 0 and nothing on stderr", code, errOut)
				}
				if !strings.Contains(out, "Usage:\n  "+c.UseLine()) || !strings.Contains(out, c.Short) && !strings.Contains(out, firstLine(c.Long)) {
					t.Errorf("help lacks the usage line %q or the description:\n%s", c.UseLine(), out)
				}
			})
		}
	}
}

func firstLine(s string) string { l, _, _ := strings.Cut(s, "\n"); return l }

// Bad input to a verb: one `sdocker:` line naming the problem and the usage, exit 125, nothing
// on stdout and nothing run.
func TestVerbBadInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"policy alone", []string{"policy"}, "sdocker policy needs a command (check, default, preset, show)"},
		{"policy typo", []string{"policy", "shwo"}, `unknown command "shwo" for "sdocker policy" (did you mean show?)`},
		{"policy unknown", []string{"policy", "lint"}, `unknown command "lint" for "sdocker policy" (check, default, preset, show)`},
		{"policy check without a file", []string{"policy", "check"}, "accepts 1 arg(s), received 0"},
		{"policy show extra", []string{"policy", "show", "x"}, `unknown command "x" for "sdocker policy show"`},
		{"tls alone", []string{"tls"}, "sdocker tls needs a command (init)"},
		{"tls init days", []string{"tls", "init", "--days", "ten"}, `invalid argument "ten" for "--days" flag`},
		{"tls init extra", []string{"tls", "init", "here"}, `unknown command "here" for "sdocker tls init"`},
		{"scan no image", []string{"scan"}, "no image given"},
		{"scan unknown flag", []string{"scan", "--severity", "HIGH", "img"}, "unknown flag: --severity"},
		{"scan bad source", []string{"scan", "--image-src", "podman", "img"}, `unknown image source "podman"`},
		{"verify no image", []string{"verify"}, "requires at least 1 arg(s)"},
		{"verify bad format", []string{"verify", "--format", "yaml", "img"}, `unknown format "yaml"`},
		{"verify flag without value", []string{"verify", "img", "--policy"}, "flag needs an argument: --policy"},
		{"completion no shell", []string{"completion"}, "accepts 1 arg(s), received 0"},
		{"completion unknown shell", []string{"completion", "tcsh"}, `invalid argument "tcsh"`},
		{"explain flag without value", []string{"explain", "--format"}, "flag needs an argument: --format"},
		{"explain no command", []string{"explain", "--format", "json"}, "usage: sdocker explain"},
		{"audit bad format", []string{"audit", "--format", "xml"}, `unknown format "xml"`},
		{"audit bad severity", []string{"audit", "--fail-on", "severe"}, "--fail-on"},
		{"version flag without value", []string{"version", "--format"}, "flag needs an argument: --format"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := runInProcess(t, tc.args...)
			if code != 125 || out != "" || strings.Count(errOut, "\n") != 1 || !strings.HasPrefix(errOut, "sdocker: ") {
				t.Fatalf("exit %d, stdout %q, stderr %q; want one sdocker: line and 125", code, out, errOut)
			}
			if !strings.Contains(errOut, tc.want) {
				t.Errorf("stderr %q lacks %q", errOut, tc.want)
			}
		})
	}
}

// `sdocker`, `sdocker --help`, `sdocker -h` and `sdocker help` print docker's own help (the
// installed docker's, byte for byte), then every sdocker verb with its line, on stdout, exit 0;
// `help run` stays docker's.
func TestTopLevelHelpListsEveryVerb(t *testing.T) {
	docker, err := exec.LookPath("docker")
	if err != nil {
		testenv.Missing(t, "no docker CLI on PATH: "+err.Error())
	}
	want, err := exec.Command(docker, "--help").Output()
	if err != nil {
		t.Fatalf("docker --help: %v", err)
	}
	for _, args := range [][]string{{}, {"--help"}, {"-h"}, {"help"}} {
		t.Run(strings.Join(append([]string{"sdocker"}, args...), " "), func(t *testing.T) {
			r := runBin(t, sdockerBin, "", nil, args...)
			if r.code != 0 || r.stderr != "" {
				t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
			}
			if !strings.HasPrefix(r.stdout, string(want)) {
				t.Fatalf("stdout does not start with docker's own help:\n%s", r.stdout)
			}
			ours := strings.TrimPrefix(r.stdout, string(want))
			for _, c := range newRoot(env{}).Commands() {
				if !strings.Contains(ours, "  "+c.Name()+"  ") || !strings.Contains(ours, c.Short) {
					t.Errorf("sdocker's section lacks %s (%s):\n%s", c.Name(), c.Short, ours)
				}
			}
		})
	}
	wantRun := runBin(t, docker, "", nil, "help", "run")
	if got := runBin(t, sdockerBin, "", nil, "help", "run"); got != wantRun {
		t.Errorf("sdocker help run = %+v, want docker's %+v", got, wantRun)
	}
}

// `policy check` prints one line per problem, each with the file, the line and the YAML key.
func TestPolicyCheckSpeaksYAML(t *testing.T) {
	file := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(file, []byte("version: 1\nruntime:\n  resources:\n    memory: [1, 2]\n  capabilites: {drop: [ALL]}\nimagse: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runInProcess(t, "policy", "check", file)
	want := "sdocker: " + file + ": line 4: runtime.resources.memory: expected a size like 512m or 1g, got a list\n" +
		"sdocker: " + file + ": line 5: runtime.capabilites: unknown key (did you mean capabilities?)\n" +
		"sdocker: " + file + ": line 6: imagse: unknown key (did you mean images?)\n"
	if code != 125 || out != "" || errOut != want {
		t.Fatalf("exit %d, stdout %q, stderr:\n%s\nwant:\n%s", code, out, errOut, want)
	}
}

func TestPolicyCheckWarnsWhereAFileWeakensTheDefault(t *testing.T) {
	file := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(file, []byte("version: 1\nruntime:\n  deny:\n    mounts: !replace [/srv]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runInProcess(t, "policy", "check", file)
	if code != 0 || out != file+": valid\n" || !strings.Contains(errOut, "sdocker: warning: "+file+": line 4: runtime.deny.mounts: !replace drops the default's /var/run/docker.sock") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}
