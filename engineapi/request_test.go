package engineapi_test

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"

	"sdocker/defaults"
	"sdocker/engineapi"
)

var today = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func policy(t *testing.T) *defaults.Policy {
	t.Helper()
	p, err := defaults.Parse(defaults.DefaultPolicyYAML(), "embedded default")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// decideBody decodes a create body as the daemon would and decides it.
func decideBody(t *testing.T, body string, require bool) defaults.Decision {
	t.Helper()
	var cr container.CreateRequest
	if err := json.Unmarshal([]byte(body), &cr); err != nil {
		t.Fatalf("decoding %s: %v", body, err)
	}
	if cr.Config == nil {
		cr.Config = &container.Config{}
	}
	r := engineapi.CreateRequest(cr.Config, cr.HostConfig, cr.NetworkingConfig)
	return defaults.Decide(defaults.Input{Policy: policy(t), Request: r, Facts: defaults.AssumedFacts(), Now: today, Require: require})
}

func ruleFields(vs []defaults.Violation) []string {
	out := []string{}
	for _, v := range vs {
		if !v.Missing {
			out = append(out, string(v.Rule)+"/"+string(v.Field))
		}
	}
	sort.Strings(out)
	return out
}

// allowAll is a seccomp profile that allows every system call, inline as the CLI sends it.
const allowAll = `{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[]}`

func TestCreateBodies(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       string // rule/field pairs, comma-separated; "" means allowed
	}{
		{"plain", `{"Image":"img"}`, ""},
		{"privileged", `{"Image":"img","HostConfig":{"Privileged":true}}`, "privileged/Privileged"},
		{"cap ALL", `{"Image":"img","HostConfig":{"CapAdd":["all"]}}`, "capabilities/CapAdd"},
		{"cap by CAP_ name", `{"Image":"img","HostConfig":{"CapAdd":["CAP_SYS_ADMIN"]}}`, "capabilities/CapAdd"},
		{"inline allow-all seccomp", `{"Image":"img","HostConfig":{"SecurityOpt":["seccomp=` + allowAll + `"]}}`, "seccomp/SecurityOpt"},
		{"inline seccomp that opens mount", `{"Image":"img","HostConfig":{"SecurityOpt":["seccomp={\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"mount\"],\"action\":\"SCMP_ACT_ALLOW\"}]}"]}}`, "seccomp/SecurityOpt"},
		{"seccomp unconfined, colon form", `{"Image":"img","HostConfig":{"SecurityOpt":["seccomp:unconfined"]}}`, "seccomp/SecurityOpt"},
		{"apparmor unconfined", `{"Image":"img","HostConfig":{"SecurityOpt":["apparmor=unconfined"]}}`, "apparmor/SecurityOpt"},
		{"no-new-privileges off", `{"Image":"img","HostConfig":{"SecurityOpt":["no-new-privileges:false"]}}`, "no-new-privileges/SecurityOpt"},
		{"systempaths as empty masks", `{"Image":"img","HostConfig":{"MaskedPaths":[],"ReadonlyPaths":[]}}`, "security-opt/SecurityOpt"},
		{"read-only paths without /proc/sys", `{"Image":"img","HostConfig":{"ReadonlyPaths":["/proc/bus"]}}`, "security-opt/SecurityOpt"},
		{"masked paths without /proc/kcore", `{"Image":"img","HostConfig":{"MaskedPaths":["/proc/acpi"]}}`, "security-opt/SecurityOpt"},
		{"the daemon's own lists", `{"Image":"img","HostConfig":{"MaskedPaths":["/proc/asound","/proc/acpi","/proc/kcore","/proc/keys","/proc/latency_stats","/proc/timer_list","/proc/timer_stats","/proc/sched_debug","/proc/scsi","/sys/firmware"],` +
			`"ReadonlyPaths":["/proc/bus","/proc/fs","/proc/irq","/proc/sys","/proc/sysrq-trigger"]}}`, ""},
		{"more than the daemon's, a read-only path masked", `{"Image":"img","HostConfig":{"MaskedPaths":["/proc/asound","/proc/acpi","/proc/kcore","/proc/keys","/proc/latency_stats","/proc/timer_list","/proc/timer_stats","/proc/sched_debug","/proc/scsi","/sys/firmware","/proc/sys/"],` +
			`"ReadonlyPaths":["/proc/bus","/proc/fs","/proc/irq","/proc/sysrq-trigger","/extra"]}}`, ""},
		{"host pid", `{"Image":"img","HostConfig":{"PidMode":"host"}}`, "host-namespaces/PidMode"},
		{"host network", `{"Image":"img","HostConfig":{"NetworkMode":"host"}}`, "host-namespaces/NetworkMode"},
		{"default bridge", `{"Image":"img","HostConfig":{"NetworkMode":"bridge"}}`, "network/NetworkMode"},
		{"host network as an extra endpoint", `{"Image":"img","HostConfig":{"NetworkMode":"sdocker"},"NetworkingConfig":{"EndpointsConfig":{"host":{}}}}`, "host-namespaces/NetworkMode"},
		{"socket bind", `{"Image":"img","HostConfig":{"Binds":["/var/run/docker.sock:/var/run/docker.sock"]}}`, "mounts/Mounts"},
		{"socket by mount", `{"Image":"img","HostConfig":{"Mounts":[{"Type":"bind","Source":"/run/docker.sock","Target":"/s"}]}}`, "mounts/Mounts"},
		{"local volume binding /etc", `{"Image":"img","HostConfig":{"Mounts":[{"Type":"volume","Target":"/e","VolumeOptions":{"DriverConfig":{"Name":"local","Options":{"type":"none","o":"bind","device":"/etc"}}}}]}}`, "mounts/Mounts"},
		{"writable /usr", `{"Image":"img","HostConfig":{"Binds":["/usr:/usr"]}}`, "mounts/Mounts"},
		{"read-only /usr", `{"Image":"img","HostConfig":{"Binds":["/usr:/usr:ro"]}}`, ""},
		{"device", `{"Image":"img","HostConfig":{"Devices":[{"PathOnHost":"/dev/sda","PathInContainer":"/dev/sda"}]}}`, "devices/Devices"},
		{"gpus", `{"Image":"img","HostConfig":{"DeviceRequests":[{"Count":-1,"Capabilities":[["gpu"]]}]}}`, "devices/Devices"},
		{"memory above maximum", `{"Image":"img","HostConfig":{"Memory":17179869184}}`, "resources/Memory"},
		{"unlimited swap", `{"Image":"img","HostConfig":{"Memory":1073741824,"MemorySwap":-1}}`, "resources/MemorySwap"},
		{"too many CPUs", `{"Image":"img","HostConfig":{"NanoCpus":8000000000}}`, "resources/NanoCpus"},
		{"unlimited pids", `{"Image":"img","HostConfig":{"PidsLimit":-1}}`, "resources/PidsLimit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := decideBody(t, tc.body, false)
			want := []string{}
			if tc.want != "" {
				want = strings.Split(tc.want, ",")
			}
			if got := ruleFields(d.Violations); strings.Join(got, ",") != strings.Join(want, ",") {
				t.Fatalf("violations %v, want %v\n%+v", got, want, d.Violations)
			}
			if d.Allowed != (tc.want == "") {
				t.Fatalf("allowed = %v", d.Allowed)
			}
			for _, v := range d.Violations {
				if !strings.HasPrefix(v.From, "HostConfig.") && !strings.HasPrefix(v.From, "NetworkingConfig.") {
					t.Errorf("violation names %q, not the API field", v.From)
				}
			}
		})
	}
}

