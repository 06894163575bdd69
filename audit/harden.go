package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
)

// HardenOptions say what Harden adds beside the guide's and the CIS benchmark's settings.
type HardenOptions struct {
	// AuthzPlugin is the authorization plugin to add ("sdocker"); "" adds none.
	AuthzPlugin string
	// TLS, where set, are the files of `sdocker tls init`: dockerd then verifies its clients.
	TLS *TLSFiles
	// Listen is a TCP address to add to hosts (with TLS only), e.g. tcp://0.0.0.0:2376.
	Listen string
	// LogMaxSize and LogMaxFile rotate the default log driver's logs ("10m", "3").
	LogMaxSize, LogMaxFile string
}

// HardenChange is one setting Harden sets.
type HardenChange struct {
	Key string
	// Value is the new value, as JSON.
	Value string
	// Was is the old value as JSON, "" when the key was absent.
	Was string
	// Restart: dockerd applies it only when restarted (else a reload, SIGHUP, is enough).
	Restart bool
	Why     string
}

// HardenResult is the merged configuration and what changed.
type HardenResult struct {
	// Before is the current daemon.json encoded as Config is (indented, keys sorted), for a
	// diff that shows only what changed.
	Before  []byte
	Config  []byte // the new daemon.json, indented, keys sorted
	Changes []HardenChange
}

// ErrInsecureTCP is returned (wrapped) when the configuration listens on TCP without TLS
// verification and no TLS files were given to fix it.
var ErrInsecureTCP = errors.New("daemon.json listens on TCP without TLS verification")

// reloadable are the daemon.json keys dockerd applies on SIGHUP (its reload list).
var reloadable = map[string]bool{"live-restore": true, "authorization-plugins": true}

// Harden merges the hardened settings into a daemon.json (nil or empty: none yet), keeping every
// key the user set that it does not need to change.
func Harden(current []byte, o HardenOptions) (HardenResult, error) {
	cfg := map[string]any{}
	if len(bytes.TrimSpace(current)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(current))
		dec.UseNumber()
		if err := dec.Decode(&cfg); err != nil {
			return HardenResult{}, fmt.Errorf("reading daemon.json: %w", err)
		}
	}
	var res HardenResult
	if len(cfg) > 0 {
		before, err := json.MarshalIndent(cfg, "", "  ")
		if err != nil {
			return HardenResult{}, fmt.Errorf("encoding daemon.json: %w", err)
		}
		res.Before = append(before, '\n')
	}
	set := func(key string, v any, why string) {
		was, had := cfg[key]
		if had && jsonEqual(was, v) {
			return
		}
		c := HardenChange{Key: key, Value: compact(v), Restart: !reloadable[key], Why: why}
		if had {
			c.Was = compact(was)
		}
		cfg[key] = v
		res.Changes = append(res.Changes, c)
	}
	set("icc", false, "containers on the default bridge cannot reach each other (CIS 2.2, guide §8)")
	set("no-new-privileges", true, "no container process gains privileges through setuid binaries (CIS 2.14, guide §4)")
	set("live-restore", true, "containers keep running while dockerd restarts, so upgrades are not put off (CIS 2.15)")
	set("userland-proxy", false, "published ports go through iptables, not a proxy process per port (CIS 2.16)")
	if driver, _ := cfg["log-driver"].(string); driver == "" || driver == "json-file" || driver == "local" {
		opts := map[string]any{}
		if m, ok := cfg["log-opts"].(map[string]any); ok {
			for k, v := range m {
				opts[k] = v
			}
		}
		if _, ok := opts["max-size"]; !ok && o.LogMaxSize != "" {
			opts["max-size"] = o.LogMaxSize
		}
		if _, ok := opts["max-file"]; !ok && o.LogMaxFile != "" {
			opts["max-file"] = o.LogMaxFile
		}
		set("log-opts", opts, "container logs are rotated, so none fills the disk (guide §6); it applies to containers created afterwards")
	}
	if o.AuthzPlugin != "" {
		plugins := stringList(cfg["authorization-plugins"])
		if !slices.Contains(plugins, o.AuthzPlugin) {
			set("authorization-plugins", append(plugins, o.AuthzPlugin),
				"the policy holds for every client of the daemon (CIS 2.12, guide §3); start sdocker authz before dockerd, which does not start without it")
		}
	}
	hosts := stringList(cfg["hosts"])
	if o.TLS != nil {
		set("tlsverify", true, "dockerd verifies its clients' certificates (CIS 2.7, guide §1)")
		set("tlscacert", o.TLS.CA, "the CA that signs client certificates")
		set("tlscert", o.TLS.ServerCert, "the daemon's certificate")
		set("tlskey", o.TLS.ServerKey, "the daemon's key")
		if o.Listen != "" && !slices.Contains(hosts, o.Listen) {
			if len(hosts) == 0 {
				// Listing hosts replaces dockerd's default socket: keep it.
				hosts = append(hosts, "unix:///var/run/docker.sock")
			}
			set("hosts", append(hosts, o.Listen), "clients reach the daemon over TCP with TLS only (guide §2)")
		}
	} else if o.Listen != "" {
		return HardenResult{}, fmt.Errorf("%s without TLS: give the directory of `sdocker tls init` too: %w", o.Listen, ErrInsecureTCP)
	}
	if verify, _ := cfg["tlsverify"].(bool); !verify {
		for _, h := range stringList(cfg["hosts"]) {
			if addr, tcp := tcpHost(h); tcp {
				return HardenResult{}, fmt.Errorf("%s: make certificates with `sdocker tls init` and give their directory, or remove the host: %w", addr, ErrInsecureTCP)
			}
		}
	}
	out, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return HardenResult{}, fmt.Errorf("encoding daemon.json: %w", err)
	}
	res.Config = append(out, '\n')
	sort.Slice(res.Changes, func(i, j int) bool { return res.Changes[i].Key < res.Changes[j].Key })
	return res, nil
}

