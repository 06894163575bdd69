package defaults_test

import (
	"reflect"
	"strings"
	"testing"

	"sdocker/defaults"
)

func str(v, from string) *defaults.Val[string] { return &defaults.Val[string]{Value: v, From: from} }

// TestCommandsBeyondRun decides each kind of request beyond create, exec and update: what is
// refused (by rule) and what is added.
func TestCommandsBeyondRun(t *testing.T) {
	swappable := defaults.Mount{Type: "bind", Source: "/home/u/data", Target: "/d", From: "c1 (which binds /home/u/data)", Swappable: "/home/u is owned by uid 1000"}
	safe := defaults.Mount{Type: "bind", Source: "/srv/data", Target: "/d", From: "c1 (which binds /srv/data)"}
	for _, tc := range []struct {
		name   string
		policy string
		req    defaults.Request
		rules  []string
		added  []string
	}{
		{name: "start with a source only root can change", req: defaults.Request{Kind: defaults.KindStart, Mounts: []defaults.Mount{safe}}, rules: []string{}},
		{name: "start with a swappable source", req: defaults.Request{Kind: defaults.KindStart, Mounts: []defaults.Mount{swappable}},
			rules: []string{"swappable-mounts"}},
		{name: "start re-checks the deny list", req: defaults.Request{Kind: defaults.KindStart,
			Mounts: []defaults.Mount{{Type: "bind", Source: "/var/run/docker.sock", From: "c1"}}}, rules: []string{"mounts"}},
		{name: "start re-checks a local volume's device", req: defaults.Request{Kind: defaults.KindStart,
			Mounts: []defaults.Mount{{Type: "volume", Source: "v", Driver: "local", Options: map[string]string{"o": "bind", "device": "/etc"}, From: "c1"}}},
			rules: []string{"mounts"}},
		{name: "start adds nothing", req: defaults.Request{Kind: defaults.KindStart}, rules: []string{}},
		{name: "create with a restart policy and a swappable source", req: defaults.Request{Kind: defaults.KindCreate,
			RestartPolicy: str("always", "--restart always"), Mounts: []defaults.Mount{swappable}},
			rules: []string{"swappable-mounts"}, added: nil},
		// Without a restart policy the door marks only what another user could swap: refused.
		{name: "create with restart=no and a source another user can swap", req: defaults.Request{Kind: defaults.KindCreate,
			RestartPolicy: str("no", "--restart no"), Mounts: []defaults.Mount{swappable}}, rules: []string{"swappable-mounts"}},
		{name: "create with restart=no and an unmarked source", req: defaults.Request{Kind: defaults.KindCreate,
			RestartPolicy: str("no", "--restart no"), Mounts: []defaults.Mount{{Type: "bind", Source: "/srv/app", Target: "/a", From: "-v /srv/app:/a"}}}, rules: []string{}},
		{name: "create with a restart policy and a safe source", req: defaults.Request{Kind: defaults.KindCreate,
			RestartPolicy: str("unless-stopped", "--restart unless-stopped"), Mounts: []defaults.Mount{safe}}, rules: []string{}},
		{name: "update sets a restart policy beside a swappable source", req: defaults.Request{Kind: defaults.KindUpdate,
			RestartPolicy: str("on-failure", "--restart on-failure:3"), Mounts: []defaults.Mount{swappable}}, rules: []string{"swappable-mounts"}},
		{name: "connect to the default bridge", req: defaults.Request{Kind: defaults.KindConnect, Networks: []defaults.Val[string]{{Value: "bridge", From: "network connect bridge"}}},
			rules: []string{"network"}},
		{name: "connect to the default bridge where the policy allows it", policy: "version: 1\nruntime:\n  network: {allow_default_bridge: true}\n",
			req: defaults.Request{Kind: defaults.KindConnect, Networks: []defaults.Val[string]{{Value: "bridge", From: "network connect bridge"}}}, rules: []string{}},
		{name: "connect to the host's network", req: defaults.Request{Kind: defaults.KindConnect, Networks: []defaults.Val[string]{{Value: "HOST", From: "network connect HOST"}}},
			rules: []string{"host-namespaces"}},
		{name: "connect to a user-defined network", req: defaults.Request{Kind: defaults.KindConnect, Networks: []defaults.Val[string]{{Value: "app", From: "network connect app"}}},
			rules: []string{}},
		{name: "build gets limits", req: defaults.Request{Kind: defaults.KindBuild}, rules: []string{}, added: []string{"Memory=1g", "CpuQuota=100000"}},
		{name: "build on the host's network", req: defaults.Request{Kind: defaults.KindBuild, Networks: []defaults.Val[string]{{Value: "host", From: "--network host"}}},
			rules: []string{"host-namespaces"}, added: []string{"Memory=1g", "CpuQuota=100000"}},
		{name: "build with seccomp unconfined", req: defaults.Request{Kind: defaults.KindBuild,
			SecurityOpt: []defaults.SecurityOpt{{Key: "seccomp", Value: "unconfined", From: "--security-opt seccomp=unconfined"}}},
			rules: []string{"seccomp"}, added: []string{"Memory=1g", "CpuQuota=100000"}},
		{name: "build above the maxima", req: defaults.Request{Kind: defaults.KindBuild, Memory: &defaults.Val[int64]{Value: 100 << 30, From: "-m 100g"},
			CPUQuota: &defaults.Val[int64]{Value: 800000, From: "--cpu-quota 800000"}}, rules: []string{"resources", "resources"}},
		{name: "build with its own limits and period", req: defaults.Request{Kind: defaults.KindBuild, Memory: &defaults.Val[int64]{Value: 2 << 30, From: "-m 2g"},
			CPUPeriod: &defaults.Val[int64]{Value: 50000, From: "--cpu-period 50000"}}, rules: []string{}, added: []string{"CpuQuota=50000"}},
		{name: "build in a cgroup of its choosing", req: defaults.Request{Kind: defaults.KindBuild, CgroupParent: &defaults.Val[string]{Value: "/", From: "--cgroup-parent /"}},
			rules: []string{"cgroup-parent"}, added: []string{"Memory=1g", "CpuQuota=100000"}},
		{name: "build with unlimited swap", req: defaults.Request{Kind: defaults.KindBuild, MemorySwap: &defaults.Val[int64]{Value: -1, From: "--memory-swap -1"}},
			rules: []string{"resources"}, added: []string{"Memory=1g", "CpuQuota=100000"}},
		{name: "a build with an insecure entitlement", req: defaults.Request{Kind: defaults.KindBuild, Privileged: &defaults.Val[bool]{Value: true, From: "--allow security.insecure"},
			Devices: []defaults.Device{{Field: defaults.FieldDevices, What: "device", From: "--allow device"}}},
			rules: []string{"devices", "privileged"}, added: []string{"Memory=1g", "CpuQuota=100000"}},
		{name: "a macvlan network", req: defaults.Request{Kind: defaults.KindNetwork, NetworkCreate: &defaults.NetworkSpec{Name: "lan", Driver: "macvlan",
			Options: map[string]string{"parent": "eth0"}, From: "network create -d macvlan lan"}}, rules: []string{"network"}},
		{name: "an ipvlan network", req: defaults.Request{Kind: defaults.KindNetwork, NetworkCreate: &defaults.NetworkSpec{Name: "lan", Driver: "IPVLAN", From: "x"}},
			rules: []string{"network"}},
		{name: "a bridge network on a host bridge", req: defaults.Request{Kind: defaults.KindNetwork, NetworkCreate: &defaults.NetworkSpec{Name: "lan", Driver: "bridge",
			Options: map[string]string{"com.docker.network.bridge.name": "br0"}, From: "x"}}, rules: []string{"network"}},
		{name: "a bridge network", req: defaults.Request{Kind: defaults.KindNetwork, NetworkCreate: &defaults.NetworkSpec{Name: "app", Driver: "bridge",
			Options: map[string]string{"com.docker.network.bridge.enable_icc": "false"}, From: "x"}}, rules: []string{}},
		{name: "joining a macvlan network the daemon has", req: defaults.Request{Kind: defaults.KindCreate, Networks: []defaults.Val[string]{{Value: "lan", From: "--network lan"}},
			JoinedNetworks: []defaults.NetworkSpec{{Name: "lan", Driver: "macvlan", Options: map[string]string{"parent": "eth0"}, From: "--network lan"}}}, rules: []string{"network"}},
		{name: "connecting to an ipvlan network the daemon has", req: defaults.Request{Kind: defaults.KindConnect, Networks: []defaults.Val[string]{{Value: "lan", From: "network lan"}},
			JoinedNetworks: []defaults.NetworkSpec{{Name: "lan", Driver: "ipvlan", From: "network lan"}}}, rules: []string{"network"}},
		{name: "joining a bridge network on a host bridge", req: defaults.Request{Kind: defaults.KindCreate, Networks: []defaults.Val[string]{{Value: "lan", From: "--network lan"}},
			JoinedNetworks: []defaults.NetworkSpec{{Name: "lan", Driver: "bridge", Options: map[string]string{"com.docker.network.bridge.name": "br0"}, From: "--network lan"}}}, rules: []string{"network"}},
		{name: "joining a bridge network the daemon made", req: defaults.Request{Kind: defaults.KindCreate, Networks: []defaults.Val[string]{{Value: "app", From: "--network app"}},
			JoinedNetworks: []defaults.NetworkSpec{{Name: "app", Driver: "bridge", From: "--network app"}}}, rules: []string{}},
		{name: "buildx is refused", req: defaults.Request{Kind: defaults.KindBuildKit, BuildKit: "docker buildx build ."}, rules: []string{"buildkit"}},
		{name: "buildx where the policy allows it", policy: "version: 1\nruntime:\n  builds: {allow_buildx: true}\n",
			req: defaults.Request{Kind: defaults.KindBuildKit, BuildKit: "docker buildx build ."}, rules: []string{}},
		{name: "service update adds a capability and the host's network", req: defaults.Request{Kind: defaults.KindService,
			CapAdd: []defaults.Val[string]{{Value: "SYS_ADMIN", From: "--cap-add SYS_ADMIN"}}, Networks: []defaults.Val[string]{{Value: "host", From: "--network-add host"}}},
			rules: []string{"capabilities", "host-namespaces"}},
		{name: "service update within the policy adds nothing", req: defaults.Request{Kind: defaults.KindService,
			Memory: &defaults.Val[int64]{Value: 1 << 30, From: "--limit-memory 1g"}}, rules: []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := defaults.Decide(defaults.Input{Policy: mustPolicy(t, tc.policy), Request: tc.req, Now: today})
			if got := rules(d.Violations); !reflect.DeepEqual(got, tc.rules) {
				t.Errorf("rules = %v, want %v", got, tc.rules)
			}
			var added []string
			for _, a := range d.Change.Add {
				added = append(added, string(a.Field)+"="+a.Describe())
			}
			if tc.added != nil && !reflect.DeepEqual(added, tc.added) || tc.added == nil && len(added) > 0 && tc.req.Kind != defaults.KindCreate {
				t.Errorf("added = %v, want %v", added, tc.added)
			}
			for _, v := range d.Violations {
				if v.From == "" || v.Hint == "" || !strings.Contains(v.Hint, " ") {
					t.Errorf("violation %+v lacks its argument or a way to allow it", v)
				}
			}
		})
	}
}

