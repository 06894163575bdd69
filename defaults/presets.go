package defaults

import (
	"embed"
	"fmt"
	"strings"
)

//go:embed presets/*.yaml
var presets embed.FS

// PresetNames are the ready policies `sdocker policy preset` prints: developer (the embedded
// default), ci for hosts that run CI jobs, and one per runner where the runners differ.
var PresetNames = []string{"developer", "ci", "github-actions", "gitlab", "jenkins", "buildkite"}

// Preset returns a ready policy by name, as written: developer is the embedded default, the
// others override it key by key.
func Preset(name string) ([]byte, error) {
	if name == "developer" {
		return DefaultPolicyYAML(), nil
	}
	b, err := presets.ReadFile("presets/" + name + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("%w: no preset %q (there are %s)", ErrPolicy, name, strings.Join(PresetNames, ", "))
	}
	return b, nil
}
