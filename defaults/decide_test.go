package defaults_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"sdocker/defaults"
	"sdocker/wrapper"
)

var today = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func mustPolicy(t *testing.T, yaml string) *defaults.Policy {
	t.Helper()
	if yaml == "" {
		p, err := defaults.Parse(defaults.DefaultPolicyYAML(), "embedded default")
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	p, err := defaults.Parse([]byte(yaml), "test")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// decide parses a docker command line the way the CLI door does and decides it.
func decide(t *testing.T, p *defaults.Policy, argv []string, facts defaults.Facts) defaults.Decision {
	t.Helper()
	inv, err := wrapper.Parse(argv)
	if err != nil {
		t.Fatalf("parse %q: %v", argv, err)
	}
	req, err := wrapper.Request(inv, wrapper.RequestInput{Cwd: "/work", ReadFile: os.ReadFile})
	if err != nil {
		t.Fatalf("request %q: %v", argv, err)
	}
	return defaults.Decide(defaults.Input{Policy: p, Request: req, Facts: facts, Now: today, ResolvePath: wrapper.ResolveHostPath})
}

func rules(vs []defaults.Violation) []string {
	out := []string{}
	for _, v := range vs {
		out = append(out, string(v.Rule))
	}
	sort.Strings(out)
	return out
}

// injected renders the decision's additions as the CLI door does; a pinned profile is shown as
// /cache/moby.json (Moby's default) or /cache/pinned.json.
func injected(d defaults.Decision) []string {
	out := []string{}
	injs, err := wrapper.Injections(d.Change, func(b []byte) (string, error) {
		if bytes.Equal(b, defaults.MobySeccompProfile()) {
			return "/cache/moby.json", nil
		}
		return "/cache/pinned.json", nil
	})
	if err != nil {
		panic(err)
	}
	for _, i := range injs {
		out = append(out, "--"+i.Flag+"="+i.Value)
	}
	return out
}

func TestRefusals(t *testing.T) {
	dir := t.TempDir()
	permissive := filepath.Join(dir, "allow.json")
	strict := filepath.Join(dir, "strict.json")
	os.WriteFile(permissive, []byte(`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[]}`), 0o644)
	os.WriteFile(strict, []byte(`{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[]}`), 0o644)
	rootLink := filepath.Join(dir, "innocent")
	os.Symlink("/", rootLink)

	p := mustPolicy(t, "")
	for _, tc := range []struct {
		name string
		argv string // split on spaces
		rule string // "" means allowed
	}{
		{"privileged", "run --privileged img", "privileged"},
		{"privileged=true", "run --privileged=true img", "privileged"},
		{"privileged=1", "run --privileged=1 img", "privileged"},
		{"privileged=T", "run --privileged=T img", "privileged"},
		{"container run privileged", "container run --privileged img", "privileged"},
		{"create privileged", "create --privileged img", "privileged"},
		{"privileged=false is fine", "run --privileged=false img", ""},
		{"privileged after image is the container's", "run img --privileged", ""},
		{"cap-add lower", "run --cap-add sys_admin img", "capabilities"},
		{"cap-add CAP_ prefix", "run --cap-add=CAP_SYS_ADMIN img", "capabilities"},
		{"cap-add cap_ lower", "run --cap-add=cap_sys_admin img", "capabilities"},
		{"cap-add ALL", "run --cap-add ALL img", "capabilities"},
		{"cap-add all", "run --cap-add=all img", "capabilities"},
		{"cap-add unknown", "run --cap-add=SYS_FOO img", "capabilities"},
		{"cap-add allowed spelled oddly", "run --cap-add cap_net_bind_service img", ""},
		{"no-new-privileges=false", "run --security-opt no-new-privileges=false img", "no-new-privileges"},
		{"no-new-privileges:false", "run --security-opt=no-new-privileges:false img", "no-new-privileges"},
		{"no-new-privileges:true", "run --security-opt=no-new-privileges:true img", ""},
		{"seccomp=unconfined", "run --security-opt seccomp=unconfined img", "seccomp"},
		{"seccomp:unconfined", "run --security-opt seccomp:unconfined img", "seccomp"},
		{"permissive seccomp file", "run --security-opt seccomp=" + permissive + " img", "seccomp"},
		{"strict seccomp file", "run --security-opt seccomp=" + strict + " img", ""},
		{"seccomp=default", "run --security-opt seccomp=default img", ""},
		{"apparmor=unconfined", "run --security-opt apparmor=unconfined img", "apparmor"},
		{"apparmor:unconfined", "run --security-opt apparmor:unconfined img", "apparmor"},
		{"label=disable", "run --security-opt label=disable img", "security-opt"},
		{"label:disable", "run --security-opt label:disable img", "security-opt"},
		{"bare disable", "run --security-opt disable img", "security-opt"},
		{"label type spc_t", "run --security-opt label=type:spc_t img", "security-opt"},
		{"systempaths=unconfined", "run --security-opt systempaths=unconfined img", "security-opt"},
		{"pid=host", "run --pid=host img", "host-namespaces"},
		{"pid host", "run --pid host img", "host-namespaces"},
		{"pid container is fine", "run --pid container:abc img", ""},
		{"ipc=host", "run --ipc=host img", "host-namespaces"},
		{"uts=host", "run --uts=host img", "host-namespaces"},
		{"userns=host", "run --userns=host img", "host-namespaces"},
		{"cgroupns=host", "run --cgroupns=host img", "host-namespaces"},
		{"network=host", "run --network=host img", "host-namespaces"},
		{"net=host", "run --net=host img", "host-namespaces"},
		{"second network host", "run --network a --network host img", "host-namespaces"},
		{"network HOST", "run --network HOST img", "host-namespaces"},
		{"default bridge", "run --network bridge img", "network"},
		{"default bridge by name default", "run --net=default img", "network"},
		{"user network", "run --network mynet img", ""},
		{"docker.sock", "run -v /var/run/docker.sock:/s img", "mounts"},
		{"run/docker.sock", "run -v /run/docker.sock:/s img", "mounts"},
		{"docker.sock dotted", "run -v /var/run/../run/./docker.sock:/s img", "mounts"},
		{"docker.sock double slashes", "run -v //var//run//docker.sock:/s img", "mounts"},
		{"parent of docker.sock", "run -v /var/run:/r img", "mounts"},
		{"parent /var", "run -v /var:/v img", "mounts"},
		{"root", "run -v /:/host img", "mounts"},
		{"etc ro", "run -v /etc:/e:ro img", "mounts"},
		{"inside etc", "run -v /etc/shadow:/s img", "mounts"},
		{"proc", "run -v/proc:/p img", "mounts"},
		{"symlink to root", "run -v " + rootLink + ":/h img", "mounts"},
		{"mount bind", "run --mount type=bind,source=/run/docker.sock,target=/s img", "mounts"},
		{"mount csv quoted", `run --mount type=bind,"source=/run/docker.sock",target=/s img`, "mounts"},
		{"mount upper-case keys", "run --mount TYPE=BIND,SRC=/etc,DST=/e img", "mounts"},
		{"mount src dst", "run --mount type=bind,src=/,dst=/h img", "mounts"},
		{"local volume binding etc", "run --mount type=volume,dst=/x,volume-opt=type=none,volume-opt=o=bind,volume-opt=device=/etc img", "mounts"},
		{"api socket", "run --use-api-socket img", "mounts"},
		{"data dir", "run -v /tmp/data:/data img", ""},
		{"named volume", "run -v data:/data img", ""},
		{"anonymous volume at /etc", "run -v /etc img", ""},
		{"tmpfs mount", "run --mount type=tmpfs,dst=/t img", ""},
		{"device", "run --device /dev/sda img", "devices"},
		{"device cgroup rule", "run --device-cgroup-rule=c_1:3_mr img", "devices"},
		{"gpus", "run --gpus all img", "devices"},
		{"memory 0", "run --memory 0 img", "resources"},
		{"memory above max", "run -m 16g img", "resources"},
		{"memory below max", "run -m 2g img", ""},
		{"unlimited swap", "run --memory-swap -1 img", "resources"},
		{"cpus 0", "run --cpus 0 img", "resources"},
		{"cpus above max", "run --cpus 8 img", "resources"},
		{"cpu quota unlimited", "run --cpu-quota -1 img", "resources"},
		{"cpu quota above max", "run --cpu-quota 800000 img", "resources"},
		{"pids unlimited", "run --pids-limit -1 img", "resources"},
		{"pids 0", "run --pids-limit 0 img", "resources"},
		{"pids above max", "run --pids-limit 10000 img", "resources"},
		{"pids above max in hex", "run --pids-limit 0x7fffffff img", "resources"},
		{"pids unlimited in hex", "run --pids-limit=-0x1 img", "resources"},
		{"cpus as a fraction", "run --cpus 8/1 img", "resources"},
		{"cpus zero as a fraction", "run --cpus 0/1 img", "resources"},
		{"cpus with an exponent", "run --cpus 1e1 img", "resources"},
		{"cpu quota in octal", "run --cpu-quota 0o3032400 img", "resources"},
		{"exec privileged", "exec --privileged c sh", "privileged"},
		{"container exec privileged", "container exec --privileged=1 c sh", "privileged"},
		{"exec", "exec -it c sh", ""},
		{"update unlimited memory", "update --memory 0 c", "resources"},
		{"update pids unlimited", "container update --pids-limit=-1 c", "resources"},
		{"update within limits", "update -m 2g --cpus 2 c", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := decide(t, p, strings.Split(tc.argv, " "), defaults.AssumedFacts())
			want := []string{}
			if tc.rule != "" {
				want = []string{tc.rule}
			}
			if got := rules(d.Violations); !reflect.DeepEqual(got, want) {
				t.Fatalf("violations %v, want %v (%+v)", got, want, d.Violations)
			}
			if d.Allowed != (tc.rule == "") {
				t.Fatalf("allowed = %v", d.Allowed)
			}
			for _, v := range d.Violations {
				if v.From == "" || v.Hint == "" || v.Message == "" {
					t.Errorf("violation without argument, message or hint: %+v", v)
				}
			}
		})
	}
}

func TestInjection(t *testing.T) {
	p := mustPolicy(t, "")
	apparmor := defaults.Facts{Known: true, AppArmor: true, SeccompBuiltin: true, LogDriver: "json-file"}
	customSeccomp := defaults.Facts{Known: true, LogDriver: "journald"}
	all := []string{"--cap-drop=ALL", "--security-opt=no-new-privileges", "--cgroupns=private", "--network=sdocker", "--memory=1g", "--cpus=1",
		"--pids-limit=512", "--log-opt=max-size=10m", "--log-opt=max-file=3"}
	for _, tc := range []struct {
		name  string
		argv  string
		facts defaults.Facts
		want  []string
	}{
		{"defaults", "run img", defaults.AssumedFacts(), all},
		{"apparmor host", "run img", apparmor, []string{"--cap-drop=ALL", "--security-opt=no-new-privileges", "--security-opt=apparmor=docker-default",
			"--cgroupns=private", "--network=sdocker", "--memory=1g", "--cpus=1", "--pids-limit=512", "--log-opt=max-size=10m", "--log-opt=max-file=3"}},
		{"daemon seccomp not built-in, journald", "run img", customSeccomp, []string{"--cap-drop=ALL", "--security-opt=no-new-privileges",
			"--security-opt=seccomp=/cache/moby.json", "--cgroupns=private", "--network=sdocker", "--memory=1g", "--cpus=1", "--pids-limit=512"}},
		{"user values kept, stricter wins", "run --cap-drop all -m 256m --cpus 0.5 --pids-limit 64 --network n --security-opt no-new-privileges img",
			defaults.AssumedFacts(), []string{"--cgroupns=private", "--log-opt=max-size=10m", "--log-opt=max-file=3"}},
		{"cpu period alone gets a quota", "run --cpu-period 50000 img", defaults.AssumedFacts(), []string{"--cap-drop=ALL",
			"--security-opt=no-new-privileges", "--cgroupns=private", "--network=sdocker", "--memory=1g", "--cpu-quota=50000", "--pids-limit=512",
			"--log-opt=max-size=10m", "--log-opt=max-file=3"}},
		{"cpu quota given", "run --cpu-quota 50000 img", defaults.AssumedFacts(), []string{"--cap-drop=ALL",
			"--security-opt=no-new-privileges", "--cgroupns=private", "--network=sdocker", "--memory=1g", "--pids-limit=512",
			"--log-opt=max-size=10m", "--log-opt=max-file=3"}},
		{"no rotation for other drivers", "run --log-driver none img", defaults.AssumedFacts(), all[:7]},
		{"local driver rotated", "run --log-driver=local --log-opt max-size=1m img", defaults.AssumedFacts(), append(all[:7:7], "--log-opt=max-file=3")},
		{"exec injects nothing", "exec c sh", defaults.AssumedFacts(), []string{}},
		{"update injects nothing", "update --cpus 1 c", defaults.AssumedFacts(), []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := decide(t, p, strings.Split(tc.argv, " "), tc.facts)
			if got := withoutSetupCaps(injected(d)); !reflect.DeepEqual(got, tc.want) { // capset_test.go checks those
				t.Fatalf("injected\n %q\nwant\n %q", got, tc.want)
			}
		})
	}
}

