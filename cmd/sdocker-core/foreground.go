package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"sdocker/defaults"
	"sdocker/wrapper"
	"sdocker/wrapper/plan"
)

// runWatched runs docker for a foreground `run` as a child rather than exec'ing it, so that
// when the container fails with an error that a capability sdocker dropped, or
// no-new-privileges, explains, sdocker can say so. stdin, stdout and a TTY are docker's own
// (the same files); stderr is docker's too, copied through sdocker without -t so its last
// lines can be read. Signals sent to sdocker reach docker, and docker's exit status (or the
// signal that ended it) is sdocker's.
//
// With -t, docker's output is the terminal's and sdocker cannot read it: unless --rm removes
// the container, sdocker learns its ID (--cidfile) and reads its logs from the daemon after.
func runWatched(w watched) error {
	e, inv, edit := w.e, w.p.Invocation, w.p.Edit
	tty := plan.FlagSet(inv, "tty")
	cidfile := plan.FlagValue(inv, "cidfile")
	if tty && !plan.FlagSet(inv, "rm") && cidfile == "" {
		if dir, err := os.MkdirTemp("", "sdocker-run-"); err == nil {
			defer os.RemoveAll(dir)
			cidfile = dir + "/cid"
			edit.Add = append(append([]string(nil), edit.Add...), "--cidfile="+cidfile)
		}
	}
	cmd := exec.Command(w.docker, wrapper.Render(inv, edit)...)
	cmd.Args[0] = "docker"
	cmd.Stdin, cmd.Stdout, cmd.Stderr = e.stdin, e.stdout, e.stderr
	var tail *tailWriter
	if !tty {
		tail = &tailWriter{max: 64 << 10}
		cmd.Stderr = io.MultiWriter(e.stderr, tail)
	}
	// Caught, not ignored: an ignored signal would stay ignored in docker too. The terminal
	// sends Ctrl-C, Ctrl-\ and hang-ups to docker itself when sdocker runs in its foreground;
	// then they are not passed on a second time.
	sigs := make(chan os.Signal, 16)
	caught := []os.Signal{syscall.SIGTERM, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGHUP}
	fromTerminal := map[os.Signal]bool{syscall.SIGINT: true, syscall.SIGQUIT: true, syscall.SIGHUP: true}
	foreground := foregroundOfTerminal()
	signal.Notify(sigs, caught...)
	defer signal.Reset(caught...)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("running %s: %w", w.docker, err)
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-sigs:
				if !(foreground && fromTerminal[s]) {
					_ = cmd.Process.Signal(s)
				}
			case <-done:
				return
			}
		}
	}()
	err := cmd.Wait()
	close(done)
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		return fmt.Errorf("running %s: %w", w.docker, err)
	}
	if err == nil {
		return nil
	}
	if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		// End the way docker ended, so that the shell sees the same signal.
		signal.Reset(ws.Signal())
		_ = syscall.Kill(os.Getpid(), ws.Signal())
		return &silentError{code: 128 + int(ws.Signal())}
	}
	code := exit.ExitCode()
	switch {
	case tail != nil:
		explainFailure(e.stderr, w.p, tail.lines(), code)
	case tty && !plan.FlagSet(inv, "rm") && cidfile != "":
		diagnoseByID(e.stderr, w, cidfile)
	}
	return &silentError{code: code}
}

// watched is what runWatched needs: the process, docker, and the plan of the run.
type watched struct {
	e      env
	docker string
	p      *plan.Plan
}

// diagnoseByID reads a failed container that a -t run left behind, named by its cidfile.
func diagnoseByID(stderr io.Writer, w watched, cidfile string) {
	id, err := os.ReadFile(cidfile)
	if err != nil || len(strings.TrimSpace(string(id))) == 0 {
		return // docker failed before it created the container
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := wrapper.InspectContainer(ctx, w.p.Engine, strings.TrimSpace(string(id)), diagnoseTail)
	if err != nil || c.Running {
		return
	}
	for _, x := range defaults.Diagnose(w.p.Policy, c.State) {
		fmt.Fprintf(stderr, "sdocker: the container exited with status %d after %q: %s explains it; to allow it, %s\n",
			c.State.ExitCode, x.Line, cause(x), x.Hint)
	}
}

// explainFailure prints what a failed container's last output says about what sdocker withheld.
func explainFailure(w io.Writer, p *plan.Plan, output []string, code int) {
	for _, x := range p.Withheld(output, code) {
		if x.DroppedAs != "" {
			fmt.Fprintf(w, "sdocker: the container exited with status %d after %q: capability %s explains it, which %s dropped; to allow it, leave that out\n",
				code, x.Line, x.Cause, x.DroppedAs)
			continue
		}
		fmt.Fprintf(w, "sdocker: the container exited with status %d after %q: %s explains it; to allow it, %s\n",
			code, x.Line, cause(x.Diagnosis), x.Hint)
	}
}

// foregroundOfTerminal reports whether this process is in the foreground process group of its
// controlling terminal, where Ctrl-C and Ctrl-\ reach docker without sdocker's help.
func foregroundOfTerminal() bool {
	f, err := os.Open("/dev/tty")
	if err != nil {
		return false
	}
	defer f.Close()
	pgrp, err := unix.IoctlGetInt(int(f.Fd()), unix.TIOCGPGRP)
	return err == nil && pgrp == syscall.Getpgrp()
}

// tailWriter keeps the last max bytes written to it.
type tailWriter struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailWriter) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tailWriter) lines() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Split(strings.TrimRight(string(t.buf), "\n"), "\n")
}
