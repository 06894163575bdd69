package stack_test

import (
	"reflect"
	"sort"
	"strings"
	"testing"

	"sdocker/defaults"
	"sdocker/wrapper/stack"
)

func mustPolicy(t *testing.T) *defaults.Policy {
	t.Helper()
	p, err := defaults.Parse(defaults.DefaultPolicyYAML(), "test")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func rules(vs []defaults.Violation) []string {
	out := []string{}
	for _, v := range vs {
		out = append(out, string(v.Rule))
	}
	sort.Strings(out)
	return out
}

func TestStackRequests(t *testing.T) {
	yml := `version: "3.8"
services:
  web:
    image: app:1
    cap_add: [SYS_ADMIN]
    network_mode: host
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock
      - ./data:/data
      - hostetc:/h
    deploy:
      resources:
        limits: {memory: 16g, cpus: "0.5"}
  ok:
    image: app:2
    networks: [front, hostnet]
networks:
  front: {}
  hostnet:
    external: true
    name: host
volumes:
  hostetc:
    driver: local
    driver_opts: {type: none, o: bind, device: "${ETC}"}
`
	rs, err := stack.Requests(stack.Input{Name: "stack.yml", Data: []byte(yml), WorkingDir: "/srv/app", Environment: map[string]string{"ETC": "/etc"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 {
		t.Fatalf("%d requests, want 2", len(rs))
	}
	web := rs[0]
	if web.Image != "app:1" {
		web = rs[1]
	}
	d := defaults.Decide(defaults.Input{Policy: mustPolicy(t), Request: web})
	if got, want := rules(d.Violations), []string{"capabilities", "host-namespaces", "mounts", "mounts", "resources"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("web: rules = %v, want %v (%+v)", got, want, d.Violations)
	}
	for _, m := range web.Mounts {
		if m.Target == "/data" && m.Source != "/srv/app/data" {
			t.Errorf("relative bind read as %q, want it from the file's directory", m.Source)
		}
	}
	other := rs[0]
	if other.Image == "app:1" {
		other = rs[1]
	}
	// An external network named host, behind any key, is the host's network.
	if got := rules(defaults.Decide(defaults.Input{Policy: mustPolicy(t), Request: other}).Violations); !reflect.DeepEqual(got, []string{"host-namespaces"}) {
		t.Errorf("ok (networks: [front, hostnet → host]): rules = %v, want [host-namespaces]", got)
	}
	if !strings.Contains(d.Violations[0].From, "stack.yml: services.web.") {
		t.Errorf("violation names %q, want the file and the service's key", d.Violations[0].From)
	}
}
