package main

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"

	"sdocker/wrapper/plan"
)

// execStack execs docker stack deploy with the checked bytes on its standard input (an
// unlinked file), from the directory docker would resolve relative paths in.
func execStack(e env, p *plan.Plan) error {
	sf, argv := p.Stack, p.Argv
	f, err := os.CreateTemp("", "sdocker-stack-*.yml")
	if err != nil {
		return fmt.Errorf("keeping the checked compose file: %w", err)
	}
	defer f.Close()
	_ = os.Remove(f.Name())
	if _, err := f.Write(sf.Data); err != nil {
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
	if err := os.Chdir(sf.WorkingDir); err != nil {
		return fmt.Errorf("handing docker the checked compose file: %w", err)
	}
	return execDocker(e, argv)
}
