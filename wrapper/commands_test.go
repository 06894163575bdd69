package wrapper_test

import (
	"context"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/plugin"

	"sdocker/defaults"
	"sdocker/wrapper"
)

func TestStartRequestReadsWhatTheDaemonWillMount(t *testing.T) {
	api := answers(map[string]string{
		"/containers/c1/json": `{"Name":"/c1","Config":{"Image":"app:1"},"HostConfig":{"RestartPolicy":{"Name":"always"}},
			"Mounts":[{"Type":"bind","Source":"/home/u/data","Destination":"/d","RW":true},
			          {"Type":"volume","Name":"v1","Destination":"/v","Driver":"local","RW":false},
			          {"Type":"tmpfs","Destination":"/t"}]}`,
		"/volumes/v1": `{"Driver":"local","Options":{"type":"none","o":"bind","device":"/srv/v1"}}`,
	})
	var asked []string
	swap := func(p string) (string, error) {
		asked = append(asked, p)
		if strings.HasPrefix(p, "/home/u") {
			return "/home/u is owned by uid 1000", nil
		}
		return "", nil
	}
	r, err := wrapper.StartRequest(context.Background(), api, wrapper.StartInput{Typed: "c1", Swappable: swap})
	if err != nil {
		t.Fatal(err)
	}
	if r.Kind != defaults.KindStart || r.Image != "app:1" || r.RestartPolicy == nil || r.RestartPolicy.Value != "always" {
		t.Fatalf("request = %+v", r)
	}
	if len(r.Mounts) != 2 || r.Mounts[0].Swappable == "" || r.Mounts[1].Swappable != "" || !r.Mounts[1].ReadOnly {
		t.Fatalf("mounts = %+v", r.Mounts)
	}
	if want := []string{"/home/u/data", "/srv/v1"}; !reflect.DeepEqual(asked, want) {
		t.Fatalf("asked who can swap %v, want %v (the bind and the volume's device)", asked, want)
	}
	// Another host's directories cannot be examined: every host source counts as swappable.
	r, err = wrapper.StartRequest(context.Background(), api, wrapper.StartInput{Typed: "c1"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Mounts[0].Swappable == "" || r.Mounts[1].Swappable == "" {
		t.Fatalf("remote daemon: mounts = %+v, want both swappable", r.Mounts)
	}
}

func TestPluginSettingsAndConfig(t *testing.T) {
	got := wrapper.PluginSettings([]string{"DEBUG=1", "data.source=/etc", "gpu.path=/dev/nvidia0", "args=-v", "novalue"})
	want := []defaults.PluginPrivilege{{Name: "mount", Value: []string{"/etc"}}, {Name: "device", Value: []string{"/dev/nvidia0"}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("PluginSettings = %v, want %v", got, want)
	}
	src, set, dev := "/etc", "/srv/data", "/dev/fuse"
	var cfg plugin.Config
	cfg.Network.Type = "host"
	cfg.PidHost = true
	cfg.Mounts = []plugin.Mount{{Source: &src}, {Source: nil}}
	cfg.Linux.Devices = []plugin.Device{{Path: &dev}}
	cfg.Linux.AllowAllDevices = true
	cfg.Linux.Capabilities = []string{"CAP_SYS_ADMIN"}
	names := func(ps []defaults.PluginPrivilege) []string {
		var out []string
		for _, p := range ps {
			out = append(out, p.Name+"="+strings.Join(p.Value, ","))
		}
		return out
	}
	if got, want := names(wrapper.PluginConfigPrivileges(cfg, nil)), []string{"network=host", "host pid namespace=true", "mount=/etc",
		"device=/dev/fuse", "allow-all-devices=true", "capabilities=CAP_SYS_ADMIN"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("config privileges = %v, want %v", got, want)
	}
	// An installed plugin mounts what its settings say now, not what its config said.
	settings := &plugin.Settings{Mounts: []plugin.Mount{{Source: &set}}}
	if got := names(wrapper.PluginConfigPrivileges(cfg, settings)); got[2] != "mount=/srv/data" {
		t.Fatalf("with settings: %v, want the settings' mount", got)
	}
}

func TestServiceRequest(t *testing.T) {
	for _, tc := range []struct {
		name, line string
		rules      []string
		added      []string
	}{
		{name: "create gets what a service can be given", line: "service create app:1", rules: []string{},
			added: []string{"--cap-drop=ALL", "--limit-memory=1g", "--limit-cpu=1", "--limit-pids=512", "--log-opt=max-size=10m", "--log-opt=max-file=3"}},
		{name: "create with a bind of the docker socket", line: "service create --mount type=bind,src=/run/docker.sock,dst=/s app:1", rules: []string{"mounts"}},
		{name: "create on the host's network", line: "service create --network host app:1", rules: []string{"host-namespaces"}},
		{name: "create above the maxima", line: "service create --limit-memory 64g --limit-pids 0 app:1", rules: []string{"resources", "resources"}},
		{name: "update adds a capability", line: "service update --cap-add SYS_ADMIN s1", rules: []string{"capabilities"}},
		{name: "update adds a mount of /etc", line: "service update s1 --mount-add type=bind,src=/etc,dst=/e", rules: []string{"mounts"}},
		{name: "update adds the host's network", line: "service update --network-add name=host s1", rules: []string{"host-namespaces"}},
		{name: "update within the policy", line: "service update --limit-memory 2g s1", rules: []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inv, err := wrapper.Parse(strings.Fields(tc.line))
			if err != nil {
				t.Fatal(err)
			}
			r, err := wrapper.ServiceRequest(inv, "/work")
			if err != nil {
				t.Fatal(err)
			}
			d := defaults.Decide(defaults.Input{Policy: mustPolicy(t, ""), Request: r, Facts: defaults.AssumedFacts()})
			if got := rules(d.Violations); !reflect.DeepEqual(got, tc.rules) {
				t.Fatalf("rules = %v, want %v", got, tc.rules)
			}
			if tc.added != nil {
				ed, _ := wrapper.ServiceEdit(d)
				if !reflect.DeepEqual(ed.Add, tc.added) {
					t.Fatalf("added = %v, want %v", ed.Add, tc.added)
				}
			}
		})
	}
}

func mustPolicy(t *testing.T, yaml string) *defaults.Policy {
	t.Helper()
	src := []byte(yaml)
	if yaml == "" {
		src = defaults.DefaultPolicyYAML()
	}
	p, err := defaults.Parse(src, "test")
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

// TestBuildReadAsItsBuilderReadsIt: docker build is read with the legacy builder's flags or,
// where BuildKit builds, buildx build's; entitlements and --resource become the request's.
func TestBuildReadAsItsBuilderReadsIt(t *testing.T) {
	for _, tc := range []struct {
		name     string
		line     string
		buildkit bool
		err      string
		rules    []string
	}{
		{name: "legacy: --allow is not its flag", line: "build . --allow security.insecure", err: "unknown flag: --allow"},
		{name: "buildkit: security.insecure", line: "build . --allow security.insecure", buildkit: true, rules: []string{"privileged"}},
		{name: "buildkit: network.host and a device", line: "build --allow network.host --allow device=/dev/kvm .", buildkit: true,
			rules: []string{"devices", "host-namespaces"}},
		{name: "buildkit: an entitlement sdocker does not know", line: "build --allow future.power .", buildkit: true, rules: []string{"privileged"}},
		{name: "buildkit: deleting a local output is the client's", line: "build --allow buildx.local.delete -o out .", buildkit: true, rules: []string{}},
		{name: "buildkit: --resource above the maximum", line: "build --resource memory=64g,cpu-quota=50000 .", buildkit: true, rules: []string{"resources"}},
		{name: "buildkit: the legacy limit flags buildx still reads", line: "build -m 64g .", buildkit: true, rules: []string{"resources"}},
		{name: "legacy: --squash", line: "build --squash -t app:1 .", rules: []string{}},
		{name: "buildkit: --progress", line: "build --progress plain -t app:1 .", buildkit: true, rules: []string{}},
		{name: "legacy: --progress is buildx's", line: "build --progress plain .", err: "unknown flag: --progress"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inv, err := wrapper.Parse(strings.Fields(tc.line))
			if err != nil {
				t.Fatalf("first reading: %v", err)
			}
			if inv, err = inv.AsBuilder(tc.buildkit); tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			r, err := wrapper.Request(inv, wrapper.RequestInput{Cwd: "/work"})
			if err != nil {
				t.Fatal(err)
			}
			d := defaults.Decide(defaults.Input{Policy: mustPolicy(t, ""), Request: r})
			if got := rules(d.Violations); !reflect.DeepEqual(got, tc.rules) {
				t.Fatalf("rules = %v, want %v (%+v)", got, tc.rules, d.Violations)
			}
		})
	}
}
