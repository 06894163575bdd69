package wrapper_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"sdocker/defaults"
	"sdocker/wrapper"
)

// fakeAPI answers GETs with one function, as docker/cli's fakes do.
type fakeAPI struct {
	get func(path string) (string, error)
}

func (f fakeAPI) Get(_ context.Context, path string, out any) error {
	body, err := f.get(path)
	if err != nil {
		return err
	}
	return json.Unmarshal([]byte(body), out)
}

// answers serves fixed JSON by path; any other path is not found.
func answers(m map[string]string) fakeAPI {
	return fakeAPI{get: func(path string) (string, error) {
		if b, ok := m[path]; ok {
			return b, nil
		}
		return "", wrapper.ErrNotFound
	}}
}

func request(t *testing.T, line string) defaults.Request {
	t.Helper()
	inv, err := wrapper.Parse(strings.Fields(line))
	if err != nil {
		t.Fatal(err)
	}
	r, err := wrapper.Request(inv, wrapper.RequestInput{Cwd: "/w"})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestResolveDaemonRefs(t *testing.T) {
	api := answers(map[string]string{
		"/containers/hostnet/json": `{"HostConfig":{"NetworkMode":"host"}}`,
		"/containers/chain/json":   `{"HostConfig":{"NetworkMode":"container:hostnet","PidMode":"container:hostpid"}}`,
		"/containers/hostpid/json": `{"HostConfig":{"PidMode":"host"}}`,
		"/containers/donor/json":   `{"Mounts":[{"Type":"bind","Source":"/etc","Destination":"/e"},{"Type":"volume","Name":"data","Destination":"/d"}]}`,
		"/volumes/data":            `{"Driver":"local","Options":{"type":"none","o":"bind","device":"/var/lib/docker"}}`,
		"/volumes/plain":           `{"Driver":"local"}`,
		"/networks/abc123":         `{"Name":"bridge","Driver":"bridge","Options":{"com.docker.network.bridge.default_bridge":"true"}}`,
		"/networks/hostid":         `{"Name":"host","Driver":"host"}`,
		"/networks/mine":           `{"Name":"mine","Driver":"bridge"}`,
		"/networks/lan":            `{"Name":"lan","Driver":"macvlan","Options":{"parent":"eth0"}}`,
		"/networks/lanid":          `{"Name":"lan","Driver":"macvlan","Options":{"parent":"eth0"}}`,
		"/containers/onlan/json":   `{"HostConfig":{"NetworkMode":"lan"},"NetworkSettings":{"Networks":{"lan":{"NetworkID":"lanid"}}}}`,
		"/containers/joined/json":  `{"HostConfig":{"NetworkMode":"bridge"},"NetworkSettings":{"Networks":{"bridge":{"NetworkID":"abc123"},"lan":{"NetworkID":"lanid"}}}}`,
		"/containers/fresh/json":   `{"HostConfig":{"NetworkMode":"lan"}}`,
		"/containers/via/json":     `{"HostConfig":{"NetworkMode":"container:onlan"}}`,
	})
	for _, tc := range []struct {
		name, line string
		check      func(r defaults.Request) string // "" when right
	}{
		{"network through a chain of containers", "run --network container:chain img", func(r defaults.Request) string {
			if n := r.Networks[0]; n.Value != "host" || !strings.Contains(n.From, "chain → hostnet") {
				return "network " + n.Value + " from " + n.From
			}
			return ""
		}},
		{"pid of a container in the host's", "run --pid container:hostpid img", func(r defaults.Request) string {
			if r.PID.Value != "host" {
				return "pid " + r.PID.Value
			}
			return ""
		}},
		{"default bridge by ID", "run --network abc123 img", func(r defaults.Request) string {
			if r.Networks[0].Value != "bridge" {
				return "network " + r.Networks[0].Value
			}
			return ""
		}},
		{"host network by ID", "run --network hostid img", func(r defaults.Request) string {
			if r.Networks[0].Value != "host" {
				return "network " + r.Networks[0].Value
			}
			return ""
		}},
		{"own network kept", "run --network mine img", func(r defaults.Request) string {
			if r.Networks[0].Value != "mine" {
				return "network " + r.Networks[0].Value
			}
			return ""
		}},
		{"a macvlan network is read as the daemon has it", "run --network lan img", func(r defaults.Request) string {
			if len(r.JoinedNetworks) != 1 || r.JoinedNetworks[0].Driver != "macvlan" || r.JoinedNetworks[0].From != "--network lan" {
				b, _ := json.Marshal(r.JoinedNetworks)
				return string(b)
			}
			return ""
		}},
		{"the default bridge is not a network joined by name", "run --network abc123 img", func(r defaults.Request) string {
			if len(r.JoinedNetworks) != 0 {
				b, _ := json.Marshal(r.JoinedNetworks)
				return string(b)
			}
			return ""
		}},
		{"the namespace of a container on a macvlan network is on that network", "run --network container:onlan img", onLan},
		{"the namespace of a container connected to a macvlan network since", "run --network container:joined img", onLan},
		{"the namespace of a created container on a macvlan network", "run --network container:fresh img", onLan},
		{"the namespace of one that shares a container's on a macvlan network", "run --network container:via img", onLan},
		{"volumes-from brings the donor's binds and volumes", "run --volumes-from donor:ro img", func(r defaults.Request) string {
			if len(r.Mounts) != 2 || r.Mounts[0].Source != "/etc" || r.Mounts[1].Options["device"] != "/var/lib/docker" {
				b, _ := json.Marshal(r.Mounts)
				return string(b)
			}
			return ""
		}},
		{"named volume is what it was created as", "run -v data:/d img", func(r defaults.Request) string {
			if m := r.Mounts[0]; m.Options["o"] != "bind" || !strings.Contains(m.From, "created with -o device=/var/lib/docker") {
				return m.From
			}
			return ""
		}},
		{"a missing volume stays a plain one", "run -v fresh:/f img", func(r defaults.Request) string {
			if len(r.Mounts[0].Options) != 0 {
				return "options on a fresh volume"
			}
			return ""
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := request(t, tc.line)
			if err := wrapper.ResolveDaemonRefs(context.Background(), api, &r); err != nil {
				t.Fatal(err)
			}
			if msg := tc.check(r); msg != "" {
				t.Fatal(msg)
			}
		})
	}
}

func TestResolveDaemonRefsFailsClosed(t *testing.T) {
	broken := fakeAPI{get: func(string) (string, error) { return "", &wrapper.APIError{Status: 500, Message: "boom"} }}
	for _, line := range []string{"run --volumes-from x img", "run --network container:x img", "run -v data:/d img", "run --network n img"} {
		r := request(t, line)
		if err := wrapper.ResolveDaemonRefs(context.Background(), broken, &r); err == nil {
			t.Errorf("%s: a daemon that fails was taken as an answer", line)
		}
	}
	loop := answers(map[string]string{"/containers/a/json": `{"HostConfig":{"NetworkMode":"container:a"}}`})
	r := request(t, "run --network container:a img")
	if err := wrapper.ResolveDaemonRefs(context.Background(), loop, &r); err == nil {
		t.Error("a container sharing with itself was followed for ever or accepted")
	}
}

func TestWithCurrentLimits(t *testing.T) {
	api := answers(map[string]string{"/containers/c/json": `{"HostConfig":{"CpuQuota":400000,"CpuPeriod":100000}}`})
	r := request(t, "update --cpu-period 10000 c")
	got, err := wrapper.WithCurrentLimits(context.Background(), api, r, "c")
	if err != nil {
		t.Fatal(err)
	}
	// 400000 µs of quota over a 10000 µs period is 40 CPUs: the decision must see both.
	if got.CPUQuota == nil || got.CPUQuota.Value != 400000 || got.CPUPeriod.Value != 10000 {
		t.Fatalf("quota %+v period %+v", got.CPUQuota, got.CPUPeriod)
	}
}

// onLan checks that a request was judged as joining macvlan network lan.
func onLan(r defaults.Request) string {
	if len(r.JoinedNetworks) != 1 || r.JoinedNetworks[0].Driver != "macvlan" || !strings.Contains(r.JoinedNetworks[0].From, "is on network lan") {
		b, _ := json.Marshal(r.JoinedNetworks)
		return string(b)
	}
	return ""
}
