// Package defaults holds sdocker's policy: its model, the embedded default policy, loading and
// validation with line-precise errors, and the pure decision that every door (the CLI wrapper, and
// later the API proxy) shares.
package defaults

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	units "github.com/docker/go-units"
	"go.yaml.in/yaml/v3"
)

//go:embed default.yaml
var defaultPolicy []byte

// defaultBase is the embedded default as JSON (json.Marshal of default.yaml parsed, with the
// SHA-256 of the default.yaml it was made from), the base a policy file is read over. Decoding
// it costs a sixth of parsing the YAML (0.1 ms against 0.5, on every command). It is used only
// while it was made from this very default.yaml, else the YAML is parsed: a default edited
// without it costs speed, never correctness. TestDefaultBaseIsTheDefault holds it to
// default.yaml (go test ./defaults -run TestDefaultBaseIsTheDefault -update rewrites it).
//
//go:embed default_base.json
var defaultBase []byte

// baseFile is default_base.json.
type baseFile struct {
	YAMLSHA256 string  `json:"yaml_sha256"`
	Policy     *Policy `json:"policy"`
}

// readDefaultBase fills p with the embedded default, the base a policy file is read over.
func readDefaultBase(p *Policy) error {
	sum := sha256.Sum256(defaultPolicy)
	b := baseFile{Policy: p}
	if json.Unmarshal(defaultBase, &b) == nil && b.YAMLSHA256 == hex.EncodeToString(sum[:]) {
		return nil
	}
	*p = Policy{}
	return yaml.Unmarshal(defaultPolicy, p)
}

// DefaultPolicyYAML returns the embedded default policy, as written.
func DefaultPolicyYAML() []byte { return bytes.Clone(defaultPolicy) }

// Mode says whether violations refuse the request or only warn.
type Mode string

const (
	ModeEnforce Mode = "enforce"
	ModeWarn    Mode = "warn"
)

// Policy is the whole of one policy file.
type Policy struct {
	Version    int         `yaml:"version"`
	Mode       Mode        `yaml:"mode"`
	Runtime    Runtime     `yaml:"runtime"`
	Images     []ImageRule `yaml:"images"`
	Exceptions []Exception `yaml:"exceptions"`
	Daemon     Daemon      `yaml:"daemon"`
	Log        Log         `yaml:"log"`
	// ContentTrust is the signature requirement of DOCKER_CONTENT_TRUST=1 (every image must be
	// signed) and of rules that say only signature.required: true.
	ContentTrust *Signature `yaml:"content_trust,omitempty"`

	// Source says where the policy came from ("embedded default" or a file path).
	Source string `yaml:"-"`
	// root is the file as YAML, for Warnings.
	root *yaml.Node
}

// Runtime is the hardening applied to run/create (and checked on exec/update).
type Runtime struct {
	Capabilities    Capabilities `yaml:"capabilities"`
	NoNewPrivileges bool         `yaml:"no_new_privileges"`
	// Seccomp is "default" (the daemon's built-in profile, or sdocker's embedded copy of Moby's
	// default where the daemon's default is not the built-in one) or the path of a profile file.
	Seccomp string `yaml:"seccomp"`
	// AppArmor is the profile applied where the daemon has AppArmor; empty disables injection.
	AppArmor  string    `yaml:"apparmor"`
	Resources Resources `yaml:"resources"`
	Network   Network   `yaml:"network"`
	Logging   Logging   `yaml:"logging"`
	Deny      Deny      `yaml:"deny"`
	Builds    Builds    `yaml:"builds"`
	// DockerSocket names the images that get a policed socket in place of the daemon's.
	DockerSocket DockerSocket `yaml:"docker_socket"`
	// CgroupNS is the cgroup namespace added when none is asked for: private keeps the host's
	// cgroup tree out of the container; "" adds nothing.
	CgroupNS string `yaml:"cgroupns"`
	// Runtimes are the OCI runtimes a container may ask for beside the daemon's default.
	Runtimes Runtimes `yaml:"runtimes"`
	// Binds are the rules for homes and for host files bound read-only (binds.go).
	Binds Binds `yaml:"binds"`
}

