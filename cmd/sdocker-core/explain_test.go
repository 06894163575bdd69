package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sdocker/internal/golden"
)

// runInProcess runs sdocker's command dispatch without exec'ing anything.
func runInProcess(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	t.Setenv("SDOCKER_POLICY", "")
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	var out, errb bytes.Buffer
	code = run(args, env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: os.Getenv,
		exec: func(string, []string) error {
			t.Fatal("explain must not exec docker")
			return nil
		}})
	return out.String(), errb.String(), code
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", "explain", name+".golden"), []byte(got))
}

func TestExplainGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"refused-text", []string{"explain", "run", "--privileged", "-it", "--cap-add", "sys_admin", "-v", "/var/run/docker.sock:/s",
			"--pid=host", "busybox", "sh", "-c", "echo --privileged"}, 125},
		{"hardened-text", []string{"explain", "run", "--rm", "--security-opt", "seccomp=default", "-m", "256m", "busybox"}, 0},
		{"hardened-json", []string{"explain", "--format", "json", "create", "--name", "web", "-p", "80:80", "--log-driver", "local", "nginx:1.27"}, 0},
		{"refused-json", []string{"explain", "--format=json", "container", "run", "--net=host", "--mount", `type=bind,"src=/",dst=/h`, "img"}, 125},
		{"exec-text", []string{"explain", "exec", "--privileged", "c1", "sh"}, 125},
		{"nonroot-text", []string{"explain", "run", "-u", "1000:1000", "img"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := runInProcess(t, tc.args...)
			if code != tc.code || errOut != "" {
				t.Fatalf("exit %d (want %d), stderr %q", code, tc.code, errOut)
			}
			checkGolden(t, tc.name, out)
		})
	}
}

func TestExplainUsage(t *testing.T) {
	for _, args := range [][]string{
		{"explain"},
		{"explain", "ps"},
		{"explain", "--format", "yaml", "run", "img"},
		{"explain", "run", "--no-such-flag", "img"},
	} {
		out, errOut, code := runInProcess(t, args...)
		if code != 125 || out != "" || strings.Count(errOut, "\n") != 1 || !strings.HasPrefix(errOut, "sdocker: ") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want one sdocker: line and 125", args, code, out, errOut)
		}
	}
}
