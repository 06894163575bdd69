package verify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// HelperRequest is a request the verification helpers read: each names the docker
// configuration to read registry credentials from.
type HelperRequest interface {
	SigRequest | ResolveRequest
}

// Answer is the helpers' side of the protocol: it reads one request from stdin, does it, and
// writes one answer to stdout. A failed check is an answer with its error class (set by
// setErr), never a failure of the helper; an error is returned only when no answer could be
// read or written.
func Answer[Req HelperRequest, Resp any](stdin io.Reader, stdout io.Writer, do func(context.Context, Req) (Resp, error),
	setErr func(*Resp, *SigError)) error {
	var req Req
	if err := json.NewDecoder(stdin).Decode(&req); err != nil {
		return fmt.Errorf("reading the request: %w", err)
	}
	if dir := dockerConfig(req); dir != "" {
		// go-containerregistry's default keychain reads docker's config.json from $DOCKER_CONFIG.
		if err := os.Setenv("DOCKER_CONFIG", dir); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	resp, err := do(ctx, req)
	if err != nil {
		var se *SigError
		if !errors.As(err, &se) {
			se = SigErrorf(ClassUnverifiable, "%v", err)
		}
		setErr(&resp, se)
	}
	return json.NewEncoder(stdout).Encode(resp)
}

func dockerConfig(req any) string {
	switch r := req.(type) {
	case SigRequest:
		return r.DockerConfig
	case ResolveRequest:
		return r.DockerConfig
	}
	return ""
}
