package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"sdocker/defaults"
	"sdocker/verify"
)

// A rule's attestations reach the helper resolved: short names as URIs, relative paths beside
// the policy, the signature's keys or identities where an attestation names none, and the
// signature's log requirement unless the attestation says otherwise.
func TestSignatureRuleAttestations(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "policy.yaml")
	tests := []struct {
		name, policy, want string
	}{
		{"inherits the signature's keys", `images:
  - match: "**"
    signature:
      keys: [team.pub]
      transparency_log: true
      attestations: [{type: slsaprovenance1, conditions: {builder_id: b}}]
`, `[{"type":"https://slsa.dev/provenance/v1","keys":["DIR/team.pub"],"transparency_log":true,"conditions":{"builder_id":"b"}}]`},
		{"own keys and log setting", `images:
  - match: "**"
    signature:
      keys: [team.pub]
      transparency_log: true
      attestations: [{type: "https://example.com/scan/v1", keys: [/etc/ci.pub], transparency_log: false}]
`, `[{"type":"https://example.com/scan/v1","keys":["/etc/ci.pub"]}]`},
		{"content_trust lends keys, both attestation lists stand", `content_trust:
  keys: [ct.pub]
  attestations: [{type: spdxjson}]
images:
  - match: "**"
    signature:
      required: true
      attestations: [{type: vuln}]
`, `[{"type":"https://cosign.sigstore.dev/attestation/vuln/v1","keys":["DIR/ct.pub"]},{"type":"https://spdx.dev/Document","keys":["DIR/ct.pub"]}]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := defaults.Parse([]byte("version: 1\n"+tc.policy), src)
			if err != nil {
				t.Fatal(err)
			}
			sr, err := verify.SignatureRule(p, p.ImageRule("registry.example.com/a/b:1"), "registry.example.com/a/b:1", false)
			if err != nil || sr == nil {
				t.Fatalf("signatureRule: %v, %v", sr, err)
			}
			got, _ := json.Marshal(sr.Rule.Attestations)
			want := []byte(tc.want)
			want = []byte(strings.ReplaceAll(string(want), "DIR", dir))
			if string(got) != string(want) {
				t.Errorf("attestations\n got %s\nwant %s", got, want)
			}
		})
	}
}
