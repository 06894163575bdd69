package main

import (
	"os/exec"
	"strings"
	"testing"
)

// sdocker-core starts for every run, create, exec, update and pull, so it must stay cheap to
// start: signature verification lives in the sdocker-verify helper and scans in the trivy
// binary, and the core links none of cosign, sigstore, go-containerregistry or trivy (nor the
// test fixtures under scripts/). Of moby it links the Engine API's types, whose init is cheap.
func TestSdockerDoesNotLinkHeavyDeps(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	forbidden := []string{
		"github.com/sigstore/",
		"github.com/google/go-containerregistry/",
		"github.com/docker/docker/",
		"github.com/moby/moby/v2/",
		"github.com/moby/moby/daemon/",
		"github.com/aquasecurity/",
		"sdocker/verify/sig",
		"sdocker/verify/bundle",
		"sdocker/scripts/",
		// docker's compose loader (its JSON-schema package: ~5 ms of init) is sdocker-stack's.
		"github.com/docker/cli/cli/compose/",
		"github.com/santhosh-tekuri/",
		"sdocker/wrapper/stack",
		// moby's Engine API client: measured here (2026-12) it adds about 0.75 ms to every start
		// of the core (distribution/reference's and go-digest's init, otel), 1.5 MB, and a
		// /_ping round trip of about 1 ms per command to negotiate the version; wrapper.Engine
		// speaks the few unversioned calls the core makes, ssh:// included.
		"github.com/moby/moby/client",
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if strings.HasPrefix(pkg, f) || pkg == strings.TrimSuffix(f, "/") {
				t.Errorf("sdocker links %s (forbidden: %s…); move that code behind sdocker-verify or an exec", pkg, f)
			}
		}
	}
}