// Runtimes lists the OCI runtimes a request may name (--runtime): another runtime (nvidia,
// kata, a custom one) can give a container the host's GPUs or devices through environment
// variables alone, which no other rule sees.
type Runtimes struct {
	Allow []string `yaml:"allow"`
}

// Capabilities: what is dropped, and which additions are allowed.
type Capabilities struct {
	Drop  ExtendList `yaml:"drop"`
	Allow []string   `yaml:"allow"`
	// Setup is what a process that starts as root gets back after the drop: auto (the setup
	// set, SetupCapabilities; a non-root process gets nothing) or none (the guide's strict
	// form). With auto, --cap-add of a setup capability needs no allow-list entry.
	Setup string `yaml:"setup"`
}

// Resources are the limits injected when absent, and the maxima a user may ask for.
type Resources struct {
	Memory    ByteSize `yaml:"memory"`
	CPUs      float64  `yaml:"cpus"`
	Pids      int64    `yaml:"pids"`
	MaxMemory ByteSize `yaml:"max_memory"`
	MaxCPUs   float64  `yaml:"max_cpus"`
	MaxPids   int64    `yaml:"max_pids"`
}

// Network says which user-defined network a container joins when none is given.
type Network struct {
	Default string `yaml:"default"`
	// Create creates Default (a bridge network) on the daemon when it is missing.
	Create bool `yaml:"create"`
	// AllowDefaultBridge lets a user ask for docker's default bridge explicitly.
	AllowDefaultBridge bool `yaml:"allow_default_bridge"`
	// Isolate makes Default a network whose containers cannot reach each other (inter-container
	// communication off), each keeping its own way out: containers the user did not put on a
	// network together stay apart.
	Isolate bool `yaml:"isolate"`
	// PublishAddress is the host address a port published without one is bound to
	// (127.0.0.1: reachable from this host only); "" leaves docker's every-address default.
	// A port published on an explicit address keeps it.
	PublishAddress string `yaml:"publish_address"`
}

// Logging is the rotation added for the json-file and local log drivers.
type Logging struct {
	MaxSize string `yaml:"max_size"`
	MaxFile int    `yaml:"max_file"`
}

// Deny lists what is refused outright.
type Deny struct {
	Privileged     bool       `yaml:"privileged"`
	HostNamespaces bool       `yaml:"host_namespaces"`
	Devices        bool       `yaml:"devices"`
	Mounts         ExtendList `yaml:"mounts"`
	// WritableMounts are host paths that may be bound read-only only (the host's programs and
	// libraries: a writable bind lets root in the container replace them).
	WritableMounts ExtendList `yaml:"writable_mounts"`
	// CgroupParent refuses --cgroup-parent: a parent of the user's choosing places the
	// container outside the limits docker sets, or inside another's.
	CgroupParent bool `yaml:"cgroup_parent"`
}

// Daemon holds what sdocker requires of the daemon connection.
type Daemon struct {
	// InsecureAllowTCPWithoutTLS lets sdocker talk to a TCP daemon without TLS verification.
	InsecureAllowTCPWithoutTLS bool `yaml:"insecure_allow_tcp_without_tls"`
}

// ImageRule is one entry of images:, matched by reference pattern; the first match wins.
type ImageRule struct {
	Match     string    `yaml:"match"`
	Signature Signature `yaml:"signature"`
	Scan      Scan      `yaml:"scan"`
	Line      int       `yaml:"-"`
}

// Signature is what a rule requires of an image's cosign signatures.
type Signature struct {
	// Required is implied by Keys or Keyless; set alone it means "signed by the policy's
	// DOCKER_CONTENT_TRUST fallback".
	Required bool `yaml:"required"`
	// Keys are cosign public key files (PEM). KeysMode says whether all must have signed or any.
	Keys     []string `yaml:"keys"`
	KeysMode string   `yaml:"keys_mode"`
	Keyless  *Keyless `yaml:"keyless"`
	// TransparencyLog requires a transparency-log entry (a bundle) on the signature.
	TransparencyLog bool `yaml:"transparency_log"`
	// UnverifiableLocal is what to do with a local image that has no repo digest: refuse or allow.
	UnverifiableLocal string `yaml:"unverifiable_local"`
	// Attestations must each be attached to the image, verified, and satisfied (attest.go).
	Attestations []Attestation `yaml:"attestations,omitempty"`
}