func TestSeccompDefaultIsRemovedNotForwarded(t *testing.T) {
	d := decide(t, mustPolicy(t, ""), []string{"run", "--security-opt", "seccomp=default", "img"}, defaults.AssumedFacts())
	if rm := d.Change.Remove; len(rm) != 1 || rm[0] != "--security-opt seccomp=default" {
		t.Fatalf("removed = %+v", rm)
	}
}

func TestWarnModeReportsAndAllows(t *testing.T) {
	p := mustPolicy(t, "version: 1\nmode: warn\nruntime: {deny: {privileged: true}}\n")
	d := decide(t, p, []string{"run", "--privileged", "img"}, defaults.AssumedFacts())
	if !d.Allowed || len(d.Violations) != 1 {
		t.Fatalf("warn mode: allowed=%v violations=%v", d.Allowed, d.Violations)
	}
}

func TestExceptions(t *testing.T) {
	p := mustPolicy(t, `version: 1
runtime:
  deny: {privileged: true, host_namespaces: true}
exceptions:
  - match: "registry.example.com/tools/dind:*"
    allow: [privileged]
    reason: CI builder
    expires: 2027-03-01
  - match: "registry.example.com/old/**"
    allow: [privileged]
    reason: legacy
    expires: 2026-01-31
`)
	for _, tc := range []struct {
		name, argv string
		allowed    bool
		msg        string
	}{
		{"excepted", "run --privileged registry.example.com/tools/dind:24", true, ""},
		{"other rule still applies", "run --privileged --pid host registry.example.com/tools/dind:24", false, "PID namespace"},
		{"other image", "run --privileged registry.example.com/tools/other:1", false, "privileged mode"},
		{"expired", "run --privileged registry.example.com/old/x/y:1", false, "expired on 2026-01-31"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := decide(t, p, strings.Split(tc.argv, " "), defaults.AssumedFacts())
			if d.Allowed != tc.allowed {
				t.Fatalf("allowed = %v, violations %+v", d.Allowed, d.Violations)
			}
			if tc.allowed && (len(d.Excepted) != 1 || d.Excepted[0].Excepted != "CI builder") {
				t.Fatalf("excepted = %+v", d.Excepted)
			}
			if tc.msg != "" && !strings.Contains(d.Violations[len(d.Violations)-1].Message, tc.msg) {
				t.Fatalf("message %q lacks %q", d.Violations[len(d.Violations)-1].Message, tc.msg)
			}
		})
	}
}

