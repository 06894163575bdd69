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
	return answer(stdin, stdout, func(ctx context.Context, v *sig.Verifier, req verify.SigRequest) (verify.SigResponse, error) {
		return v.Verify(ctx, req)
	}, func(resp *verify.SigResponse, se *verify.SigError) { resp.Error = se })
}

func resolve(stdin io.Reader, stdout io.Writer) error {
	return answer(stdin, stdout, func(ctx context.Context, v *sig.Verifier, req verify.ResolveRequest) (verify.ResolveResponse, error) {
		return v.Resolve(ctx, req)
	}, func(resp *verify.ResolveResponse, se *verify.SigError) { resp.Error = se })
}

// dockerConfigured is a request that names the docker configuration to read credentials from.
type dockerConfigured interface {
	verify.SigRequest | verify.ResolveRequest
}

// answer reads one request, does it, and writes one answer: a failed check is an answer with its
// error class, never a failure of the helper.
func answer[Req dockerConfigured, Resp any](stdin io.Reader, stdout io.Writer, do func(context.Context, *sig.Verifier, Req) (Resp, error),
	setErr func(*Resp, *verify.SigError)) error {
	var req Req
	if err := json.NewDecoder(stdin).Decode(&req); err != nil {
		return fmt.Errorf("reading the request: %w", err)
	}
	if dir := dockerConfig(req); dir != "" {
		// authn.DefaultKeychain reads docker's config.json from $DOCKER_CONFIG.
		if err := os.Setenv("DOCKER_CONFIG", dir); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var v sig.Verifier
	resp, err := do(ctx, &v, req)
	if err != nil {
		var se *verify.SigError
		if !errors.As(err, &se) {
			se = verify.SigErrorf(verify.ClassUnverifiable, "%v", err)
		}
		setErr(&resp, se)
	}
	return json.NewEncoder(stdout).Encode(resp)
}

func dockerConfig(req any) string {
	switch r := req.(type) {
	case verify.SigRequest:
		return r.DockerConfig
	case verify.ResolveRequest:
		return r.DockerConfig
	}
	return ""
}