// NeedsRestart reports whether any change takes effect only when dockerd restarts.
func (r HardenResult) NeedsRestart() bool {
	return slices.ContainsFunc(r.Changes, func(c HardenChange) bool { return c.Restart })
}

func stringList(v any) []string {
	var out []string
	if l, ok := v.([]any); ok {
		for _, e := range l {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
	}
	if l, ok := v.([]string); ok {
		out = append(out, l...)
	}
	return out
}

func compact(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func jsonEqual(a, b any) bool { return compact(a) == compact(b) }

// WriteWithBackup replaces path with data, keeping the old file as backup (when there was
// one) and the old file's mode; the new file appears at once (a rename).
func WriteWithBackup(path, backup string, data []byte) error {
	mode := os.FileMode(0o644)
	if old, err := os.ReadFile(path); err == nil {
		if fi, err := os.Stat(path); err == nil {
			mode = fi.Mode().Perm() &^ 0o022 // CIS 3.18: no one but root writes it
		}
		if err := os.WriteFile(backup, old, 0o600); err != nil {
			return fmt.Errorf("backing up %s: %w", path, err)
		}
	} else if !os.IsNotExist(err) {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	tmp := path + ".sdocker-new"
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Chmod(tmp, mode); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// LineDiff is a unified-style diff of two texts, line by line ("-" old, "+" new, " " kept).
func LineDiff(a, b []byte) string {
	x, y := strings.Split(strings.TrimRight(string(a), "\n"), "\n"), strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(bytes.TrimSpace(a)) == 0 {
		x = nil
	}
	// Longest common subsequence; daemon.json files are small.
	n, m := len(x), len(y)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out strings.Builder
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && x[i] == y[j]:
			out.WriteString("  " + x[i] + "\n")
			i, j = i+1, j+1
		case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
			out.WriteString("- " + x[i] + "\n")
			i++
		default:
			out.WriteString("+ " + y[j] + "\n")
			j++
		}
	}
	return out.String()
}
