package main

import (
	"os/exec"
	"strings"
	"testing"
)

// sdocker-verify starts for every cold signature check and every manifest the scan gate reads:
// it links sigstore-go and go-containerregistry, not cosign, whose packages cost it two
// milliseconds more to start (rocacheck, snappy, the Rekor client…). Checks that need cosign
// go to sdocker-verify-cosign.
func TestHelperDoesNotLinkCosign(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, "github.com/sigstore/cosign/") || pkg == "sdocker/verify/sig" {
			t.Errorf("sdocker-verify links %s; what needs cosign belongs in sdocker-verify-cosign", pkg)
		}
	}
}
