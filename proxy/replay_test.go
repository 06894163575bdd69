package proxy_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// replay sends a runner's requests to the proxy over its socket as plain HTTP, and removes at
// the test's end what they made.
type replay struct {
	t                             *testing.T
	c                             *http.Client
	id                            string // this run's, for unique names
	k, v                          string // runLabel
	containers, networks, volumes []string
}

type reply struct {
	status int
	body   []byte
}

func newReplay(t *testing.T, px running) *replay {
	rp := &replay{t: t, c: apiClient(px.sock), id: strings.TrimPrefix(runLabel, "sdocker-proxy-it=")}
	rp.k, rp.v, _ = strings.Cut(runLabel, "=")
	t.Cleanup(func() {
		for _, ctr := range rp.containers {
			exec.Command("docker", "rm", "-f", "-v", ctr).Run()
		}
		for _, n := range rp.networks {
			exec.Command("docker", "network", "rm", n).Run()
		}
		for _, vol := range rp.volumes {
			exec.Command("docker", "volume", "rm", "-f", vol).Run()
		}
	})
	return rp
}

// call sends one request (path under /v1.41 unless it names a version) with a JSON body.
func (rp *replay) call(method, path string, body any) reply {
	t := rp.t
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = strings.NewReader(string(b))
	}
	if !strings.HasPrefix(path, "/v1.") {
		path = "/v1.41" + path
	}
	req, err := http.NewRequest(method, "http://docker"+path, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := rp.c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, out}
}

func (rp *replay) must(r reply, want int, what string) []byte {
	rp.t.Helper()
	if r.status != want {
		rp.t.Fatalf("%s: %d %s", what, r.status, r.body)
	}
	return r.body
}

// volume and network make what a runner makes before its containers.
func (rp *replay) volume(name string, body any) {
	rp.t.Helper()
	rp.must(rp.call("POST", "/volumes/create", body), http.StatusCreated, "volume create "+name)
	rp.volumes = append(rp.volumes, name)
}

func (rp *replay) network(name string, body any) {
	rp.t.Helper()
	rp.must(rp.call("POST", "/networks/create", body), http.StatusCreated, "network create "+name)
	rp.networks = append(rp.networks, name)
}

// create sends a corpus body with this machine's image (and command), labelled for this run.
func (rp *replay) create(c corpusBody, image string, cmd []string) string {
	rp.t.Helper()
	c.Body["Image"] = image
	if cmd != nil {
		c.Body["Cmd"] = cmd
	}
	c.Body["Labels"].(map[string]any)[rp.k] = rp.v
	out := rp.must(rp.call("POST", c.Path, c.Body), http.StatusCreated, "create "+c.Path)
	var created struct{ Id string }
	json.Unmarshal(out, &created)
	rp.containers = append(rp.containers, created.Id)
	return created.Id
}

// start starts a container and, with wait, waits for it to exit 0.
func (rp *replay) start(id string, wait bool) {
	t := rp.t
	t.Helper()
	rp.must(rp.call("POST", "/containers/"+id+"/start", nil), http.StatusNoContent, "start "+id)
	if !wait {
		return
	}
	out := rp.must(rp.call("POST", "/containers/"+id+"/wait", nil), http.StatusOK, "wait "+id)
	var status struct{ StatusCode int }
	json.Unmarshal(out, &status)
	if status.StatusCode != 0 {
		var all []string
		for _, ctr := range rp.containers {
			logs, _ := exec.Command("docker", "logs", ctr).CombinedOutput()
			all = append(all, fmt.Sprintf("%.12s: %s", ctr, logs))
		}
		t.Fatalf("%.12s exited %d; the logs:\n%s", id, status.StatusCode, strings.Join(all, "\n"))
	}
}

// run creates and starts a container from a corpus body.
func (rp *replay) run(c corpusBody, image string, cmd []string, wait bool) string {
	rp.t.Helper()
	id := rp.create(c, image, cmd)
	rp.start(id, wait)
	return id
}

// corpusBody is a create request of testdata/ci, its names made unique.
type corpusBody struct {
	Path       string
	Body       map[string]any
	HostConfig map[string]any
}

func loadCorpus(t *testing.T, name string, unique *strings.Replacer) corpusBody {
	t.Helper()
	data, err := os.ReadFile("testdata/ci/" + name + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Request struct {
			Path string
			Body map[string]any
		}
	}
	if err := json.Unmarshal([]byte(unique.Replace(string(data))), &c); err != nil {
		t.Fatal(err)
	}
	return corpusBody{Path: c.Request.Path, Body: c.Request.Body, HostConfig: c.Request.Body["HostConfig"].(map[string]any)}
}
