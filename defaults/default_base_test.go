package defaults

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

var update = flag.Bool("update", false, "rewrite default_base.json from default.yaml")

// The base a policy file is read over is the embedded default: default_base.json is
// default.yaml parsed and written as JSON, and reads back as the very same policy.
func TestDefaultBaseIsTheDefault(t *testing.T) {
	var fromYAML Policy
	if err := yaml.Unmarshal(defaultPolicy, &fromYAML); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(defaultPolicy)
	want, err := json.Marshal(baseFile{YAMLSHA256: hex.EncodeToString(sum[:]), Policy: &fromYAML})
	if err != nil {
		t.Fatal(err)
	}
	want = append(want, '\n')
	if *update {
		if err := os.WriteFile("default_base.json", want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(defaultBase, want) {
		t.Fatalf("default_base.json is not default.yaml: run go test ./defaults -run TestDefaultBaseIsTheDefault -update")
	}
	var fromJSON Policy
	if err := readDefaultBase(&fromJSON); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fromJSON, fromYAML) {
		t.Errorf("default_base.json reads back as another policy:\n%+v\nwant\n%+v", fromJSON, fromYAML)
	}
}

// A base made from another default.yaml is not used: the YAML is parsed instead.
func TestStaleDefaultBaseIsNotUsed(t *testing.T) {
	saved := defaultBase
	t.Cleanup(func() { defaultBase = saved })
	var fromYAML Policy
	if err := yaml.Unmarshal(defaultPolicy, &fromYAML); err != nil {
		t.Fatal(err)
	}
	stale := fromYAML
	stale.Mode = "warn"
	data, err := json.Marshal(baseFile{YAMLSHA256: strings.Repeat("0", 64), Policy: &stale})
	if err != nil {
		t.Fatal(err)
	}
	defaultBase = data
	var got Policy
	if err := readDefaultBase(&got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, fromYAML) {
		t.Errorf("a stale base was used: mode %q", got.Mode)
	}
}
