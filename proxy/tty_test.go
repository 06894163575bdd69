package proxy_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// tmuxSession runs a command in a detached tmux session of its own (80x24) until the test ends.
type tmuxSession struct {
	t      *testing.T
	socket string
}

func startTmux(t *testing.T, env []string, command string) tmuxSession {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatal("tmux is needed for the TTY tests (apt-get install tmux)")
	}
	s := tmuxSession{t: t, socket: "sdocker-proxy-" + strings.ReplaceAll(t.Name(), "/", "-")}
	args := []string{"-L", s.socket, "new-session", "-d", "-s", "main", "-x", "80", "-y", "24"}
	for _, kv := range env {
		args = append(args, "-e", kv)
	}
	if out, err := exec.Command("tmux", append(args, command)...).CombinedOutput(); err != nil {
		t.Fatalf("tmux: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("tmux", "-L", s.socket, "kill-server").Run() })
	return s
}

func (s tmuxSession) tmux(args ...string) string {
	out, _ := exec.Command("tmux", append([]string{"-L", s.socket}, args...)...).CombinedOutput()
	return string(out)
}

// waitFor waits until the pane shows want.
func (s tmuxSession) waitFor(want string) {
	s.t.Helper()
	var pane string
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if pane = s.tmux("capture-pane", "-p", "-t", "main"); strings.Contains(pane, want) {
			return
		}
	}
	s.t.Fatalf("the pane never showed %q:\n%s", want, pane)
}

// run -it and exec -it through the proxy under a real terminal: the size reaches the
// container, a resize too, and keystrokes go in.
func TestTTYThroughProxy(t *testing.T) {
	px := startProxy(t, "")
	env := []string{"DOCKER_HOST=" + px.host(), "PATH=" + os.Getenv("PATH")}
	check := func(t *testing.T, s tmuxSession) {
		s.waitFor("size 24x80")
		s.tmux("resize-window", "-t", "main", "-x", "100", "-y", "30")
		s.waitFor("size 30x100")
		s.tmux("send-keys", "-t", "main", "through the proxy", "Enter")
		s.waitFor("echo through the proxy")
		s.tmux("send-keys", "-t", "main", "exit", "Enter")
	}
	t.Run("run -it", func(t *testing.T) {
		check(t, startTmux(t, env, "docker run -it --rm --label "+runLabel+" "+image+" tty; sleep 30"))
	})
	t.Run("exec -it", func(t *testing.T) {
		r := docker(t, px.host(), "", "run", "-d", "--label", runLabel, image, "sleep")
		if r.code != 0 {
			t.Fatal(r.stderr)
		}
		id := strings.TrimSpace(r.stdout)
		defer exec.Command("docker", "rm", "-f", id).Run()
		check(t, startTmux(t, env, "docker exec -it "+id+" /ctr tty; sleep 30"))
	})
}