// FuzzDecide: for any command line sdocker accepts, the forwarded argv is the user's argv with
// the policy's flags added after the command words and only the removed settings taken out; the
// image and the container's command come through untouched; nothing panics.
func FuzzDecide(f *testing.F) {
	for _, s := range []string{
		"run --privileged img", "run -itd --security-opt seccomp=default img sh -c x", "create -v /:/h --mount type=bind,src=/etc,dst=/e img",
		"run --cap-add=ALL --pid host -m 0 img", "exec --privileged c sh", "update --cpus 9 c", "run -- img --privileged",
		"container run --net=host --log-driver local img", "run --security-opt=no-new-privileges:false img",
		"run -dP -p 80:80 img", "run -itp 80 --expose 81 img", "create -p published=8080,target=80 -v /run/docker.sock:/s img",
	} {
		f.Add(s)
	}
	p, err := defaults.Parse(defaults.DefaultPolicyYAML(), "embedded default")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, line string) {
		argv := strings.Split(line, " ")
		inv, err := wrapper.Parse(argv)
		if err != nil || inv.Command == "" {
			return
		}
		req, err := wrapper.Request(inv, wrapper.RequestInput{Cwd: "/"})
		if err != nil {
			var usage *wrapper.UsageError
			if !errors.As(err, &usage) {
				t.Fatalf("%q: %v is not a usage error", argv, err)
			}
			return
		}
		d := defaults.Decide(defaults.Input{Policy: p, Request: req, Facts: defaults.AssumedFacts(), Now: today})
		ed, err := wrapper.EditFor(inv, d, func([]byte) (string, error) { return "/pinned.json", nil })
		if err != nil {
			t.Fatal(err)
		}
		add := ed.Add
		removed := 0
		for _, o := range ed.Remove {
			removed += o.End - o.Start
		}
		out := wrapper.Render(inv, ed)
		if len(out) != len(argv)+len(add)-removed {
			t.Fatalf("%q -> %q: length", argv, out)
		}
		head := out[:inv.CommandEnd]
		if !reflect.DeepEqual(head, argv[:inv.CommandEnd]) {
			t.Fatalf("%q -> %q: globals or command changed", argv, out)
		}
		if got := out[inv.CommandEnd : inv.CommandEnd+len(add)]; len(add) > 0 && !reflect.DeepEqual(got, add) {
			t.Fatalf("%q -> %q: additions not right after the command", argv, out)
		}
		switch inv.Command {
		case "run", "create", "exec":
			if n := len(inv.Args); n > 0 && !reflect.DeepEqual(out[len(out)-n:], inv.Args) {
				t.Fatalf("%q -> %q: image or command changed", argv, out)
			}
		default: // flags among the arguments (update c1 -c0): the rest stays as typed
			if removed == 0 && !reflect.DeepEqual(out[inv.CommandEnd+len(add):], argv[inv.CommandEnd:]) {
				t.Fatalf("%q -> %q: arguments changed", argv, out)
			}
		}
		if !d.Allowed && len(d.Violations) == 0 {
			t.Fatalf("%q: refused without a violation", argv)
		}
	})
}
