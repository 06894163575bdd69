package proxy

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"sdocker/defaults"
)

// dockerd 20.10's create decoder (runconfig.ContainerConfigWrapper) embeds a
// deprecated *container.HostConfig at the top level of the body and copies Memory,
// MemorySwap, CpuShares and CpusetCpus (and "Cpuset") from it into HostConfig when HostConfig
// leaves them zero. The proxy's reader (container.CreateRequest) ignores those top-level keys,
// so "MemorySwap": -1 at the top level gives unlimited swap although HostConfig.MemorySwap=-1
// is refused. A top-level member the daemon reads must be judged, or the body refused.
func TestAPIReviewTopLevelHostConfigFields(t *testing.T) {
	p, err := defaults.Parse(defaults.DefaultPolicyYAML(), "embedded default")
	if err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{
		`{"Image":"x","MemorySwap":-1}`,
		`{"Image":"x","HostConfig":{},"MemorySwap":-1}`,
	} {
		req, err := readCreate([]byte(body))
		if err != nil {
			continue // refused as unreadable: fine
		}
		d := defaults.Decide(defaults.Input{Policy: p, Request: req, Now: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)})
		if d.Allowed {
			t.Errorf("%s: allowed; the daemon reads the top-level member into HostConfig", body)
		}
	}
}

// requests the proxy forwards unjudged although they change what a container may do
// (the CLI door decides volume create and re-checks start/restart; the proxy does neither).
func TestAPIReviewUnjudgedRoutes(t *testing.T) {
	for _, target := range []string{
		"/v1.41/volumes/create",         // o=bind device=... (the CLI door decides it)
		"/v1.41/containers/abc/restart", // no re-check of binds swapped since create
		"/v1.41/swarm/join",             // a manager elsewhere then runs tasks here (binds of /, capabilities)
		"/v1.41/swarm/init",             // this daemon a manager: its join tokens let others schedule tasks here
		"/v1.41/swarm/update",
		"/v1.41/swarm/unlock",
		"/v1.41/nodes/n1/update", // promotes a node to manager
	} {
		r := httptest.NewRequest("POST", target, nil)
		rt, err := classify(r)
		if err == nil && rt.kind == "" {
			t.Errorf("POST %s is forwarded unjudged", target)
		}
	}
}

// A classic build through the proxy is decided as docker build is at the CLI door: its RUN
// steps get the policy's limits, and a cgroup parent, unlimited swap or limits above the
// maxima are refused, as the host's network is.
func TestAPIReviewClassicBuildDecided(t *testing.T) {
	p, err := defaults.Parse(defaults.DefaultPolicyYAML(), "embedded default")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{opt: Options{Policy: p, Now: func() time.Time { return time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) }}}
	for _, tc := range []struct {
		query   string
		allowed bool
		want    string // in the forwarded query
	}{
		{"t=x", true, "cpuquota=100000&memory=1073741824&t=x"},
		{"t=x&memory=0", true, "memory=1073741824"},
		{"t=x&memory=-1", true, "memory=1073741824"},
		{"t=x&memory=536870912&cpuquota=50000", true, "cpuquota=50000&memory=536870912"},
		{"t=x&cgroupparent=/", false, ""},
		{"t=x&cgroupparent=atk", false, ""},
		{"t=x&memswap=-1", false, ""},
		{"t=x&memory=107374182400", false, ""},
		{"t=x&networkmode=host", false, ""},
		{"t=x&networkmode=HOST", false, ""},
	} {
		r := httptest.NewRequest("POST", "/v1.41/build?"+tc.query, nil)
		j, q, err := s.judgeBuild(r)
		if err != nil {
			t.Fatal(err)
		}
		if j.d.Allowed != tc.allowed || tc.allowed && q != tc.want && !strings.Contains(q, tc.want) {
			t.Errorf("build?%s: allowed %v (%+v), query %q; want allowed %v, query with %q", tc.query, j.d.Allowed, j.d.Violations, q, tc.allowed, tc.want)
		}
	}
}

// A network on the host's own segment through the proxy: its containers are reachable from the
// network whatever address their ports are published on.
func TestAPIReviewNetworkOnTheHostSegment(t *testing.T) {
	p, err := defaults.Parse(defaults.DefaultPolicyYAML(), "embedded default")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{opt: Options{Policy: p, Now: func() time.Time { return time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) }}}
	for _, tc := range []struct {
		body    string
		allowed bool
	}{
		{`{"Name":"lan","Driver":"macvlan","Options":{"parent":"eth0"}}`, false},
		{`{"name":"lan","driver":"ipvlan","options":{"parent":"eth0"}}`, false},
		{`{"Name":"lan","Driver":"bridge","Options":{"com.docker.network.bridge.name":"br0"}}`, false},
		{`{"Name":"app","Driver":"bridge","Options":{"com.docker.network.bridge.enable_icc":"false"}}`, true},
		{`{"Name":"app"}`, true},
	} {
		j, err := s.judgeNetwork([]byte(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		if j.d.Allowed != tc.allowed {
			t.Errorf("%s: allowed %v, want %v (%+v)", tc.body, j.d.Allowed, tc.allowed, j.d.Violations)
		}
	}
}
