package defaults

import (
	"errors"
	"strings"
	"testing"
)

func TestAttestationPolicy(t *testing.T) {
	const head = "version: 1\nimages:\n  - match: \"**\"\n    signature:\n      keys: [team.pub]\n      attestations:\n"
	tests := []struct {
		name, yaml string
		wantErr    string // "" means valid
		wantType   string
	}{
		{"slsa v1 with conditions", head + "        - type: https://slsa.dev/provenance/v1\n          conditions:\n            builder_id: https://github.com/slsa-framework/builder\n            source_repository: https://github.com/team/api\n", "", "https://slsa.dev/provenance/v1"},
		{"short name", head + "        - {type: slsaprovenance1, keys: [ci.pub]}\n", "", "slsaprovenance1"},
		{"keyless", head + "        - type: cyclonedx\n          keyless: {roots: r.pem, identities: [{subject: ci@team.example, issuer: https://issuer.example}]}\n          conditions: {predicate: {metadata.tools.0.name: syft}}\n", "", "cyclonedx"},
		{"type missing", head + "        - keys: [ci.pub]\n", "(line 7): type is required", ""},
		{"type not a URI", head + "        - type: provenance\n", "(line 7): type \"provenance\" is neither", ""},
		{"unknown key", head + "        - type: slsaprovenance1\n          builder: x\n", "line 8: images[0].signature.attestations[0].builder: unknown key", ""},
		{"unknown condition", head + "        - type: slsaprovenance1\n          conditions: {repo: x}\n", "conditions.repo: unknown key (known here: builder_id, predicate, source_repository)", ""},
		{"slsa condition on an SBOM", head + "        - type: spdxjson\n          conditions: {builder_id: x}\n", "not SLSA provenance", ""},
		{"keyless without identities", head + "        - type: vuln\n          keyless: {roots: r.pem, identities: []}\n", "attestations[0] (line 7).keyless.identities: at least one identity", ""},
		{"bad predicate path", head + "        - type: vuln\n          conditions: {predicate: {\"scanner..uri\": x}}\n", "not a dotted path", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse([]byte(tc.yaml), "test.yaml")
			if tc.wantErr != "" {
				if !errors.Is(err, ErrPolicy) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want a policy error with %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			r := p.ImageRule("registry.example.com/team/api:1")
			if r == nil || len(r.Signature.Attestations) != 1 || r.Signature.Attestations[0].Type != tc.wantType || !r.Signature.Required {
				t.Fatalf("rule = %+v", r)
			}
			if l := r.Signature.Attestations[0].Line; l != 7 {
				t.Errorf("line = %d, want 7", l)
			}
		})
	}
}
