package audit

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"sdocker/wrapper"
)

// fakeAPI answers GETs from a map of path → JSON.
type fakeAPI struct{ answers map[string]string }

func (f fakeAPI) Get(_ context.Context, path string, out any) error {
	a, ok := f.answers[path]
	if !ok {
		return wrapper.ErrNotFound
	}
	return json.Unmarshal([]byte(a), out)
}

func TestGather(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	group := write("group", "root:x:0:\ndocker:x:999:alice,bob\nstaff:x:50:\n")
	passwd := write("passwd", "root:x:0:0::/root:/bin/sh\ncarol:x:1001:999::/home/carol:/bin/sh\n")
	cfg := write("daemon.json", `{"hosts": ["tcp://0.0.0.0:2375"], "log-opts": {"max-size": "10m"}}`)
	api := fakeAPI{answers: map[string]string{
		"/info":                  `{"ServerVersion": "27.1.1", "LoggingDriver": "json-file"}`,
		"/version":               `{"Version": "27.1.1", "Components": [{"Name": "runc", "Version": "1.1.12"}]}`,
		"/containers/json?all=1": `[{"Id": "abc"}, {"Id": "gone"}]`,
		"/containers/abc/json":   `{"Id": "abc", "Name": "/web", "HostConfig": {"Privileged": true}}`,
		"/networks/bridge":       `{"Options": {}}`,
		"/networks":              `[]`,
	}}
	s, err := Gather(context.Background(), Options{
		API: api, Endpoint: wrapper.Endpoint{Host: "tcp://10.0.0.1:2376", TLS: true, Verify: true},
		DaemonConfig: cfg, GroupFile: group, PasswdFile: passwd,
		Getenv: func(k string) string { return map[string]string{"DOCKER_HOST": "tcp://10.0.0.1:2375"}[k] },
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Containers) != 1 || !s.Containers[0].HostConfig.Privileged {
		t.Errorf("containers: %+v", s.Containers)
	}
	if s.BridgeICC != "true" {
		t.Errorf("BridgeICC = %q, want docker's default true", s.BridgeICC)
	}
	if s.Config == nil || !slices.Equal(s.Config.Hosts, []string{"tcp://0.0.0.0:2375"}) || s.ConfigFile == nil {
		t.Errorf("config: %+v %+v (%s)", s.Config, s.ConfigFile, s.ConfigNote)
	}
	if s.Host.Local || s.Host.DockerHost != "tcp://10.0.0.1:2375" {
		t.Errorf("host: %+v", s.Host)
	}
	_, groups := readAccounts(Options{GroupFile: group, PasswdFile: passwd})
	if g := groups.docker; g == nil || !slices.Equal(g.Members, []string{"alice", "bob", "carol"}) {
		t.Errorf("docker group: %+v, want alice, bob and carol (whose primary group it is)", g)
	}
}

// A running container's processes come from the daemon's process list (top); one that stopped
// meanwhile (409) has none, and other failures stop the audit.
func TestGatherProcesses(t *testing.T) {
	tests := []struct {
		name    string
		api     API
		want    []string
		wantErr bool
	}{
		{"ps columns", fakeAPI{answers: map[string]string{"/containers/abc/top": `{"Titles": ["UID","PID","PPID","C","STIME","TTY","TIME","CMD"],
			"Processes": [["root","1","0","0","10:00","?","00:00:00","/usr/sbin/sshd -D"]]}`}}, []string{"/usr/sbin/sshd -D"}, false},
		{"stopped meanwhile", errAPI{&wrapper.APIError{Status: 409, Message: "container abc is not running"}}, nil, false},
		{"removed meanwhile", fakeAPI{answers: map[string]string{}}, nil, false},
		{"daemon failure", errAPI{&wrapper.APIError{Status: 500, Message: "boom"}}, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Container{ID: "abc", Name: "/abc"}
			err := gatherProcesses(context.Background(), tc.api, &c)
			if (err != nil) != tc.wantErr || !slices.Equal(c.Processes, tc.want) {
				t.Fatalf("processes %q, error %v", c.Processes, err)
			}
		})
	}
}

type errAPI struct{ err error }

func (e errAPI) Get(context.Context, string, any) error { return e.err }
