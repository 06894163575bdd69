// Command sdocker-verify-cosign is the helper that verifies image signatures in both formats
// with cosign as a library: legacy signatures and attestations, Sigstore bundles, transparency
// logs. sdocker-verify hands it the checks the bundles alone do not decide, and sdocker sends
// it those that need cosign whatever the image holds (verify.NeedsCosign). It speaks the same
// protocol as sdocker-verify: one verify.SigRequest as JSON on stdin, one verify.SigResponse
// on stdout (`sdocker-verify-cosign resolve`: a verify.ResolveRequest and a
// verify.ResolveResponse); a failed check is an answer, and it exits 0 whenever it could answer.
package main

import (
	"fmt"
	"io"
	"os"

	"sdocker/verify"
	"sdocker/verify/sig"
)

func main() {
	run := run
	if len(os.Args) == 2 && os.Args[1] == "resolve" {
		run = resolve
	}
	if err := run(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "sdocker-verify-cosign: "+err.Error())
		os.Exit(2)
	}
}

func run(stdin io.Reader, stdout io.Writer) error {
	var v sig.Verifier
	return verify.Answer(stdin, stdout, v.Verify, func(resp *verify.SigResponse, se *verify.SigError) { resp.Error = se })
}

func resolve(stdin io.Reader, stdout io.Writer) error {
	var v sig.Verifier
	return verify.Answer(stdin, stdout, v.Resolve, func(resp *verify.ResolveResponse, se *verify.SigError) { resp.Error = se })
}
