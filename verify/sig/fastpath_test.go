package sig

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"sdocker/verify"
	"sdocker/verify/bundle"
)

// verifyBoth verifies req with the full verifier and with the bundles alone (what
// sdocker-verify decides without cosign), and fails the test unless the bundles' answer is the
// same or undecided: the first pass may hand a check over, never answer it differently.
func verifyBoth(t *testing.T, req verify.SigRequest) (verify.SigResponse, error) {
	t.Helper()
	var v Verifier
	resp, err := v.Verify(context.Background(), req)
	var fast bundle.Verifier
	fresp, ferr := fast.Verify(context.Background(), req)
	switch {
	case errors.Is(ferr, bundle.ErrUndecided):
		if err == nil && !verify.NeedsCosign(req.Rule) && allBundles(resp) {
			t.Errorf("the bundles alone left undecided a check their bundles decide: %+v (%v)", resp, ferr)
		}
	case ferr != nil:
		if err == nil || err.Error() != ferr.Error() {
			t.Errorf("the bundles alone failed with %v; the full check: %v", ferr, err)
		}
	case err != nil:
		t.Errorf("the bundles alone verified %+v; the full check failed: %v", fresp, err)
	case !reflect.DeepEqual(fresp, resp):
		t.Errorf("the bundles alone answered %+v; the full check %+v", fresp, resp)
	}
	return resp, err
}

// allBundles: every verification is a bundle's.
func allBundles(resp verify.SigResponse) bool {
	for _, vf := range resp.Verified {
		if vf.Format != verify.FormatBundle {
			return false
		}
	}
	return len(resp.Verified) > 0
}
