// Command sdocker-verify is the helper that verifies image signatures for sdocker and reads
// manifests from registries for its scan gate. It links sigstore-go and go-containerregistry,
// so that sdocker stays cheap to start on the pass-through path of every docker command, but
// not cosign: a check that the image's Sigstore bundles do not decide (legacy signatures and
// attestations, transparency logs) it hands to sdocker-verify-cosign, found beside it, and
// passes on that helper's answer. It reads one verify.SigRequest as JSON on stdin and writes
// one verify.SigResponse as JSON on stdout; `sdocker-verify resolve` reads a
// verify.ResolveRequest and writes a verify.ResolveResponse. A failed check is an answer (with
// its error class), not a failure of the helper, which exits 0 whenever it could answer.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"sdocker/verify"
	"sdocker/verify/bundle"
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
	var v bundle.Verifier
	return verify.Answer(stdin, stdout, func(ctx context.Context, req verify.SigRequest) (verify.SigResponse, error) {
		resp, err := v.Verify(ctx, req)
		if !errors.Is(err, bundle.ErrUndecided) {
			return resp, err
		}
		return handOver(ctx, req, resp.Digest)
	}, func(resp *verify.SigResponse, se *verify.SigError) { resp.Error = se })
}

// handOver asks sdocker-verify-cosign to decide a check, pinned to the digest already resolved
// (when there is one) so that both looked at the same image. Without that helper, the check
// could not be made: it fails, as unverifiable.
func handOver(ctx context.Context, req verify.SigRequest, digest string) (verify.SigResponse, error) {
	path, err := verify.FindCosignHelper(os.Getenv)
	if err != nil {
		return verify.SigResponse{}, err
	}
	if digest != "" {
		req.Digest = digest
	}
	return verify.AskHelper(ctx, path, req)
}

func resolve(stdin io.Reader, stdout io.Writer) error {
	var v bundle.Verifier
	return verify.Answer(stdin, stdout, v.Resolve, func(resp *verify.ResolveResponse, se *verify.SigError) { resp.Error = se })
}
