package defaults

import (
	"errors"
	"strings"
	"testing"
)

func TestSignaturePolicy(t *testing.T) {
	tests := []struct {
		name, yaml, wantErr string
	}{
		{"keys", "images:\n  - match: \"**\"\n    signature: {keys: [k.pub], keys_mode: any}\n", ""},
		{"bad keys_mode", "images:\n  - match: \"**\"\n    signature: {keys: [k.pub], keys_mode: most}\n", "keys_mode"},
		{"empty identities", "images:\n  - match: \"**\"\n    signature: {keyless: {roots: r.pem, identities: []}}\n", "would trust anyone"},
		{"required alone, no content_trust", "images:\n  - match: \"**\"\n    signature: {required: true}\n", "content_trust"},
		{"required alone, content_trust", "content_trust: {keys: [k.pub]}\nimages:\n  - match: \"**\"\n    signature: {required: true}\n", ""},
		{"content_trust without keys", "content_trust: {keys_mode: all}\n", "content_trust: name keys"},
		{"content_trust keyless without identities", "content_trust: {keyless: {roots: r.pem}}\n", "content_trust.keyless.identities"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse([]byte("version: 1\n"+tc.yaml), "test.yaml")
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if r := p.ImageRule("x"); r != nil && !r.Signature.Required {
					t.Errorf("rule %q: Required not set", r.Match)
				}
				return
			}
			if !errors.Is(err, ErrPolicy) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want a policy error with %q", err, tc.wantErr)
			}
		})
	}
}
