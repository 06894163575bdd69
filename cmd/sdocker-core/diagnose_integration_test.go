package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"sdocker/internal/testenv"
)

// strictPolicy writes the guide's strict form (nothing given back after --cap-drop=ALL) and
// returns the environment that selects it.
func strictPolicy(t *testing.T) []string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "strict.yaml")
	if err := os.WriteFile(path, []byte("version: 1\nruntime: {capabilities: {setup: none}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return []string{"SDOCKER_POLICY=" + path}
}

// A foreground run that fails because of what sdocker withheld says so, after docker's own
// output and with docker's exit status.
func TestForegroundRunSaysWhatSdockerWithheld(t *testing.T) {
	requireDaemon(t)
	img := requireReplica(t, "redis")
	r := runBin(t, sdockerBin, "", strictPolicy(t), append(append([]string{"run", "--rm"}, labelled()...), img, "redis-server")...)
	if r.code != 1 {
		t.Fatalf("exit %d, want the container's 1\n%s", r.code, r.stderr)
	}
	for _, want := range []string{
		"chown: changing ownership of '.': Operation not permitted\n",
		"sdocker: the container exited with status 1 after \"chown: changing ownership of '.': Operation not permitted\": capability CHOWN",
		"to allow it, run it with --cap-add CHOWN, after adding CHOWN to runtime.capabilities.allow",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	// Under the default policy the same command works, and a failure sdocker did not cause
	// is not blamed on it.
	r = sdocker(t, append(append([]string{"run", "--rm"}, labelled()...), testImage, "say", "out", "chown: x: Operation not permitted", "3")...)
	if r.code != 3 || r.stdout != "out\n" || strings.Contains(r.stderr, "sdocker:") {
		t.Fatalf("exit %d, stdout %q, stderr %q; want 3, out, and no sdocker line (CHOWN was given)", r.code, r.stdout, r.stderr)
	}
}

// `sdocker diagnose` reads a container that already died.
func TestDiagnoseADeadContainer(t *testing.T) {
	requireDaemon(t)
	img := requireReplica(t, "postgres")
	name := "sdocker-it-diagnose-" + strings.TrimPrefix(runLabel, "sdocker-it=")
	r := runBin(t, sdockerBin, "", strictPolicy(t), append(append([]string{"run", "-d", "--name", name}, labelled()...), img)...)
	defer exec.Command("docker", "rm", "-f", name).Run()
	if r.code != 0 {
		t.Fatalf("run -d: exit %d: %s", r.code, r.stderr)
	}
	exec.Command("docker", "wait", name).Run()
	r = sdocker(t, "diagnose", name)
	if r.code != 0 {
		t.Fatalf("diagnose: exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{name + " (" + img + ") exited with status 1", "likely cause: capability DAC_OVERRIDE",
		"Permission denied", "to allow it, run it with --cap-add DAC_OVERRIDE (in the setup set: no policy change needed)"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("diagnose output lacks %q:\n%s", want, r.stdout)
		}
	}
	if r := sdocker(t, "diagnose", "sdocker-it-no-such-container"); r.code != 125 || !strings.HasPrefix(r.stderr, "sdocker: ") {
		t.Errorf("diagnose of a missing container: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := sdocker(t, "diagnose", "--help"); r.code != 0 || !strings.Contains(r.stdout, "sdocker diagnose [--policy FILE] CONTAINER") {
		t.Errorf("diagnose --help: exit %d, stdout %q", r.code, r.stdout)
	}
}

// A signal sent to sdocker reaches docker (and so the container), and sdocker ends with the
// status docker ends with, as if docker had been exec'd.
func TestForegroundRunPassesSignals(t *testing.T) {
	requireDaemon(t)
	status := func(bin string) int {
		args := append(append([]string{"run", "--rm", "--init"}, labelled()...), testImage, "sleep")
		if bin == "docker" {
			args = append([]string{"run", "--rm", "--init", "--network", "sdocker"}, append(labelled(), testImage, "sleep")...)
		}
		cmd := exec.Command(bin, args...)
		var errb bytes.Buffer
		cmd.Stderr = &errb
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Wait for the container to run, then signal the command we started.
		for i := 0; i < 100; i++ {
			out, _ := exec.Command("docker", "ps", "-q", "--filter", "label="+runLabel, "--filter", "ancestor="+testImage).Output()
			if len(bytes.TrimSpace(out)) > 0 {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		time.Sleep(300 * time.Millisecond)
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("%s run did not end after SIGTERM; stderr %s", bin, errb.String())
		}
		return cmd.ProcessState.ExitCode()
	}
	got, want := status(sdockerBin), status("docker")
	t.Logf("exit status after SIGTERM: sdocker %d, docker %d", got, want)
	if got != want {
		t.Fatalf("after SIGTERM: sdocker exits %d, docker %d", got, want)
	}
}

// In a terminal (tmux), Ctrl-C ends a foreground run through sdocker with the status it ends
// docker's with, with -it, -i and neither: the terminal's signals reach docker once.
func TestForegroundRunInATerminal(t *testing.T) {
	requireDaemon(t)
	if _, err := exec.LookPath("tmux"); err != nil {
		testenv.Missing(t, "tmux is missing (scripts/test.sh installs it)")
	}
	dir := t.TempDir()
	status := func(bin, mode string) string {
		session := "sdocker-it-tty-" + strings.TrimPrefix(runLabel, "sdocker-it=")
		rc := filepath.Join(dir, "rc")
		os.Remove(rc)
		label := "sdocker-it-tty=" + session
		line := fmt.Sprintf("%s run --rm %s --init --network sdocker --label %s %s sleep; echo $? > %s", bin, mode, label, testImage, rc)
		if out, err := exec.Command("tmux", "new-session", "-d", "-s", session, "-x", "100", "-y", "20", line).CombinedOutput(); err != nil {
			t.Fatalf("tmux: %v %s", err, out)
		}
		defer exec.Command("tmux", "kill-session", "-t", session).Run()
		defer func() {
			out, _ := exec.Command("docker", "ps", "-aq", "--filter", "label="+label).Output()
			if ids := strings.Fields(string(out)); len(ids) > 0 {
				exec.Command("docker", append([]string{"rm", "-f"}, ids...)...).Run()
			}
		}()
		for i := 0; i < 100; i++ {
			if out, _ := exec.Command("docker", "ps", "-q", "--filter", "label="+label).Output(); len(bytes.TrimSpace(out)) > 0 {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		time.Sleep(500 * time.Millisecond)
		exec.Command("tmux", "send-keys", "-t", session, "C-c").Run()
		for i := 0; i < 100; i++ {
			if b, err := os.ReadFile(rc); err == nil && len(b) > 0 {
				return strings.TrimSpace(string(b))
			}
			time.Sleep(100 * time.Millisecond)
		}
		return "no exit after Ctrl-C"
	}
	for _, mode := range []string{"-it", "-i", ""} {
		got, want := status(sdockerBin, mode), status("docker", mode)
		t.Logf("run %q, Ctrl-C: sdocker %s, docker %s", mode, got, want)
		if got != want {
			t.Errorf("run %q, Ctrl-C: sdocker exits %s, docker %s", mode, got, want)
		}
	}
}

// With -t docker's output is the terminal's; a container that -t leaves behind is read from the
// daemon after it failed, and sdocker still says what it withheld.
func TestForegroundTTYRunIsDiagnosed(t *testing.T) {
	requireDaemon(t)
	if _, err := exec.LookPath("tmux"); err != nil {
		testenv.Missing(t, "tmux is missing (scripts/test.sh installs it)")
	}
	img := requireReplica(t, "redis")
	suffix := strings.TrimPrefix(runLabel, "sdocker-it=")
	session, name := "sdocker-it-ttyd-"+suffix, "sdocker-it-ttyd-"+suffix
	done := filepath.Join(t.TempDir(), "done")
	line := fmt.Sprintf("%s %s run -it --name %s --label %s %s; echo $? > %s; sleep 60",
		strictPolicy(t)[0], sdockerBin, name, runLabel, img, done)
	if out, err := exec.Command("tmux", "new-session", "-d", "-s", session, "-x", "150", "-y", "30", line).CombinedOutput(); err != nil {
		t.Fatalf("tmux: %v %s", err, out)
	}
	defer exec.Command("tmux", "kill-session", "-t", session).Run()
	defer exec.Command("docker", "rm", "-f", name).Run()
	for i := 0; i < 200; i++ {
		if b, _ := os.ReadFile(done); len(b) > 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	b, _ := os.ReadFile(done)
	pane, _ := exec.Command("tmux", "capture-pane", "-p", "-J", "-t", session).Output()
	if strings.TrimSpace(string(b)) != "1" {
		t.Fatalf("exit status %q, want the container's 1\n%s", b, pane)
	}
	want := "sdocker: the container exited with status 1 after \"chown: changing ownership of '.': Operation not permitted\": capability CHOWN"
	if !strings.Contains(string(pane), want) {
		t.Fatalf("terminal lacks %q:\n%s", want, pane)
	}
}
