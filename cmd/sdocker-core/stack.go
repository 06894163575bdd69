package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"sdocker/defaults"
	"sdocker/wrapper"
)

// stackFile is the one compose file of a stack deploy, read once.
type stackFile struct {
	in    stackInput
	flags []wrapper.Occurrence // the -c/--compose-file occurrences that named it
}

// readStack reads the compose file a stack deploy names. docker would read it again after the
// check, so sdocker hands docker the bytes it checked (on stdin, as -c -, from the file's
// directory). Several files are refused: docker merges them, and the merged file is what
// should be checked.
func readStack(e env, inv *wrapper.Invocation) (*stackFile, error) {
	var names []string
	var flags []wrapper.Occurrence
	for _, o := range inv.Flags {
		if o.Flag.Name == "compose-file" {
			names = append(names, strings.Split(o.Value, ",")...)
			flags = append(flags, o)
		}
	}
	switch {
	case len(names) == 0:
		return nil, nil // docker says a compose file is needed
	case len(names) > 1:
		return nil, &wrapper.UsageError{Msg: fmt.Sprintf("sdocker checks one compose file per stack deploy, and %d are named; "+
			"merge them with `docker stack config -c FILE -c FILE > merged.yml` and deploy merged.yml", len(names))}
	}
	env := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok && k != "" {
			env[k] = v
		}
	}
	sf := &stackFile{flags: flags, in: stackInput{Name: names[0], Environment: env}}
	var err error
	if names[0] == "-" {
		sf.in.WorkingDir = cwd()
		sf.in.Data, err = io.ReadAll(e.stdin)
	} else {
		var abs string
		if abs, err = filepath.Abs(names[0]); err == nil {
			sf.in.WorkingDir = filepath.Dir(abs)
			sf.in.Data, err = os.ReadFile(abs)
		}
	}
	if err != nil {
		return nil, &wrapper.UsageError{Msg: fmt.Sprintf("reading compose file %s: %v", names[0], err)}
	}
	return sf, nil
}

// stackInput is what the sdocker-stack helper reads (its stack.Input, in JSON).
type stackInput struct {
	Name        string
	Data        []byte
	WorkingDir  string
	Environment map[string]string
}

// stackHelperName reads compose files with docker's loader, which the core does not link.
const stackHelperName = "sdocker-stack"

// stackRequests asks the sdocker-stack helper to read the compose file as docker does.
func stackRequests(ctx context.Context, getenv func(string) string, sf *stackFile) ([]defaults.Request, error) {
	if sf == nil {
		return nil, nil
	}
	path, err := findStackHelper(getenv)
	if err != nil {
		return nil, err
	}
	in, err := json.Marshal(sf.in)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, path)
	cmd.Stdin = bytes.NewReader(in)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	runErr := cmd.Run()
	var resp struct {
		Requests []defaults.Request
		Error    string
	}
	if err := json.Unmarshal(out.Bytes(), &resp); err != nil {
		return nil, fmt.Errorf("running %s: %v %s", path, runErr, strings.TrimSpace(errOut.String()))
	}
	if resp.Error != "" {
		return nil, &wrapper.UsageError{Msg: resp.Error}
	}
	return resp.Requests, nil
}

// findStackHelper locates sdocker-stack: $SDOCKER_STACK, then next to this executable, then
// on PATH.
func findStackHelper(getenv func(string) string) (string, error) {
	if p := getenv("SDOCKER_STACK"); p != "" {
		return p, nil
	}
	if self, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(self), stackHelperName)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	p, err := exec.LookPath(stackHelperName)
	if err != nil {
		return "", fmt.Errorf("the %s helper, which reads compose files for stack deploy, was found neither next to sdocker nor on PATH (set SDOCKER_STACK)", stackHelperName)
	}
	return p, nil
}

// execStack execs docker stack deploy with the checked bytes on its standard input (an
// unlinked file), from the directory docker would resolve relative paths in.
func execStack(e env, inv *wrapper.Invocation, sf *stackFile) error {
	if sf == nil {
		return execDocker(e, inv.Argv)
	}
	argv := wrapper.Render(inv, wrapper.Edit{Add: []string{"--compose-file=-"}, Remove: sf.flags})
	f, err := os.CreateTemp("", "sdocker-stack-*.yml")
	if err != nil {
		return fmt.Errorf("keeping the checked compose file: %w", err)
	}
	defer f.Close()
	_ = os.Remove(f.Name())
	if _, err := f.Write(sf.in.Data); err != nil {
		return fmt.Errorf("keeping the checked compose file: %w", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if e.exec != nil {
		return e.exec("docker", argv) // tests: nothing to redirect
	}
	if err := unix.Dup2(int(f.Fd()), 0); err != nil {
		return fmt.Errorf("handing docker the checked compose file: %w", err)
	}
	if err := os.Chdir(sf.in.WorkingDir); err != nil {
		return fmt.Errorf("handing docker the checked compose file: %w", err)
	}
	return execDocker(e, argv)
}