// Keyless trusts certificates from Roots for the listed identities only.
type Keyless struct {
	Roots      string     `yaml:"roots"`
	Identities []Identity `yaml:"identities"`
}

// Identity is one trusted signer: a subject (or regexp) and an issuer (or regexp).
type Identity struct {
	Subject       string `yaml:"subject"`
	SubjectRegexp string `yaml:"subject_regexp"`
	Issuer        string `yaml:"issuer"`
	IssuerRegexp  string `yaml:"issuer_regexp"`
}

// Scan is the vulnerability gate of a rule.
type Scan struct {
	Required      bool         `yaml:"required"`
	FailOn        string       `yaml:"fail_on"`
	IgnoreUnfixed bool         `yaml:"ignore_unfixed"`
	Ignore        []ScanIgnore `yaml:"ignore"`
	// OnError is what to do when the scanner is missing or fails: refuse (default) or allow.
	OnError string `yaml:"on_error"`
	// AllPlatforms makes every image of a multi-platform index pass, not only the one docker
	// takes for this host (for registries that serve a fleet of several platforms).
	AllPlatforms bool `yaml:"all_platforms"`
}

// ScanIgnore ignores one vulnerability, optionally in one package, until it expires.
type ScanIgnore struct {
	ID      string `yaml:"id"`
	Package string `yaml:"package"`
	Reason  string `yaml:"reason"`
	Expires Date   `yaml:"expires"`
}

// Exception lifts named rules for images matching a pattern, until it expires.
type Exception struct {
	Match string   `yaml:"match"`
	Allow []string `yaml:"allow"`
	// Digests bind the exception to content: it applies only to an image whose ID or repo
	// digest is one of them, so a retagged image named like Match gets nothing.
	Digests []string `yaml:"digests"`
	Reason  string   `yaml:"reason"`
	Expires Date     `yaml:"expires"`
	Line    int      `yaml:"-"`
}

// ByteSize is a size written the way docker writes it ("512m", "1g").
type ByteSize int64

// UnmarshalYAML implements yaml.Unmarshaler.
func (b *ByteSize) UnmarshalYAML(n *yaml.Node) error {
	v, err := units.RAMInBytes(n.Value)
	if err != nil || v < 0 {
		return fmt.Errorf("line %d: %q is not a size (like 512m or 1g)", n.Line, n.Value)
	}
	*b = ByteSize(v)
	return nil
}

// String renders the size the way a user writes it for docker ("1g", "512m", "1536k").
func (b ByteSize) String() string {
	for _, u := range []struct {
		suffix string
		size   int64
	}{{"t", units.TiB}, {"g", units.GiB}, {"m", units.MiB}, {"k", units.KiB}} {
		if b != 0 && int64(b)%u.size == 0 {
			return fmt.Sprintf("%d%s", int64(b)/u.size, u.suffix)
		}
	}
	return fmt.Sprintf("%d", int64(b))
}

// MarshalYAML implements yaml.Marshaler.
func (b ByteSize) MarshalYAML() (any, error) { return b.String(), nil }

// Date is a calendar day (2027-03-01); the zero Date never expires.
type Date struct{ time.Time }

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Date) UnmarshalYAML(n *yaml.Node) error {
	t, err := time.Parse(time.DateOnly, n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a date (YYYY-MM-DD)", n.Line, n.Value)
	}
	d.Time = t
	return nil
}

// MarshalYAML implements yaml.Marshaler.
func (d Date) MarshalYAML() (any, error) {
	if d.IsZero() {
		return nil, nil
	}
	return d.Format(time.DateOnly), nil
}

// Expired reports whether the date has passed at now: the expiry day itself still counts.
func (d Date) Expired(now time.Time) bool {
	return !d.IsZero() && now.After(d.AddDate(0, 0, 1))
}

// ErrPolicy is wrapped by every error about a policy file's content.
var ErrPolicy = errors.New("invalid policy")

