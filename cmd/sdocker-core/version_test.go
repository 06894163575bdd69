package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// `sdocker version` prints sdocker's block, then hands docker its own `version` with the flags
// as given; with a format, docker's output is all there is (scripts parse it).
func TestVersionThenDockers(t *testing.T) {
	for _, tc := range []struct {
		name      string
		args      []string
		wantBlock bool
	}{
		{"plain", []string{"version"}, true},
		{"docker's other flag", []string{"version", "--kubeconfig", "k"}, true},
		{"format", []string{"version", "--format", "{{.Server.Version}}"}, false},
		{"format short", []string{"version", "-f", "json"}, false},
		{"format joined", []string{"version", "--format={{json .}}"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			var got []string
			code := run(tc.args, env{stdout: &out, stderr: &errb, getenv: func(k string) string {
				if k == "SDOCKER_DOCKER" {
					return "/usr/bin/docker"
				}
				return os.Getenv(k)
			}, exec: func(_ string, argv []string) error { got = argv; return nil }})
			if code != 0 || errb.Len() != 0 {
				t.Fatalf("exit %d, stderr %q", code, errb.String())
			}
			if !slices.Equal(got, tc.args) {
				t.Errorf("docker got %q, want %q", got, tc.args)
			}
			hasBlock := strings.HasPrefix(out.String(), "sdocker:\n Version:    ")
			if hasBlock != tc.wantBlock {
				t.Errorf("stdout %q: sdocker's block printed %v, want %v", out.String(), hasBlock, tc.wantBlock)
			}
			for _, want := range []string{"Git commit: ", "Built:      ", "Go version: go"} {
				if tc.wantBlock && !strings.Contains(out.String(), want) {
					t.Errorf("stdout %q lacks %q", out.String(), want)
				}
			}
		})
	}
}

// A release build stamps version, commit and date with -ldflags; a build from a checkout takes
// the commit and its time from Go's VCS stamp.
func TestVersionStamps(t *testing.T) {
	dir := t.TempDir()
	stamped, plain := filepath.Join(dir, "stamped"), filepath.Join(dir, "plain")
	for bin, flags := range map[string][]string{
		stamped: {"-ldflags", "-X main.version=1.2.3 -X main.commit=0123abc -X main.date=2026-12-01T09:00:00Z"},
		plain:   {"-buildvcs=auto"},
	} {
		if out, err := exec.Command("go", append(append([]string{"build", "-o", bin}, flags...), ".")...).CombinedOutput(); err != nil {
			t.Fatalf("go build: %v\n%s", err, out)
		}
	}
	env := []string{"SDOCKER_DOCKER=/bin/true"}
	r := runBin(t, stamped, "", env, "version")
	want := "sdocker:\n Version:    1.2.3\n Git commit: 0123abc\n Built:      2026-12-01T09:00:00Z\n"
	if r.code != 0 || !strings.HasPrefix(r.stdout, want) {
		t.Errorf("stamped build: %+v, want stdout to start with %q", r, want)
	}
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Logf("not a git checkout (%v): the fallback's commit is not checked", err)
		return
	}
	if fi, err := os.Stat(filepath.Join(strings.TrimSpace(gitOut(t, "rev-parse", "--show-toplevel")), ".git")); err == nil && !fi.IsDir() {
		// Go stamps VCS information only where .git is a directory, not in a git worktree.
		t.Logf("a git worktree: Go records no VCS stamp here, so the fallback's commit is not checked")
		return
	}
	r = runBin(t, plain, "", env, "version")
	if r.code != 0 || !strings.Contains(r.stdout, " Git commit: "+strings.TrimSpace(string(head))) ||
		strings.Contains(r.stdout, "Built:      unknown") {
		t.Errorf("build from the checkout: %+v, want commit %s and its date", r, head)
	}
}

func gitOut(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("git", args...).Output()
	if err != nil {
		t.Fatalf("git %q: %v", args, err)
	}
	return string(out)
}
