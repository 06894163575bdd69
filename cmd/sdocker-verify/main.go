// Command sdocker-verify is the helper that verifies image signatures for sdocker and reads
// manifests from registries for its scan gate. It alone links cosign, sigstore and
// go-containerregistry, so that sdocker stays cheap to start on the pass-through path of every
// docker command. It reads one verify.SigRequest as JSON on stdin and writes one
// verify.SigResponse as JSON on stdout; `sdocker-verify resolve` reads a verify.ResolveRequest
// and writes a verify.ResolveResponse. A failed check is an answer (with its error class), not a
// failure of the helper, which exits 0 whenever it could answer.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"sdocker/verify"
	"sdocker/verify/sig"
)

func main() {
	run := run
	if len(os.Args) == 2 && os.Args[1] == "resolve" {
		run = resolve
	}
	if err := run(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "sdocker-verify: "+err.Error())
		os.Exit(2)
	}
}

func run(stdin io.Reader, stdout io.Writer) error {
	var req verify.SigRequest
	if err := json.NewDecoder(stdin).Decode(&req); err != nil {
		return fmt.Errorf("reading the request: %w", err)
	}
	if req.DockerConfig != "" {
		// authn.DefaultKeychain reads docker's config.json from $DOCKER_CONFIG.
		if err := os.Setenv("DOCKER_CONFIG", req.DockerConfig); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var v sig.Verifier
	resp, err := v.Verify(ctx, req)
	if err != nil {
		var se *verify.SigError
		if !errors.As(err, &se) {
			se = verify.SigErrorf(verify.ClassUnverifiable, "%v", err)
		}
		resp.Error = se
	}
	return json.NewEncoder(stdout).Encode(resp)
}

func resolve(stdin io.Reader, stdout io.Writer) error {
	var req verify.ResolveRequest
	if err := json.NewDecoder(stdin).Decode(&req); err != nil {
		return fmt.Errorf("reading the request: %w", err)
	}
	if req.DockerConfig != "" {
		if err := os.Setenv("DOCKER_CONFIG", req.DockerConfig); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var v sig.Verifier
	resp, err := v.Resolve(ctx, req)
	if err != nil {
		var se *verify.SigError
		if !errors.As(err, &se) {
			se = verify.SigErrorf(verify.ClassUnverifiable, "%v", err)
		}
		resp.Error = se
	}
	return json.NewEncoder(stdout).Encode(resp)
}
