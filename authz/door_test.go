package authz_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sdocker/authz"
	"sdocker/defaults"
	"sdocker/wrapper"
)

// fakeDaemon answers the door's questions: one func field per method.
type fakeDaemon struct {
	info func() (wrapper.Info, error)
	get  func(path string, out any) error
}

func (f fakeDaemon) Info(context.Context) (wrapper.Info, error) {
	if f.info == nil {
		return wrapper.Info{SecurityOptions: []string{"name=seccomp,profile=default"}, LoggingDriver: "json-file", DefaultRuntime: "runc"}, nil
	}
	return f.info()
}

func (f fakeDaemon) Get(_ context.Context, path string, out any) error {
	if f.get == nil {
		return wrapper.ErrNotFound
	}
	return f.get(path, out)
}

type fakeImages struct{ check, create func(ref string) error }

func (f fakeImages) CheckPull(_ context.Context, ref string) error { return f.check(ref) }

func (f fakeImages) CheckCreate(_ context.Context, image string) error {
	if f.create == nil {
		return nil
	}
	return f.create(image)
}

func policy(t *testing.T, yaml string) *defaults.Policy {
	t.Helper()
	if yaml == "" {
		yaml = string(defaults.DefaultPolicyYAML())
	}
	p, err := defaults.Parse([]byte(yaml), "test policy")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func door(t *testing.T, o authz.Options) *authz.Door {
	t.Helper()
	if o.Policy == nil {
		o.Policy = policy(t, "")
	}
	if o.Daemon == nil {
		o.Daemon = fakeDaemon{}
	}
	d, err := authz.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// hardened is a create body as sdocker's CLI door sends it (docker 28's JSON field names).
const hardened = `{"Image":"img","HostConfig":{"CapDrop":["ALL"],"CapAdd":["CHOWN","DAC_OVERRIDE","FOWNER","SETGID","SETUID"],` +
	`"SecurityOpt":["no-new-privileges"],"Memory":1073741824,"NanoCpus":1000000000,"PidsLimit":512,"NetworkMode":"sdocker",` +
	`"CgroupnsMode":"private","LogConfig":{"Type":"","Config":{"max-size":"10m","max-file":"3"}}}}`

func post(uri, body string) authz.Request {
	return authz.Request{RequestMethod: "POST", RequestURI: uri, RequestBody: []byte(body),
		RequestHeaders: map[string]string{"Content-Type": "application/json", "Content-Length": fmt.Sprint(len(body))}}
}

// wantVerdict checks a door's answer: allowed where want is "", else a denial saying want.
func wantVerdict(t *testing.T, resp authz.Response, want string) {
	t.Helper()
	switch {
	case want == "" && !resp.Allow:
		t.Fatalf("denied: %s", resp.Msg)
	case want != "" && resp.Allow:
		t.Fatalf("allowed, want a denial saying %q", want)
	case want != "" && !strings.Contains(resp.Msg, want):
		t.Fatalf("denial %q does not say %q", resp.Msg, want)
	}
}

func TestRequests(t *testing.T) {
	for _, tc := range []struct {
		name string
		req  authz.Request
		want string // "" allowed, else a fragment of the denial
	}{
		{"hardened create", post("/v1.41/containers/create?name=x", hardened), ""},
		{"unversioned create", post("/containers/create", hardened), ""},
		{"privileged create", post("/v1.41/containers/create", strings.Replace(hardened, `"CapDrop"`, `"Privileged":true,"CapDrop"`, 1)), "HostConfig.Privileged=true (rule privileged)"},
		{"create lacking the hardening", post("/v1.41/containers/create", `{"Image":"img","HostConfig":{"NetworkMode":"sdocker"}}`), "HostConfig.CapDrop lacks ALL"},
		{"HostConfig fields at the top level", post("/v1.41/containers/create", `{"Image":"img","Privileged":true,"Binds":["/:/host"]}`), "rule privileged"},
		{"top level beside a hardened HostConfig", post("/v1.41/containers/create", strings.Replace(hardened, `"Image":"img"`, `"Image":"img","Privileged":true`, 1)), ""},
		{"loopback port", post("/v1.41/containers/create", strings.Replace(hardened, `"NetworkMode"`, `"PortBindings":{"80/tcp":[{"HostIp":"127.0.0.1","HostPort":"8080"}]},"NetworkMode"`, 1)), ""},
		{"port on an address with a zone (every address to dockerd)", post("/v1.41/containers/create", strings.Replace(hardened, `"NetworkMode"`, `"PortBindings":{"80/tcp":[{"HostIp":"::1%lo","HostPort":"8080"}]},"NetworkMode"`, 1)), "every address"},
		{"one port under two keys", post("/v1.41/containers/create", strings.Replace(hardened, `"NetworkMode"`, `"PortBindings":{"80":[{"HostPort":"8080"}],"80/tcp":[{"HostIp":"127.0.0.1","HostPort":"8081"}]},"NetworkMode"`, 1)), "twice"},
		{"default bridge", post("/v1.41/containers/create", strings.Replace(hardened, `"NetworkMode":"sdocker"`, `"NetworkMode":"default"`, 1)), `set HostConfig.NetworkMode to "sdocker"`},
		{"path with dots and slashes", post("/v1.41//containers/./create", `{"Image":"img","HostConfig":{"Privileged":true}}`), "rule privileged"},
		{"escaped slash", post("/v1.41/containers%2Fcreate", `{"Image":"img","HostConfig":{"Privileged":true}}`), "rule privileged"},
		{"lower-case method", authz.Request{RequestMethod: "post", RequestURI: "/containers/create", RequestBody: []byte(`{"HostConfig":{"Privileged":true}}`)}, "rule privileged"},
		{"body hidden: 1 MiB or more", authz.Request{RequestMethod: "POST", RequestURI: "/v1.41/containers/create",
			RequestHeaders: map[string]string{"Content-Type": "application/json", "Content-Length": "1153433"}}, "CVE-2026-34040"},
		{"body hidden: not JSON", authz.Request{RequestMethod: "POST", RequestURI: "/v1.41/containers/create",
			RequestHeaders: map[string]string{"Content-Type": "text/plain"}}, `Content-Type is "text/plain"`},
		{"body hidden: chunked", authz.Request{RequestMethod: "POST", RequestURI: "/v1.41/containers/create",
			RequestHeaders: map[string]string{"Transfer-Encoding": "chunked"}}, "chunked"},
		{"no body at all", authz.Request{RequestMethod: "POST", RequestURI: "/v1.41/containers/create"}, "rule body"},
		{"unreadable body", post("/v1.41/containers/create", `{"Image":`), "cannot be read"},
		{"privileged exec", post("/v1.41/containers/c1/exec", `{"Cmd":["sh"],"Privileged":true}`), "Privileged=true (rule privileged)"},
		{"plain exec", post("/v1.41/containers/c1/exec", `{"Cmd":["sh"]}`), ""},
		{"update past the maximum", post("/v1.41/containers/c1/update", `{"Memory":68719476736}`), "Memory=68719476736 (rule resources)"},
		{"update to no pids limit", post("/v1.41/containers/c1/update", `{"PidsLimit":-1}`), "means unlimited"},
		{"update within", post("/v1.41/containers/c1/update", `{"Memory":2147483648}`), ""},
		{"connect to the default bridge", post("/v1.41/networks/bridge/connect", `{"Container":"c1"}`), "rule network"},
		{"connect to a network of one's own", post("/v1.41/networks/mine/connect", `{"Container":"c1"}`), ""},
		{"HostConfig on start, API 1.23", post("/v1.23/containers/c1/start", `{"Privileged":true}`), "HostConfig given on start"},
		{"hidden HostConfig on start, API 1.20", authz.Request{RequestMethod: "POST", RequestURI: "/v1.20/containers/c1/start",
			RequestHeaders: map[string]string{"Content-Length": "2000000"}}, "HostConfig given on start"},
		{"start, API 1.41", post("/v1.41/containers/c1/start", ""), ""},
		{"plugin install", post("/v1.41/plugins/pull?remote=x", `[]`), "--insecure-allow=plugins"},
		{"plugin settings", post("/v1.41/plugins/p/set", `["m.source=/"]`), "rule plugins"},
		{"service create", post("/v1.41/services/create", `{}`), "--insecure-allow=swarm"},
		{"pull with a form body, whose fromImage wins over the query's", authz.Request{RequestMethod: "POST", RequestURI: "/v1.41/images/create?fromImage=checked&tag=1",
			RequestHeaders: map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Content-Length": "30"}}, "is a form"},
		{"build with a form body", authz.Request{RequestMethod: "POST", RequestURI: "/v1.41/build?t=x",
			RequestHeaders: map[string]string{"content-type": "Application/X-WWW-Form-Urlencoded; charset=utf-8"}}, "is a form"},
		{"macvlan network", post("/v1.41/networks/create", `{"Name":"lan","Driver":"macvlan","Options":{"parent":"eth0"}}`), "rule network"},
		{"bridge network", post("/v1.41/networks/create", `{"Name":"app","Driver":"bridge"}`), ""},
		{"classic build on the host's network", post("/v1.41/build?t=x&networkmode=host", ""), "rule host-namespaces"},
		{"classic build in a cgroup of its choosing", post("/v1.41/build?t=x&cgroupparent=/", ""), "rule cgroup-parent"},
		{"classic build", post("/v1.41/build?t=x", ""), ""},
		{"swarm update", post("/v1.41/swarm/update?version=1", `{}`), "--insecure-allow=swarm"},
		{"node promoted", post("/v1.41/nodes/n1/update?version=1", `{"Role":"manager"}`), "--insecure-allow=swarm"},
		{"a read", authz.Request{RequestMethod: "GET", RequestURI: "/v1.41/containers/json"}, ""},
		{"unparsable URI", authz.Request{RequestMethod: "POST", RequestURI: "::"}, "refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantVerdict(t, door(t, authz.Options{}).AuthZReq(context.Background(), tc.req), tc.want)
		})
	}
}

func TestInsecureAllow(t *testing.T) {
	d := door(t, authz.Options{InsecureAllow: map[string]bool{"plugins": true}})
	if r := d.AuthZReq(context.Background(), post("/plugins/pull?remote=x", `[]`)); !r.Allow {
		t.Errorf("plugins allowed by --insecure-allow, still denied: %s", r.Msg)
	}
	if r := d.AuthZReq(context.Background(), post("/swarm/init", `{}`)); r.Allow {
		t.Error("swarm init allowed with only plugins let through")
	}
}

// The CLI door pins a profile it checked by its bytes: on a daemon whose default is not the
// built-in profile, sdocker run sends Moby's profile inline, and require mode accepts it.
func TestInlineProfileOnADaemonWithAnotherDefault(t *testing.T) {
	d := door(t, authz.Options{Daemon: fakeDaemon{info: func() (wrapper.Info, error) {
		return wrapper.Info{SecurityOptions: []string{"name=seccomp,profile=/etc/docker/custom.json"}, LoggingDriver: "json-file"}, nil
	}}})
	var body map[string]any
	json.Unmarshal([]byte(hardened), &body)
	hc := body["HostConfig"].(map[string]any)
	hc["SecurityOpt"] = []string{"no-new-privileges", "seccomp=" + string(defaults.MobySeccompProfile())}
	data, _ := json.Marshal(body)
	if r := d.AuthZReq(context.Background(), post("/v1.41/containers/create", string(data))); !r.Allow {
		t.Fatalf("sdocker's create with Moby's profile inline denied: %s", r.Msg)
	}
	if r := d.AuthZReq(context.Background(), post("/v1.41/containers/create", hardened)); r.Allow || !strings.Contains(r.Msg, "rule seccomp") {
		t.Fatalf("a create without a profile on that daemon: %+v, want a seccomp denial", r)
	}
}

func TestPulls(t *testing.T) {
	p := policy(t, "version: 1\nimages:\n  - match: \"reg.example/team/**\"\n    signature: {keys: [/k.pub]}\n  - match: \"**\"\n    signature: {required: false}\n")
	var asked []string
	images := fakeImages{check: func(ref string) error {
		asked = append(asked, ref)
		if strings.Contains(ref, "bad") {
			return errors.New("no signatures found")
		}
		return nil
	}}
	for _, tc := range []struct {
		name, uri, want, asked string
	}{
		{"signed", "/v1.41/images/create?fromImage=reg.example%2Fteam%2Fapp&tag=1", "", "reg.example/team/app:1"},
		{"by digest", "/v1.41/images/create?fromImage=reg.example/team/app&tag=sha256:" + strings.Repeat("a", 64), "", "reg.example/team/app@sha256:" + strings.Repeat("a", 64)},
		{"unsigned", "/v1.41/images/create?fromImage=reg.example/team/bad&tag=1", "no signatures found", "reg.example/team/bad:1"},
		{"no rule asks", "/v1.41/images/create?fromImage=busybox&tag=1", "", ""},
		{"import under a signed name", "/v1.41/images/create?fromSrc=-&repo=reg.example/team/app", "imported image carries no signature", ""},
		{"import elsewhere", "/v1.41/images/create?fromSrc=-&repo=mine", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			asked = nil
			r := door(t, authz.Options{Policy: p, Images: images}).AuthZReq(context.Background(), authz.Request{RequestMethod: "POST", RequestURI: tc.uri})
			if (tc.want == "") != r.Allow || !strings.Contains(r.Msg, tc.want) {
				t.Fatalf("%+v, want %q", r, tc.want)
			}
			if got := strings.Join(asked, ","); got != tc.asked {
				t.Fatalf("checked %q, want %q", got, tc.asked)
			}
		})
	}
}

func TestADecisionThatDoesNotFinishIsADenial(t *testing.T) {
	slow := fakeDaemon{info: func() (wrapper.Info, error) { time.Sleep(time.Second); return wrapper.Info{}, nil }}
	start := time.Now()
	r := door(t, authz.Options{Daemon: slow, Timeout: 50 * time.Millisecond}).AuthZReq(context.Background(), post("/containers/create", hardened))
	if r.Allow || !strings.Contains(r.Msg, "did not finish within 50ms") || time.Since(start) > 500*time.Millisecond {
		t.Fatalf("%+v after %s, want a denial within the timeout", r, time.Since(start))
	}
	failing := fakeDaemon{info: func() (wrapper.Info, error) { return wrapper.Info{}, errors.New("connection refused") }}
	if r := door(t, authz.Options{Daemon: failing}).AuthZReq(context.Background(), post("/containers/create", hardened)); r.Allow {
		t.Fatal("a create was allowed although the daemon's facts were unknown")
	}
}

func TestWarnModeAllowsAndLogs(t *testing.T) {
	var log bytes.Buffer
	p := policy(t, "version: 1\nmode: warn\n")
	r := door(t, authz.Options{Policy: p, Log: &log}).AuthZReq(context.Background(),
		authz.Request{User: "alice", UserAuthNMethod: "TLS", RequestMethod: "POST", RequestURI: "/containers/create", RequestBody: []byte(`{"HostConfig":{"Privileged":true}}`)})
	if !r.Allow || !strings.Contains(log.String(), "would have denied") || !strings.Contains(log.String(), "user alice (TLS)") {
		t.Fatalf("%+v, log %q", r, log.String())
	}
}

func TestProtocol(t *testing.T) {
	srv := httptest.NewServer(authz.Handler(door(t, authz.Options{})))
	defer srv.Close()
	call := func(path string, v any) map[string]any {
		data, _ := json.Marshal(v)
		resp, err := http.Post(srv.URL+path, "application/json", bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return out
	}
	if got := fmt.Sprint(call("/Plugin.Activate", nil)["Implements"]); got != "[authz]" {
		t.Errorf("Activate: %s", got)
	}
	// dockerd sends the body base64-encoded, as encoding/json does for []byte.
	req := map[string]any{"RequestMethod": "POST", "RequestUri": "/v1.41/containers/create", "RequestBody": []byte(`{"HostConfig":{"Privileged":true}}`)}
	if got := call("/AuthZPlugin.AuthZReq", req); got["Allow"] != false || !strings.Contains(fmt.Sprint(got["Msg"]), "rule privileged") {
		t.Errorf("AuthZReq: %v", got)
	}
	if got := call("/AuthZPlugin.AuthZRes", req); got["Allow"] != true {
		t.Errorf("AuthZRes: %v", got)
	}
}

func TestCreateChecksTheImage(t *testing.T) {
	p := policy(t, "version: 1\nimages:\n  - match: \"reg.example/team/**\"\n    signature: {keys: [/k.pub]}\n")
	images := fakeImages{create: func(image string) error {
		if image == "reg.example/team/loaded:1" {
			return errors.New("it has no repo digest")
		}
		return nil
	}}
	body := func(image string) string { return strings.Replace(hardened, `"Image":"img"`, `"Image":"`+image+`"`, 1) }
	if r := door(t, authz.Options{Policy: p, Images: images}).AuthZReq(context.Background(), post("/containers/create", body("reg.example/team/loaded:1"))); r.Allow || !strings.Contains(r.Msg, "no repo digest") {
		t.Errorf("an unsigned local image under a signed name: %+v", r)
	}
	if r := door(t, authz.Options{Policy: p, Images: images}).AuthZReq(context.Background(), post("/containers/create", body("reg.example/team/app:1"))); !r.Allow {
		t.Errorf("a verified image denied: %s", r.Msg)
	}
	if r := door(t, authz.Options{Policy: p}).AuthZReq(context.Background(), post("/containers/create", body("reg.example/team/app:1"))); r.Allow {
		t.Error("a create under a signature rule allowed with no image checker")
	}
}

// A start, restart or copy makes the daemon mount the container's binds as they resolve now:
// a source that names a denied path by then (swapped for a link to /etc since its create, or
// stored so by a create the door did not see) is denied, as the CLI and API doors deny it.
func TestMountsJudgedAgainWhenTheDaemonMounts(t *testing.T) {
	containers := map[string]string{
		"/containers/swapped/json": `{"Name":"/swapped","Config":{"Image":"img"},"Mounts":[{"Type":"bind","Source":"/etc","Destination":"/x","RW":true}]}`,
		"/containers/plain/json":   `{"Name":"/plain","Config":{"Image":"img"},"Mounts":[{"Type":"bind","Source":"/srv/data","Destination":"/x","RW":true}]}`,
	}
	daemon := fakeDaemon{get: func(path string, out any) error {
		body, ok := containers[path]
		if !ok {
			return wrapper.ErrNotFound
		}
		return json.Unmarshal([]byte(body), out)
	}}
	for _, tc := range []struct {
		name string
		req  authz.Request
		want string // "" allowed, else a fragment of the denial
	}{
		{"start of a container whose bind names /etc", post("/v1.41/containers/swapped/start", ""), "rule mounts"},
		{"restart of it", post("/v1.41/containers/swapped/restart?t=0", ""), "rule mounts"},
		{"copy into it", authz.Request{RequestMethod: "PUT", RequestURI: "/v1.41/containers/swapped/archive?path=/x"}, "rule mounts"},
		{"copy out of it", authz.Request{RequestMethod: "GET", RequestURI: "/v1.41/containers/swapped/archive?path=/x/shadow"}, "rule mounts"},
		{"stat in it", authz.Request{RequestMethod: "HEAD", RequestURI: "/v1.41/containers/swapped/archive?path=/x"}, "rule mounts"},
		{"start of a container with a plain bind", post("/v1.41/containers/plain/start", ""), ""},
		{"copy into it", authz.Request{RequestMethod: "PUT", RequestURI: "/v1.41/containers/plain/archive?path=/x"}, ""},
		{"start of a container the daemon does not know", post("/v1.41/containers/gone/start", ""), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantVerdict(t, door(t, authz.Options{Daemon: daemon}).AuthZReq(context.Background(), tc.req), tc.want)
		})
	}
}

// With a restart policy the daemon mounts a container's sources again on its own, after a
// crash or at its own start, with no request for the door to judge: a source anyone but root
// could swap for a link meanwhile is denied beside one, at create and at update.
func TestRestartPolicyBesideASwappableSource(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("SKIPPED LOUDLY: a directory owned by another user needs root (CI runs as root)")
	}
	base := t.TempDir()
	theirs, mine := filepath.Join(base, "theirs"), filepath.Join(base, "mine")
	for _, d := range []string{theirs + "/data", mine + "/data"} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chown(theirs, 4242, 4242); err != nil {
		t.Fatal(err)
	}
	withBind := func(src, restart string) string {
		return strings.Replace(hardened, `"NetworkMode"`, fmt.Sprintf(`"Binds":[%q],"RestartPolicy":{"Name":%q},"NetworkMode"`, src+":/x", restart), 1)
	}
	daemon := fakeDaemon{get: func(path string, out any) error {
		switch path {
		case "/containers/c-theirs/json":
			return json.Unmarshal([]byte(`{"Name":"/c-theirs","Config":{"Image":"img"},"Mounts":[{"Type":"bind","Source":`+fmt.Sprintf("%q", theirs+"/data")+`,"Destination":"/x","RW":true}]}`), out)
		case "/containers/c-theirs/json?size=false", "/containers/c-mine/json?size=false":
			return json.Unmarshal([]byte(`{"HostConfig":{}}`), out)
		case "/containers/c-mine/json":
			return json.Unmarshal([]byte(`{"Name":"/c-mine","Config":{"Image":"img"},"Mounts":[{"Type":"bind","Source":`+fmt.Sprintf("%q", mine+"/data")+`,"Destination":"/x","RW":true}]}`), out)
		}
		return wrapper.ErrNotFound
	}}
	for _, tc := range []struct {
		name string
		req  authz.Request
		want string
	}{
		{"create with a restart policy beside another user's directory", post("/v1.41/containers/create", withBind(theirs+"/data", "always")), "rule swappable-mounts"},
		{"create with a restart policy beside root's directory", post("/v1.41/containers/create", withBind(mine+"/data", "unless-stopped")), ""},
		{"create without one beside another user's directory", post("/v1.41/containers/create", withBind(theirs+"/data", "no")), ""},
		{"update to a restart policy beside another user's directory", post("/v1.41/containers/c-theirs/update", `{"RestartPolicy":{"Name":"on-failure","MaximumRetryCount":3}}`), "rule swappable-mounts"},
		{"update to a restart policy beside root's directory", post("/v1.41/containers/c-mine/update", `{"RestartPolicy":{"Name":"always"}}`), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantVerdict(t, door(t, authz.Options{Daemon: daemon, Local: true}).AuthZReq(context.Background(), tc.req), tc.want)
		})
	}
}
