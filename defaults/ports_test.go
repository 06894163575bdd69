package defaults_test

import (
	"slices"
	"strings"
	"testing"

	"sdocker/defaults"
	"sdocker/wrapper"
)

// rendered is the docker argv the CLI door would run for a decision.
func rendered(t *testing.T, argv []string, d defaults.Decision) []string {
	t.Helper()
	inv, err := wrapper.Parse(argv)
	if err != nil {
		t.Fatal(err)
	}
	ed, err := wrapper.EditFor(inv, d, func([]byte) (string, error) { return "/pinned.json", nil })
	if err != nil {
		t.Fatal(err)
	}
	return wrapper.Render(inv, ed)
}

// A port published without an address is published on runtime.network.publish_address; one
// with an address keeps it; publish-all becomes one binding on that address per exposed port.
func TestPublishedPortsBindToThePolicyAddress(t *testing.T) {
	known := defaults.Facts{Known: true, SeccompBuiltin: true, LogDriver: "json-file",
		Image: &defaults.ImageFacts{ID: "sha256:1", ExposedPorts: []string{"80/tcp", "5432/tcp"}}}
	for _, tc := range []struct {
		name      string
		policy    string
		argv      []string
		facts     defaults.Facts
		publishes []string // --publish= additions
		gone      []string // the user's arguments no longer in the argv
		kept      []string // ... still in it
		refused   string
	}{
		{name: "host port", argv: []string{"run", "-p", "8080:80", "img"}, publishes: []string{"127.0.0.1:8080:80/tcp"}, gone: []string{"8080:80"}},
		{name: "container port only", argv: []string{"run", "--publish=80", "img"}, publishes: []string{"127.0.0.1::80/tcp"}, gone: []string{"--publish=80"}},
		{name: "empty address", argv: []string{"run", "-p", ":8080:80", "img"}, publishes: []string{"127.0.0.1:8080:80/tcp"}},
		{name: "range", argv: []string{"run", "-p", "9000-9001:9000-9001/udp", "img"},
			publishes: []string{"127.0.0.1:9000:9000/udp", "127.0.0.1:9001:9001/udp"}},
		{name: "host range for one port", argv: []string{"run", "-p", "8000-8010:80", "img"}, publishes: []string{"127.0.0.1:8000-8010:80/tcp"}},
		{name: "csv form", argv: []string{"run", "-p", "published=8080,target=80,protocol=udp", "img"}, publishes: []string{"127.0.0.1:8080:80/udp"}},
		{name: "explicit every address kept", argv: []string{"run", "-p", "0.0.0.0:8080:80", "img"}, kept: []string{"0.0.0.0:8080:80"}},
		{name: "explicit ipv6 kept", argv: []string{"run", "-p", "[::1]:8080:80", "img"}, kept: []string{"[::1]:8080:80"}},
		{name: "combined shorthand", argv: []string{"run", "-dp", "8080:80", "img"}, publishes: []string{"127.0.0.1:8080:80/tcp"},
			gone: []string{"-dp"}, kept: []string{"--detach=true"}},
		{name: "publish-all", argv: []string{"run", "-dP", "--expose", "81", "-p", "5432:5432", "img"}, facts: known,
			publishes: []string{"127.0.0.1:5432:5432/tcp", "127.0.0.1::80/tcp", "127.0.0.1::81/tcp"}, gone: []string{"-dP"}, kept: []string{"--detach=true"}},
		{name: "publish-all of an image not pulled", argv: []string{"run", "-P", "img"},
			facts: defaults.Facts{Known: true, SeccompBuiltin: true, LogDriver: "json-file"}, refused: "ports"},
		{name: "publish-all explained", argv: []string{"run", "-P", "img"}, facts: defaults.AssumedFacts(), kept: []string{"-P"}},
		{name: "address in ipv6", policy: "version: 1\nruntime:\n  network:\n    publish_address: \"::1\"\n",
			argv: []string{"run", "-p", "80:80", "img"}, publishes: []string{"[::1]:80:80/tcp"}},
		{name: "no address in the policy", policy: "version: 1\nruntime:\n  network:\n    publish_address: \"\"\n",
			argv: []string{"run", "-p", "80:80", "img"}, kept: []string{"80:80"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			facts := tc.facts
			if !facts.Known && facts.LogDriver == "" {
				facts = defaults.AssumedFacts()
			}
			d := decide(t, mustPolicy(t, tc.policy), tc.argv, facts)
			if tc.refused != "" {
				if d.Allowed || !slices.Contains(rules(d.Violations), tc.refused) {
					t.Fatalf("want refused by %s: %+v", tc.refused, d.Violations)
				}
				return
			}
			if !d.Allowed {
				t.Fatalf("refused: %+v", d.Violations)
			}
			var got []string
			for _, a := range injected(d) {
				if v, ok := strings.CutPrefix(a, "--publish="); ok {
					got = append(got, v)
				}
			}
			if !slices.Equal(got, tc.publishes) {
				t.Errorf("publishes %q, want %q", got, tc.publishes)
			}
			out := rendered(t, tc.argv, d)
			for _, g := range tc.gone {
				if slices.Contains(out, g) {
					t.Errorf("%q still in %q", g, out)
				}
			}
			for _, k := range tc.kept {
				if !slices.Contains(out, k) {
					t.Errorf("%q not in %q", k, out)
				}
			}
		})
	}
}

// A -p spec sdocker cannot read is refused, not passed on: the docker CLI's copy of the port
// parser may read it (docker 28 reads "8080:80/tcp/udp" as 8080:80/tcp on every address).
func TestPortSpecsSdockerCannotReadAreRefused(t *testing.T) {
	for _, spec := range []string{"8080:80/tcp/udp", "8080:80/tcp/", "published=8080,target=80,protocol=tcp/udp", "80/udp/tcp"} {
		inv, err := wrapper.Parse([]string{"run", "-p", spec, "img"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := wrapper.Request(inv, wrapper.RequestInput{Cwd: "/"}); err == nil {
			t.Errorf("-p %s: read as %v, want a usage error", spec, err)
		}
	}
}

// In require mode (the daemon door, the audit) a port on every address is a violation.
func TestRequireRefusesPortsOnEveryAddress(t *testing.T) {
	req := defaults.Request{Kind: defaults.KindCreate, Image: "img", Ports: []defaults.Port{
		{ContainerPort: "80/tcp", HostPort: "8080", From: "HostConfig.PortBindings[80/tcp]"},
		{ContainerPort: "81/tcp", HostIP: "127.0.0.1", From: "HostConfig.PortBindings[81/tcp]"}},
		PublishAll: &defaults.Val[bool]{Value: true, From: "HostConfig.PublishAllPorts=true"}}
	d := defaults.Decide(defaults.Input{Policy: mustPolicy(t, ""), Request: req, Facts: defaults.AssumedFacts(), Now: today, Require: true})
	var froms []string
	for _, v := range d.Violations {
		if v.Rule == defaults.RulePorts {
			froms = append(froms, v.From)
		}
	}
	if !slices.Equal(froms, []string{"HostConfig.PortBindings[80/tcp]", "HostConfig.PublishAllPorts=true"}) {
		t.Errorf("port violations from %q", froms)
	}
}
