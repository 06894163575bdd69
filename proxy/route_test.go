package proxy

import (
	"net/http/httptest"
	"strings"
	"testing"
)

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		name, method, target string
		kind, routeName      string
		err                  string
	}{
		{"create", "POST", "/v1.41/containers/create", "create", "", ""},
		{"create unversioned", "POST", "/containers/create", "create", "", ""},
		{"create lower-case method", "post", "/v1.41/containers/create", "create", "", ""},
		{"create with query", "POST", "/v1.41/containers/create?name=x", "create", "", ""},
		{"list is forwarded", "GET", "/v1.41/containers/json", "", "", ""},
		{"GET create is forwarded", "GET", "/v1.41/containers/create", "", "", ""},
		{"exec", "POST", "/v1.41/containers/abc/exec", "exec", "abc", ""},
		{"exec on a name with a slash", "POST", "/v1.41/containers/a/b/exec", "exec", "a/b", ""},
		{"exec on a container named create", "POST", "/v1.41/containers/create/exec", "exec", "create", ""},
		{"update", "POST", "/v1.41/containers/abc/update", "update", "abc", ""},
		{"start", "POST", "/v1.41/containers/abc/start", "start", "abc", ""},
		{"attach", "POST", "/v1.41/containers/abc/attach?stream=1", "attach", "abc", ""},
		{"exec start", "POST", "/v1.41/exec/123/start", "execstart", "123", ""},
		{"connect", "POST", "/v1.41/networks/host/connect", "connect", "host", ""},
		{"plugin pull", "POST", "/v1.41/plugins/pull?remote=x", "plugin", "", ""},
		{"plugin create", "POST", "/v1.41/plugins/create", "plugin", "", ""},
		{"plugin enable", "POST", "/v1.41/plugins/vieux/sshfs:latest/enable", "plugin", "vieux/sshfs:latest", ""},
		{"plugin set", "POST", "/v1.41/plugins/p/set", "plugin", "p", ""},
		{"plugin upgrade", "POST", "/v1.41/plugins/p/upgrade", "plugin", "p", ""},
		{"plugin disable is forwarded", "POST", "/v1.41/plugins/p/disable", "", "", ""},
		{"service create", "POST", "/v1.41/services/create", "service", "", ""},
		{"service update", "POST", "/v1.41/services/s/update", "service", "s", ""},
		{"network create", "POST", "/v1.41/networks/create", "network", "", ""},
		{"swarm join", "POST", "/v1.41/swarm/join", "swarm", "", ""},
		{"swarm init", "POST", "/v1.41/swarm/init", "swarm", "", ""},
		{"swarm init unversioned", "POST", "/swarm/init", "swarm", "", ""},
		{"swarm update", "POST", "/v1.41/swarm/update?version=1", "swarm", "", ""},
		{"swarm unlock", "POST", "/v1.41/swarm/unlock", "swarm", "", ""},
		{"swarm leave is forwarded", "POST", "/v1.41/swarm/leave", "", "", ""},
		{"swarm inspect is forwarded", "GET", "/v1.41/swarm", "", "", ""},
		{"node update", "POST", "/v1.41/nodes/n1/update?version=3", "swarm", "n1", ""},
		{"build", "POST", "/v1.41/build?networkmode=host", "build", "", ""},
		{"pull", "POST", "/v1.41/images/create?fromImage=x", "pull", "", ""},
		{"ping", "GET", "/_ping", "", "", ""},
		{"session", "POST", "/session", "buildkit", "", ""},
		{"grpc", "POST", "/grpc", "buildkit", "", ""},
		{"dot segment", "POST", "/v1.41/containers/./create", "", "", "clean form"},
		{"dot-dot segment", "POST", "/v1.41/images/../containers/create", "", "", "clean form"},
		{"double slash", "POST", "//containers/create", "", "", "clean form"},
		{"trailing slash", "POST", "/v1.41/containers/create/", "", "", "clean form"},
		{"old version", "POST", "/v1.23/containers/abc/start", "", "", "API version"},
		{"odd version", "POST", "/v1.041/containers/create", "", "", "API version"},
		{"version 2", "POST", "/v2.0/containers/create", "", "", "API version"},
		{"empty version", "POST", "/v/containers/create", "", "", "API version"},
		{"encoded slash", "POST", "/v1.41/containers/a%2Fb/exec", "", "", "encoded slash"},
		{"encoded letter", "POST", "/v1.41/containers/abc/ex%65c", "exec", "abc", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", tc.target, nil)
			r.Method = tc.method
			rt, err := classify(r)
			switch {
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Fatalf("err %v, want one with %q", err, tc.err)
			case tc.err == "" && err != nil:
				t.Fatalf("err %v", err)
			case rt.kind != tc.kind || rt.name != tc.routeName:
				t.Errorf("route %q %q, want %q %q", rt.kind, rt.name, tc.kind, tc.routeName)
			}
		})
	}
}

// A form body's fields are the query's to the daemon (net/http's ParseForm, which moby calls
// on every route it reads a query for), and win over it: a pull of the image the proxy did not
// check, a build on the host's network.
func TestClassifyRefusesFormBodies(t *testing.T) {
	for _, tc := range []struct {
		method, target, contentType string
		refused                     bool
	}{
		{"POST", "/v1.41/images/create?fromImage=checked&tag=1", "application/x-www-form-urlencoded", true},
		{"POST", "/v1.41/build?t=x", "Application/X-WWW-Form-Urlencoded; charset=utf-8", true},
		{"POST", "/v1.41/build?t=x", "application/x-www-form-urlencoded; =bad", true},
		{"PUT", "/v1.41/containers/c/archive?path=/", "application/x-www-form-urlencoded", true},
		{"POST", "/v1.41/containers/c/kill", "application/x-www-form-urlencoded", true},
		{"POST", "/v1.41/build?t=x", "application/x-tar", false},
		{"POST", "/v1.41/images/create?fromImage=x", "", false},
		{"POST", "/v1.41/containers/create", "application/json", false},
		{"GET", "/v1.41/containers/json", "application/x-www-form-urlencoded", false},
	} {
		r := httptest.NewRequest(tc.method, tc.target, nil)
		if tc.contentType != "" {
			r.Header.Set("Content-Type", tc.contentType)
		}
		_, err := classify(r)
		if (err != nil) != tc.refused {
			t.Errorf("%s %s (%s): err %v, want refused=%v", tc.method, tc.target, tc.contentType, err, tc.refused)
		}
	}
}
