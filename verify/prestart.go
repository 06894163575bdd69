package verify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"

	"sdocker/wrapper/argv"
)

// Prestarted is a signature helper the front started while the core started
// (argv.PrestartHelper): it waits, through its package init, for a request on its stdin.
type Prestarted struct {
	// Path is the helper's path, as the front found it.
	Path                  string
	proc                  *os.Process
	stdin, stdout, stderr *os.File
	done                  bool
}

// TakePrestarted takes over the helper the front announced in argv.PrestartEnv, or returns nil
// when there is none (or the announcement does not describe three pipes). It removes the
// variable from the environment and keeps the pipes from every process started later.
func TakePrestarted(getenv func(string) string) *Prestarted {
	v := getenv(argv.PrestartEnv)
	if v == "" {
		return nil
	}
	_ = os.Unsetenv(argv.PrestartEnv)
	parts := strings.SplitN(v, ":", 5)
	if len(parts) != 5 || parts[4] == "" {
		return nil
	}
	var n [4]int
	for i := range n {
		var err error
		if n[i], err = strconv.Atoi(parts[i]); err != nil || n[i] <= 2 && i > 0 || n[i] <= 0 {
			return nil
		}
	}
	for _, fd := range n[1:] {
		var st syscall.Stat_t
		if syscall.Fstat(fd, &st) != nil || st.Mode&syscall.S_IFMT != syscall.S_IFIFO {
			return nil
		}
	}
	proc, err := os.FindProcess(n[0])
	if err != nil {
		return nil
	}
	for _, fd := range n[1:] {
		syscall.CloseOnExec(fd)
	}
	return &Prestarted{Path: parts[4], proc: proc,
		stdin: os.NewFile(uintptr(n[1]), "helper stdin"), stdout: os.NewFile(uintptr(n[2]), "helper stdout"), stderr: os.NewFile(uintptr(n[3]), "helper stderr")}
}

// Discard stops the helper if it was not given a request. It does nothing on nil.
func (p *Prestarted) Discard() {
	if p == nil || p.done {
		return
	}
	p.done = true
	_ = p.proc.Kill()
	_, _ = p.proc.Wait()
	p.stdin.Close()
	p.stdout.Close()
	p.stderr.Close()
}

// ask gives the helper req and returns its answer, as AskHelper does. A helper that is gone
// before it could read the request is replaced by one started now.
func (p *Prestarted) ask(ctx context.Context, req SigRequest) (SigResponse, error) {
	in, err := json.Marshal(req)
	if err != nil {
		return SigResponse{}, fmt.Errorf("encoding the verification request: %w", err)
	}
	var resp SigResponse
	taken, err := p.call(ctx, in, &resp)
	if !taken {
		return AskHelper(ctx, p.Path, req)
	}
	if err != nil {
		return SigResponse{}, err
	}
	return checkAnswer(p.Path, resp)
}

// call writes the request, reads the answer and reaps the helper; taken is false when the
// helper could not be given the request.
func (p *Prestarted) call(ctx context.Context, in []byte, out any) (taken bool, err error) {
	if p.done {
		return false, nil
	}
	stop := context.AfterFunc(ctx, func() { _ = p.proc.Kill() })
	defer stop()
	errOut := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(p.stderr)
		errOut <- b
	}()
	if _, err := p.stdin.Write(in); err != nil {
		p.Discard()
		<-errOut
		return false, nil
	}
	p.done = true
	p.stdin.Close()
	stdout, _ := io.ReadAll(p.stdout)
	stderr := <-errOut
	p.stdout.Close()
	p.stderr.Close()
	state, runErr := p.proc.Wait()
	if runErr == nil && !state.Success() {
		runErr = errors.New(state.String())
	}
	return true, decodeAnswer(ctx, p.Path, stdout, string(stderr), runErr, out)
}
