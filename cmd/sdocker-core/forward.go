package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"

	"sdocker/verify"
	"sdocker/wrapper"
	"sdocker/wrapper/plan"
)

// forward handles every docker command line: the plan (wrapper/plan) says what docker gets —
// commands sdocker does not decide untouched; run, create, exec, update, pull and the others it
// decides rewritten — and forward runs it.
func forward(argv []string, e env) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := plan.Make(ctx, planEnv(e), argv)
	if err != nil {
		return scanRefusal(e, err)
	}
	if p.ContentTrust {
		// sdocker made the check; docker must not try Notary on top of it.
		os.Unsetenv("DOCKER_CONTENT_TRUST")
	}
	switch p.Action {
	case plan.PullAndTag:
		return pullAndTag(e, p)
	case plan.StackDeploy:
		return execStack(e, p)
	}
	if err := p.Ensure(ctx); err != nil {
		return err
	}
	if p.Foreground && e.exec == nil {
		docker, err := wrapper.FindDocker(e.getenv)
		if err != nil {
			return err
		}
		return runWatched(watched{e: e, docker: docker, p: p})
	}
	return execDocker(e, p.Argv)
}

// planEnv is what a plan needs from the process.
func planEnv(e env) plan.Env {
	return plan.Env{
		Getenv: e.getenv, Out: e.stderr, Cwd: cwd(), ReadFile: os.ReadFile, Stdin: e.stdin,
		Signatures: signatureChecker(e), ScanBase: func() (verify.ScanInput, error) { return scanBase(e) },
		BuildKit: func() bool { return buildKitBuilds(e.getenv) },
	}
}

// pullAndTag pulls the checked digest and then gives it the tag the user asked for, as docker
// itself does when it pulls by digest for content trust: docker pulls what was checked, and
// REPO:TAG exists afterwards. docker runs as a child here (it cannot be exec'd: the tag comes
// after); its output and exit status are passed through.
func pullAndTag(e env, p *plan.Plan) error {
	docker, err := wrapper.FindDocker(e.getenv)
	if err != nil {
		return err
	}
	cmd := exec.Command(docker, p.Argv...)
	cmd.Args[0] = "docker"
	cmd.Stdin, cmd.Stdout, cmd.Stderr = e.stdin, e.stdout, e.stderr
	// Ctrl-C reaches docker through the terminal's process group; sdocker waits for its status.
	signal.Ignore(os.Interrupt, syscall.SIGTERM)
	defer signal.Reset(os.Interrupt, syscall.SIGTERM)
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return &silentError{code: exit.ExitCode()}
		}
		return fmt.Errorf("running %s: %w", docker, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return p.Engine.Tag(ctx, p.Edit.Image, p.Tag.Repo, p.Tag.Tag)
}

func execDocker(e env, argv []string) error {
	docker, err := wrapper.FindDocker(e.getenv)
	if err != nil {
		return err
	}
	if e.exec != nil {
		return e.exec(docker, argv)
	}
	return wrapper.Exec(docker, argv)
}

func cwd() string {
	d, _ := os.Getwd()
	return d
}