// In require mode a body that lacks what the policy adds is refused, setting by setting; one
// that carries all of it is allowed.
func TestRequireMode(t *testing.T) {
	d := decideBody(t, `{"Image":"img"}`, true)
	var missing []string
	for _, v := range d.Violations {
		if !v.Missing || v.Want == nil {
			t.Fatalf("unexpected violation %+v", v)
		}
		missing = append(missing, string(v.Field))
	}
	want := "CapDrop,SecurityOpt,CgroupnsMode,NetworkMode,Memory,NanoCpus,PidsLimit,LogConfig,LogConfig"
	if strings.Join(missing, ",") != want || d.Allowed {
		t.Fatalf("missing %v (allowed %v), want %s", missing, d.Allowed, want)
	}
	hardened := `{"Image":"img","HostConfig":{"CapDrop":["ALL"],"SecurityOpt":["no-new-privileges"],"NetworkMode":"sdocker","CgroupnsMode":"private",
		"Memory":1073741824,"NanoCpus":1000000000,"PidsLimit":512,"LogConfig":{"Type":"json-file","Config":{"max-size":"10m","max-file":"3"}}}}`
	if d := decideBody(t, hardened, true); !d.Allowed {
		t.Fatalf("a hardened body was refused in require mode: %+v", d.Violations)
	}
	// Inject mode adds the same settings instead.
	d = decideBody(t, `{"Image":"img"}`, false)
	hardening := 0
	for _, a := range d.Change.Add {
		if !a.Grant {
			hardening++
		}
	}
	if !d.Allowed || hardening != 9 {
		t.Fatalf("inject mode: allowed %v, %d additions that harden", d.Allowed, hardening)
	}
}

// The inline profile's bytes are what the decision judges, and what a door would hand on.
func TestInlineSeccompProfileIsJudgedByItsBytes(t *testing.T) {
	strict := `{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\"}]}`
	d := decideBody(t, `{"Image":"img","HostConfig":{"SecurityOpt":["seccomp=`+strict+`"]}}`, false)
	if !d.Allowed {
		t.Fatalf("a strict inline profile was refused: %+v", d.Violations)
	}
	var pinned []byte
	for _, a := range d.Change.Add {
		if a.Profile != nil {
			pinned = a.Profile
		}
	}
	if string(pinned) != strings.ReplaceAll(strict, `\"`, `"`) {
		t.Fatalf("the change carries %q", pinned)
	}
}
