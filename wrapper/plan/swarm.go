package plan

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
	"time"

	"sdocker/defaults"
	"sdocker/wrapper"
)

// StackFile is the one compose file of a stack deploy, read once: docker is handed these bytes.
type StackFile struct {
	// Data is the compose file as checked.
	Data []byte
	// WorkingDir is the directory docker resolves the file's relative paths in.
	WorkingDir string
	// Flags are the -c/--compose-file occurrences that named it.
	Flags []wrapper.Occurrence
	in    stackInput
}

// readStack reads the compose file a stack deploy names. docker would read it again after the
// check, so sdocker hands docker the bytes it checked (on stdin, as -c -, from the file's
// directory). Several files are refused: docker merges them, and the merged file is what
// should be checked.
func readStack(env Env, inv *wrapper.Invocation) (*StackFile, error) {
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
	vars := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok && k != "" {
			vars[k] = v
		}
	}
	sf := &StackFile{Flags: flags, in: stackInput{Name: names[0], Environment: vars}}
	var err error
	if names[0] == "-" {
		sf.in.WorkingDir = env.Cwd
		sf.in.Data, err = io.ReadAll(env.Stdin)
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
	sf.Data, sf.WorkingDir = sf.in.Data, sf.in.WorkingDir
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
func stackRequests(ctx context.Context, getenv func(string) string, sf *StackFile) ([]defaults.Request, error) {
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

// decideSwarm decides service create, service update and stack deploy where swarm is active;
// elsewhere docker refuses them itself ("This node is not a swarm manager").
func (pl *Plan) decideSwarm(ctx context.Context, env Env) error {
	inv, p, eng := pl.Invocation, pl.Policy, pl.Engine
	var info struct {
		Swarm struct{ LocalNodeState string }
	}
	if err := eng.Get(ctx, "/info", &info); err != nil {
		return fmt.Errorf("asking the daemon whether swarm is active: %w", err)
	}
	if info.Swarm.LocalNodeState != "active" {
		return nil
	}
	var reqs []defaults.Request
	var sf *StackFile
	switch inv.Command {
	case "stack deploy":
		var err error
		if sf, err = readStack(env, inv); err != nil {
			return err
		}
		if reqs, err = stackRequests(ctx, env.Getenv, sf); err != nil {
			return err
		}
	default:
		r, err := wrapper.ServiceRequest(inv, env.Cwd)
		if err != nil {
			return err
		}
		reqs = []defaults.Request{r}
	}
	var edit wrapper.Edit
	for i := range reqs {
		// Networks by ID (the host's, the default bridge) and existing volumes are the daemon's.
		if err := wrapper.ResolveDaemonRefs(ctx, eng, &reqs[i]); err != nil {
			return err
		}
	}
	for _, r := range reqs {
		// A service's tasks run on any node of the swarm: host paths are judged by name, not
		// resolved on this host.
		d := defaults.Decide(defaults.Input{Policy: p, Request: r, Now: time.Now()})
		if err := Report(env.Out, d); err != nil {
			return err
		}
		if inv.Command == "service create" {
			var notes []string
			if edit, notes = wrapper.ServiceEdit(d); len(notes) > 0 {
				for _, n := range notes {
					fmt.Fprintln(env.Out, "sdocker: note: "+n)
				}
			}
		}
	}
	if inv.Command == "stack deploy" {
		if sf != nil {
			pl.Action, pl.Stack = StackDeploy, sf
			pl.Argv = wrapper.Render(inv, wrapper.Edit{Add: []string{"--compose-file=-"}, Remove: sf.Flags})
		}
		return nil
	}
	pl.Edit, pl.Argv = edit, wrapper.Render(inv, edit)
	return nil
}
