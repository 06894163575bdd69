package main

import (
	"os/exec"
	"strings"
	"testing"
)

// sdocker is on the pass-through path of every docker command, so it must stay cheap to
// start: signature verification lives in the sdocker-verify helper, and sdocker links none of
// cosign, sigstore, go-containerregistry or the moby client.
func TestSdockerDoesNotLinkHeavyDeps(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	forbidden := []string{
		"github.com/sigstore/",
		"github.com/google/go-containerregistry/",
		"github.com/docker/docker/",
		"github.com/moby/moby/",
		"sdocker/verify/sig",
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if strings.HasPrefix(pkg, f) || pkg == strings.TrimSuffix(f, "/") {
				t.Errorf("sdocker links %s (forbidden: %s…); move that code behind sdocker-verify", pkg, f)
			}
		}
	}
}
