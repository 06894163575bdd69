package proxy

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"sdocker/defaults"
	"sdocker/wrapper"
)

// netDaemon resolves networks as dockerd does: by full ID, then by name, then by ID prefix.
type netDaemon struct {
	Daemon
	mu       sync.Mutex
	networks []map[string]any
}

func (d *netDaemon) find(ref string) map[string]any {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, n := range d.networks {
		if n["Id"] == ref {
			return n
		}
	}
	for _, n := range d.networks {
		if n["Name"] == ref {
			return n
		}
	}
	for _, n := range d.networks {
		if strings.HasPrefix(n["Id"].(string), ref) {
			return n
		}
	}
	return nil
}

func (d *netDaemon) remove(name string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var kept []map[string]any
	for _, n := range d.networks {
		if n["Name"] != name {
			kept = append(kept, n)
		}
	}
	d.networks = kept
}

func (d *netDaemon) Get(_ context.Context, path string, out any) error {
	var v any
	switch {
	case strings.HasPrefix(path, "/networks/"):
		n := d.find(strings.TrimPrefix(path, "/networks/"))
		if n == nil {
			return wrapper.ErrNotFound
		}
		v = n
	case strings.HasPrefix(path, "/containers/"):
		v = map[string]any{"Id": strings.Repeat("c", 64), "Config": map[string]any{"Image": "alpine"}}
	default:
		return wrapper.ErrNotFound
	}
	b, _ := json.Marshal(v)
	return json.Unmarshal(b, out)
}

// A network named by a prefix of another's ID: the client's own bridge of that name is judged
// (and remembered), then removed, and the same name is the ID prefix of a macvlan network the
// daemon has. What was judged a moment ago is not what the name names now.
func TestNetworkJudgedIsTheNetworkJoined(t *testing.T) {
	p, err := defaults.Parse(defaults.DefaultPolicyYAML(), "embedded default")
	if err != nil {
		t.Fatal(err)
	}
	lanID := "abc1" + strings.Repeat("0", 60)
	fake := &netDaemon{networks: []map[string]any{
		{"Id": lanID, "Name": "lan", "Driver": "macvlan", "Options": map[string]string{"parent": "eth0"}},
		{"Id": strings.Repeat("d", 64), "Name": "abc1", "Driver": "bridge"},
	}}
	s := &Server{opt: Options{Policy: p, Daemon: &cachedDaemon{Daemon: fake}, Now: func() time.Time { return time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) }}}
	ctx := context.Background()
	body := []byte(`{"Container":"web"}`)
	j, err := s.judgeConnect(ctx, route{kind: "connect", name: "abc1", path: "/networks/abc1/connect"}, body)
	if err != nil || !j.d.Allowed {
		t.Fatalf("the client's own bridge: allowed %v, %v (%+v)", j.d.Allowed, err, j.d.Violations)
	}
	fake.remove("abc1")
	rt := route{kind: "connect", name: "abc1", path: "/networks/abc1/connect"}
	j, err = s.judgeConnect(ctx, rt, body)
	if err != nil {
		t.Fatal(err)
	}
	if j.d.Allowed {
		t.Errorf("network connect abc1, now the ID prefix of macvlan network lan: allowed")
	}
	req := defaults.Request{Kind: defaults.KindCreate, Image: "alpine", Networks: []defaults.Val[string]{{Value: "abc1", From: "HostConfig.NetworkMode"}}}
	if err := wrapper.ResolveDaemonRefs(ctx, s.opt.Daemon, &req); err != nil {
		t.Fatal(err)
	}
	if len(req.JoinedNetworks) != 1 || req.JoinedNetworks[0].Driver != "macvlan" {
		t.Errorf("create on abc1, now the ID prefix of macvlan network lan: judged as %+v", req.JoinedNetworks)
	}
}

// A network connect goes on for the network judged, by its full ID.
func TestNetworkConnectPinned(t *testing.T) {
	lanID := "abc1" + strings.Repeat("0", 60)
	fake := &netDaemon{networks: []map[string]any{
		{"Id": lanID, "Name": "lan", "Driver": "macvlan"},
		{"Id": strings.Repeat("d", 64), "Name": "abc1", "Driver": "bridge"},
	}}
	s := &Server{opt: Options{Daemon: &cachedDaemon{Daemon: fake}}}
	r := httptest.NewRequest("POST", "/v1.47/networks/abc1/connect", nil)
	rt, err := classify(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.pinNetwork(r, &rt); err != nil {
		t.Fatal(err)
	}
	want := "/networks/" + strings.Repeat("d", 64) + "/connect"
	if rt.path != want || r.URL.Path != "/v1.47"+want {
		t.Errorf("pinned to %q (%q), want %q", rt.path, r.URL.Path, want)
	}
}

// renamingDaemon answers a container's inspection by name once as one container, and from then
// on as another, as docker rename between the check and the daemon's create leaves it.
type renamingDaemon struct {
	Daemon
	mu    sync.Mutex
	asked map[string]int
}

func (d *renamingDaemon) Get(_ context.Context, path string, out any) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	name := strings.TrimSuffix(strings.TrimPrefix(path, "/containers/"), "/json")
	if d.asked == nil {
		d.asked = map[string]int{}
	}
	d.asked[name]++
	id := strings.Repeat("a", 64) // the benign container
	if d.asked[name] > 1 {
		id = strings.Repeat("e", 64) // the one that binds /etc, renamed to the name since
	}
	b, _ := json.Marshal(map[string]any{"Id": id})
	return json.Unmarshal(b, out)
}

// The containers a create refers to are named by the IDs judged in what the daemon gets.
func TestCreateContainerRefsPinned(t *testing.T) {
	s := &Server{opt: Options{Daemon: &renamingDaemon{}}}
	b := []byte(`{"Image":"img","HostConfig":{"VolumesFrom":["donor:ro","other"],"NetworkMode":"container:net","PidMode":"container:pid"},"IpcMode":"container:ipc"}`)
	out, err := s.pinContainerRefs(context.Background(), b)
	if err != nil {
		t.Fatal(err)
	}
	a := strings.Repeat("a", 64)
	for _, want := range []string{`"` + a + `:ro"`, `"` + a + `"`, `"container:` + a + `"`, `"IpcMode":"container:` + a + `"`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("forwarded %s, want %s in it", out, want)
		}
	}
	for _, name := range []string{"donor", "other", "net", "pid", "ipc"} {
		if strings.Contains(string(out), `"`+name) || strings.Contains(string(out), ":"+name+`"`) {
			t.Errorf("forwarded %s: %s still named", out, name)
		}
	}
}
