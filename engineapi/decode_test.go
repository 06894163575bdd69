package engineapi_test

import (
	"encoding/json"
	"testing"

	"sdocker/defaults"
	"sdocker/engineapi"
)

func TestDecodeCreateAsDockerdDoes(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		privileged bool
		memory     int64
		binds      int
	}{
		{"inner", `{"Image":"img","HostConfig":{"Privileged":true}}`, true, 0, 0},
		{"top level only", `{"Image":"img","Privileged":true,"Binds":["/:/host"]}`, true, 0, 1},
		{"top level beside a null HostConfig", `{"Image":"img","Privileged":true,"HostConfig":null}`, true, 0, 0},
		{"inner wins", `{"Image":"img","Privileged":true,"HostConfig":{"Memory":5}}`, false, 5, 0},
		{"top-level memory fills the inner", `{"Image":"img","Memory":7,"HostConfig":{"CapDrop":["ALL"]}}`, false, 7, 0},
		{"field names in any case", `{"image":"img","privileged":true}`, true, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, hc, _, err := engineapi.DecodeCreate([]byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Image != "img" || hc == nil || hc.Privileged != tc.privileged || hc.Memory != tc.memory || len(hc.Binds) != tc.binds {
				t.Fatalf("image %q, host config %+v", cfg.Image, hc)
			}
		})
	}
}

// A port named by two keys is two ports to dockerd 20.10 (its keys are strings) and one to the
// API's types (the last key wins): such a body is refused, so what is judged is what is published.
func TestDecodeCreateOnePortOneKey(t *testing.T) {
	for _, tc := range []struct {
		body string
		ok   bool
	}{
		{`{"Image":"img","HostConfig":{"PortBindings":{"80/tcp":[{"HostPort":"1"}],"53/udp":[{"HostPort":"2"}]}}}`, true},
		{`{"Image":"img","HostConfig":{"PortBindings":{"80":[{"HostPort":"1"}]}}}`, true},
		{`{"Image":"img","HostConfig":{"PortBindings":{"80":[{"HostPort":"1"}],"80/tcp":[{"HostIp":"127.0.0.1","HostPort":"2"}]}}}`, false},
		{`{"Image":"img","HostConfig":{"PortBindings":{"080/tcp":[{"HostPort":"1"}],"80/tcp":[{"HostIp":"127.0.0.1","HostPort":"2"}]}}}`, false},
		{`{"Image":"img","hostconfig":{"portbindings":{"80":[{"HostPort":"1"}],"80/tcp":[]}}}`, false},
		{`{"Image":"img","PortBindings":{"80":[{"HostPort":"1"}],"80/tcp":[]}}`, false},
		{`{"Image":"img","ExposedPorts":{"80":{},"80/tcp":{}}}`, false},
		{`{"Image":"img","ExposedPorts":{"80/tcp":{},"80/udp":{}}}`, true},
	} {
		_, _, _, err := engineapi.DecodeCreate([]byte(tc.body))
		if (err == nil) != tc.ok {
			t.Errorf("%s: err %v, want ok=%v", tc.body, err, tc.ok)
		}
	}
}

// A create that carries its own seccomp profile, checked, lacks nothing in require mode: the
// addition that pins the checked copy is the request's own setting.
func TestRequireModeAcceptsACheckedInlineProfile(t *testing.T) {
	body, _ := json.Marshal(map[string]any{"Image": "img", "HostConfig": map[string]any{
		"SecurityOpt": []string{"seccomp=" + string(defaults.MobySeccompProfile())}}})
	for _, v := range decideBody(t, string(body), true).Violations {
		if v.Rule == defaults.RuleSeccomp {
			t.Errorf("seccomp violation for Moby's own profile: %+v", v)
		}
	}
}