// TestPluginPrivileges reads each privilege moby lists for a plugin as the request the
// decision judges.
func TestPluginPrivileges(t *testing.T) {
	for _, tc := range []struct {
		name  string
		privs []defaults.PluginPrivilege
		rules []string
		err   string
	}{
		{name: "none", rules: []string{}},
		{name: "a bridge network", privs: []defaults.PluginPrivilege{{Name: "network", Value: []string{"none"}}}, rules: []string{}},
		{name: "the host's network", privs: []defaults.PluginPrivilege{{Name: "network", Value: []string{"host"}}}, rules: []string{"host-namespaces"}},
		{name: "the host's PID and IPC namespaces", privs: []defaults.PluginPrivilege{{Name: "host pid namespace", Value: []string{"true"}},
			{Name: "host ipc namespace", Value: []string{"true"}}}, rules: []string{"host-namespaces", "host-namespaces"}},
		{name: "a mount of the docker socket", privs: []defaults.PluginPrivilege{{Name: "mount", Value: []string{"/run/docker.sock"}}}, rules: []string{"mounts"}},
		{name: "a mount of a data directory", privs: []defaults.PluginPrivilege{{Name: "mount", Value: []string{"/srv/plugin-data"}}}, rules: []string{}},
		{name: "a device", privs: []defaults.PluginPrivilege{{Name: "device", Value: []string{"/dev/fuse"}}}, rules: []string{"devices"}},
		{name: "every device", privs: []defaults.PluginPrivilege{{Name: "allow-all-devices", Value: []string{"true"}}}, rules: []string{"devices"}},
		{name: "capabilities", privs: []defaults.PluginPrivilege{{Name: "capabilities", Value: []string{"CAP_SYS_ADMIN", "CAP_NET_BIND_SERVICE"}}},
			rules: []string{"capabilities"}},
		{name: "an unknown privilege fails closed", privs: []defaults.PluginPrivilege{{Name: "kernel modules", Value: []string{"true"}}}, err: "does not know how to judge"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := defaults.PluginRequest("vendor/p:1", "plugin vendor/p:1", tc.privs)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			d := defaults.Decide(defaults.Input{Policy: mustPolicy(t, ""), Request: r, Now: today})
			if got := rules(d.Violations); !reflect.DeepEqual(got, tc.rules) {
				t.Errorf("rules = %v, want %v", got, tc.rules)
			}
			if len(d.Change.Add) > 0 {
				t.Errorf("a plugin gets no additions (docker cannot give them), got %v", d.Change.Add)
			}
		})
	}
}

// TestPluginExceptionIsByReference: an exception for the plugin's reference lifts its rule.
func TestPluginExceptionIsByReference(t *testing.T) {
	p := mustPolicy(t, "version: 1\nexceptions:\n  - match: \"vendor/p:*\"\n    allow: [host-namespaces]\n    reason: storage plugin\n    expires: 2027-01-01\n")
	r, err := defaults.PluginRequest("vendor/p:1", "plugin vendor/p:1", []defaults.PluginPrivilege{{Name: "network", Value: []string{"host"}}})
	if err != nil {
		t.Fatal(err)
	}
	if d := defaults.Decide(defaults.Input{Policy: p, Request: r, Now: today}); !d.Allowed || len(d.Excepted) != 1 {
		t.Fatalf("decision = %+v, want allowed by the exception", d)
	}
}
