package proxy

import (
	"bytes"
	"encoding/json"
	"flag"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sdocker/defaults"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func decideBody(t *testing.T, body string, facts defaults.Facts) defaults.Decision {
	t.Helper()
	p, err := defaults.Parse(defaults.DefaultPolicyYAML(), "embedded default")
	if err != nil {
		t.Fatal(err)
	}
	req, err := readCreate([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return defaults.Decide(defaults.Input{Policy: p, Request: req, Facts: facts, Now: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)})
}

// A create body hardened in HostConfig terms, the client's other members kept as sent (keys
// in any case, numbers beyond a float's precision, members the proxy does not know).
func TestApplyCreateGolden(t *testing.T) {
	facts := defaults.Facts{Known: true, SeccompBuiltin: true, LogDriver: "json-file"}
	for _, tc := range []struct{ name, body string }{
		{"minimal", `{"Image":"img"}`},
		{"cli default network", `{"Image":"img","HostConfig":{"NetworkMode":"default"},"NetworkingConfig":{"EndpointsConfig":{"default":{}}}}`},
		{"lower-case keys", `{"image":"img","hostconfig":{"capdrop":["NET_RAW"],"logconfig":{"type":"json-file","config":{"max-size":"1m"}}}}`},
		{"user limits kept", `{"Image":"img","HostConfig":{"Memory":536870912,"NanoCpus":500000000,"PidsLimit":100,"NetworkMode":"mynet"}}`},
		{"cpu period gives a quota", `{"Image":"img","HostConfig":{"CpuPeriod":50000}}`},
		{"unknown members kept", `{"Image":"img","FutureField":{"x":1},"HostConfig":{"FutureHC":true,"MemoryReservation":9007199254740993}}`},
		{"null HostConfig", `{"Image":"img","HostConfig":null}`},
		{"other log driver", `{"Image":"img","HostConfig":{"LogConfig":{"Type":"syslog"}}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := decideBody(t, tc.body, facts)
			if !d.Allowed {
				t.Fatalf("refused: %+v", d.Violations)
			}
			got, err := applyCreate([]byte(tc.body), d.Change, nil)
			if err != nil {
				t.Fatal(err)
			}
			var pretty bytes.Buffer
			json.Indent(&pretty, got, "", "  ")
			pretty.WriteString("\n")
			golden := filepath.Join("testdata", "apply", strings.ReplaceAll(tc.name, " ", "-")+".golden")
			if *update {
				os.MkdirAll(filepath.Dir(golden), 0o755)
				os.WriteFile(golden, pretty.Bytes(), 0o644)
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			if pretty.String() != string(want) {
				t.Errorf("hardened body:\n%s\nwant:\n%s", pretty.String(), want)
			}
		})
	}
}

// Where the daemon's default seccomp profile is not the built-in one, Moby's default is
// inlined as the JSON the daemon reads; a user's inline profile stays as it was checked.
func TestApplyCreateSeccomp(t *testing.T) {
	facts := defaults.Facts{Known: true, SeccompBuiltin: false, LogDriver: "json-file"}
	d := decideBody(t, `{"Image":"img"}`, facts)
	got, err := applyCreate([]byte(`{"Image":"img"}`), d.Change, nil)
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		HostConfig struct{ SecurityOpt []string }
	}
	json.Unmarshal(got, &body)
	var profile []string
	for _, o := range body.HostConfig.SecurityOpt {
		if p, ok := strings.CutPrefix(o, "seccomp="); ok {
			profile = append(profile, p)
		}
	}
	var parsed struct{ DefaultAction string }
	if len(profile) != 1 || json.Unmarshal([]byte(profile[0]), &parsed) != nil || parsed.DefaultAction != "SCMP_ACT_ERRNO" {
		t.Fatalf("SecurityOpt %.200q: want one inline seccomp profile with defaultAction SCMP_ACT_ERRNO", body.HostConfig.SecurityOpt)
	}

	user := `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read","write","exit_group"],"action":"SCMP_ACT_ALLOW"}]}`
	in, _ := json.Marshal(map[string]any{"Image": "img", "HostConfig": map[string]any{"SecurityOpt": []string{"seccomp=" + user}}})
	d = decideBody(t, string(in), facts)
	if !d.Allowed {
		t.Fatalf("refused: %+v", d.Violations)
	}
	if got, err = applyCreate(in, d.Change, nil); err != nil {
		t.Fatal(err)
	}
	body.HostConfig.SecurityOpt = nil
	json.Unmarshal(got, &body)
	if n := strings.Count(strings.Join(body.HostConfig.SecurityOpt, "\n"), "seccomp="); n != 1 || !strings.Contains(body.HostConfig.SecurityOpt[0], `"names":["read","write","exit_group"]`) {
		t.Errorf("SecurityOpt %q: want the user's profile once, as checked", body.HostConfig.SecurityOpt)
	}
}

// A body the proxy cannot read as the daemon would is refused.
func TestDecodeStrict(t *testing.T) {
	for _, tc := range []struct{ name, body, err string }{
		{"fine", `{"Image":"img","HostConfig":{"Binds":["a:b"]}}`, ""},
		{"same key twice", `{"Image":"a","Image":"b"}`, "appears twice"},
		{"same key in two cases", `{"HostConfig":{},"hostConfig":{"Privileged":true}}`, "appears twice"},
		{"Kelvin sign folds to k", "{\"HostConfig\":{\"Lin\u212A\":1,\"Link\":2}}", "appears twice"},
		{"nested in a list", `{"HostConfig":{"Mounts":[{"Source":"/a","source":"/b"}]}}`, "appears twice"},
		{"trailing value", `{"Image":"a"} {"Image":"b"}`, "after top-level value"},
		{"empty", ` `, "empty"},
		{"not JSON", `{"Image":`, "unexpected end of JSON input"},
		{"wrong type", `{"HostConfig":{"Privileged":"yes"}}`, "cannot unmarshal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var v map[string]any
			err := decodeStrict([]byte(tc.body), &v)
			if tc.name == "wrong type" {
				_, err = readCreate([]byte(tc.body))
			}
			switch {
			case tc.err == "" && err != nil:
				t.Fatal(err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Fatalf("err %v, want %q", err, tc.err)
			}
		})
	}
}

// Published ports as dockerd 20.10 reads the body it is sent: PortBindings keys as strings
// ("80" and "80/tcp" are two entries to it, one port to the API types), and HostIp through
// net.ParseIP (an address it cannot parse, such as one with a zone, is every address). What
// the proxy forwards must publish nothing on every address of the host.
func TestApplyCreatePortsAsTheDaemonReadsThem(t *testing.T) {
	facts := defaults.Facts{Known: true, SeccompBuiltin: true, LogDriver: "json-file"}
	for _, body := range []string{
		`{"Image":"img","HostConfig":{"PortBindings":{"80/tcp":[{"HostIp":"::1%lo","HostPort":"8080"}]}}}`,
		`{"Image":"img","HostConfig":{"PortBindings":{"80/tcp":[{"HostIp":"fe80::1%eth0","HostPort":"8080"}]}}}`,
		`{"Image":"img","HostConfig":{"PortBindings":{"80":[{"HostPort":"8080"}]}}}`,
		`{"Image":"img","HostConfig":{"PortBindings":{"080/tcp":[{"HostPort":"8080"}]}}}`,
		`{"Image":"img","HostConfig":{"PortBindings":{"80":[{"HostPort":"8080"}],"80/tcp":[{"HostIp":"127.0.0.1","HostPort":"8081"}]}}}`,
		`{"Image":"img","HostConfig":{"PortBindings":{"80/tcp":[{"HostIp":"127.0.0.1","HostPort":"8081"}],"80":[{"HostPort":"8080"}]}}}`,
		`{"Image":"img","ExposedPorts":{"80":{},"80/tcp":{}},"HostConfig":{"PortBindings":{"80/tcp":[{"HostIp":"127.0.0.1","HostPort":"8081"}]}}}`,
		`{"Image":"img","PortBindings":{"80":[{"HostPort":"8080"}],"80/tcp":[{"HostIp":"127.0.0.1","HostPort":"8081"}]}}`,
		`{"Image":"img","PortBindings":{"80/tcp":[{"HostIp":"::1%lo","HostPort":"8080"}]}}`,
	} {
		t.Run(body, func(t *testing.T) {
			req, err := readCreate([]byte(body))
			if err != nil {
				return // refused as unreadable
			}
			p, err := defaults.Parse(defaults.DefaultPolicyYAML(), "embedded default")
			if err != nil {
				t.Fatal(err)
			}
			d := defaults.Decide(defaults.Input{Policy: p, Request: req, Facts: facts, Now: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)})
			if !d.Allowed {
				return
			}
			got, err := applyCreate([]byte(body), d.Change, nil)
			if err != nil {
				return // not forwarded
			}
			if again, err := readCreate(got); err == nil {
				in := defaults.Input{Policy: p, Request: again, Facts: facts, Require: true, Now: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
				if len(defaults.Decide(in).Violations) > 0 {
					return // the proxy's read-back refuses it
				}
			} else {
				return
			}
			var daemon struct {
				PortBindings map[string][]struct{ HostIp string }
				HostConfig   *struct {
					PortBindings map[string][]struct{ HostIp string }
				}
			}
			if err := json.Unmarshal(got, &daemon); err != nil {
				t.Fatal(err)
			}
			pb := daemon.PortBindings
			if daemon.HostConfig != nil {
				pb = daemon.HostConfig.PortBindings
			}
			for port, bs := range pb {
				for _, b := range bs {
					if net.ParseIP(b.HostIp) == nil {
						t.Errorf("forwarded %s: the daemon publishes %s on every address (HostIp %q)", got, port, b.HostIp)
					}
				}
			}
		})
	}
}