// Parse reads a policy from YAML; name is used in error messages. The file overrides the
// embedded default key by key: what it does not mention keeps the default's value; its lists of
// denials and drops extend the default's (ExtendList), and other lists replace the default's.
func Parse(data []byte, name string) (*Policy, error) {
	var p Policy
	if !bytes.Equal(data, defaultPolicy) {
		if err := readDefaultBase(&p); err != nil {
			return nil, fmt.Errorf("embedded default policy: %w", err)
		}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: %s: empty policy", ErrPolicy, name)
		}
		return nil, fmt.Errorf("%w: %s: %s", ErrPolicy, name, yamlMessage(err, data))
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err == nil {
		recordLines(&root, &p)
		recordAttestationLines(&root, &p)
	}
	p.Source = name
	if err := p.validate(); err != nil {
		return nil, fmt.Errorf("%w: %s: %s", ErrPolicy, name, withLines(&root, err))
	}
	if !bytes.Equal(data, defaultPolicy) {
		p.root = &root
	}
	return &p, nil
}

// Warnings say, by line, where the file is weaker than the embedded default (policy check and
// show print them; the decision does not need them, so they are worked out only when asked).
func (p *Policy) Warnings() []string {
	if p.root == nil {
		return nil
	}
	def, err := Parse(defaultPolicy, "embedded default")
	if err != nil {
		return []string{err.Error()}
	}
	return weakenings(p.root, p, def)
}

// keyPath is the dotted key a validation message starts with ("runtime.resources: …").
var keyPath = regexp.MustCompile(`^([a-z_]+(?:\.[a-z_]+)*): `)

// withLines puts the line of the key each validation message is about in front of it.
func withLines(root *yaml.Node, err error) string {
	lines := strings.Split(err.Error(), "\n")
	for i, l := range lines {
		if m := keyPath.FindStringSubmatch(l); m != nil {
			if n := keyLine(root, strings.Split(m[1], ".")); n > 0 {
				lines[i] = fmt.Sprintf("line %d: %s", n, l)
			}
		}
	}
	return strings.Join(lines, "\n")
}

// keyLine returns the line of a key path in a YAML document, or 0 where it is not written.
func keyLine(n *yaml.Node, path []string) int {
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := 0
	for _, key := range path {
		if n.Kind != yaml.MappingNode {
			return line
		}
		found := false
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				line, n, found = n.Content[i].Line, n.Content[i+1], true
				break
			}
		}
		if !found {
			return line
		}
	}
	return line
}

// recordLines stores the line of each images: and exceptions: entry, for messages.
func recordLines(root *yaml.Node, p *Policy) {
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 {
		return
	}
	m := root.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		seq := m.Content[i+1]
		switch m.Content[i].Value {
		case "images":
			for j, n := range seq.Content {
				if j < len(p.Images) {
					p.Images[j].Line = n.Line
				}
			}
		case "exceptions":
			for j, n := range seq.Content {
				if j < len(p.Exceptions) {
					p.Exceptions[j].Line = n.Line
				}
			}
		}
	}
}

// Load finds and parses the effective policy: explicit (a --policy flag), then $SDOCKER_POLICY,
// then $XDG_CONFIG_HOME/sdocker/policy.yaml (~/.config when unset), then
// /etc/sdocker/policy.yaml, else the embedded default.
func Load(explicit string) (*Policy, error) {
	for _, path := range candidatePaths(explicit) {
		data, err := os.ReadFile(path.name)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) && !path.required {
				continue
			}
			return nil, fmt.Errorf("reading policy: %w", err)
		}
		return Parse(data, path.name)
	}
	return Parse(defaultPolicy, "embedded default")
}

type candidate struct {
	name     string
	required bool
}

func candidatePaths(explicit string) []candidate {
	if explicit != "" {
		return []candidate{{explicit, true}}
	}
	if env := os.Getenv("SDOCKER_POLICY"); env != "" {
		return []candidate{{env, true}}
	}
	var out []candidate
	cfg := os.Getenv("XDG_CONFIG_HOME")
	if cfg == "" {
		if home, err := os.UserHomeDir(); err == nil {
			cfg = filepath.Join(home, ".config")
		}
	}
	if cfg != "" {
		out = append(out, candidate{filepath.Join(cfg, "sdocker", "policy.yaml"), false})
	}
	return append(out, candidate{"/etc/sdocker/policy.yaml", false})
}

// Marshal renders the policy as YAML.
func (p *Policy) Marshal() ([]byte, error) { return yaml.Marshal(p) }
