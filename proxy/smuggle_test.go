package proxy_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// An exec start or attach the daemon answers without hijacking the connection (an exec
// started detached, an error) leaves it an HTTP connection to the daemon: a request sent on
// it next must still meet the proxy, not reach the daemon as the spliced bytes of the first.
func TestNoRequestRidesASpliceTheDaemonDidNotHijack(t *testing.T) {
	px := startProxy(t, "")
	r := docker(t, px.host(), "", "run", "-d", "--label", runLabel, image, "sleep")
	if r.code != 0 {
		t.Fatal(r.stderr)
	}
	ctr := strings.TrimSpace(r.stdout)
	c, err := net.Dial("unix", px.sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	send := func(method, path, body string) (*http.Response, error) {
		req := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", method, path, len(body), body)
		if _, err := io.WriteString(c, req); err != nil {
			return nil, err
		}
		c.SetReadDeadline(time.Now().Add(20 * time.Second))
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			return nil, err
		}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body = io.NopCloser(strings.NewReader(string(b)))
		return resp, nil
	}
	resp, err := send("POST", "/v1.41/containers/"+ctr+"/exec", `{"Cmd":["/ctr"]}`)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("exec create: %v %v", resp, err)
	}
	var exec struct{ Id string }
	json.NewDecoder(resp.Body).Decode(&exec)
	if resp, err = send("POST", "/v1.41/exec/"+exec.Id+"/start", `{"Detach":true}`); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("exec start, detached: %v %v", resp, err)
	}
	k, v, _ := strings.Cut(runLabel, "=")
	body := fmt.Sprintf(`{"Image":%q,"Labels":{%q:%q},"HostConfig":{"Privileged":true,"Binds":["/:/host"]}}`, image, k, v)
	resp, err = send("POST", "/v1.41/containers/create", body)
	if err != nil {
		return // the connection was closed: nothing rode on it
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusCreated {
		var created struct{ Id string }
		json.Unmarshal(b, &created)
		hc := inspect(t, created.Id)["HostConfig"].(map[string]any)
		t.Fatalf("a create sent after a detached exec start reached the daemon unjudged: %s (Privileged %v, Binds %v)", b, hc["Privileged"], hc["Binds"])
	}
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(b), "rule privileged") {
		t.Fatalf("the create after a detached exec start: %d %s, want the proxy's refusal", resp.StatusCode, b)
	}
}
