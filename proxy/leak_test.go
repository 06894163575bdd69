package proxy_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func openFDs(t testing.TB) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// createStdinOnce creates and starts a container running cat whose stdin closes when its
// first attach's does, as docker run -i makes it.
func createStdinOnce(t *testing.T, c *http.Client) string {
	t.Helper()
	k, v, _ := strings.Cut(runLabel, "=")
	body := fmt.Sprintf(`{"Image":%q,"Cmd":["cat"],"OpenStdin":true,"StdinOnce":true,"AttachStdin":true,"AttachStdout":true,"Labels":{%q:%q}}`, image, k, v)
	resp, err := c.Post("http://docker/v1.41/containers/create", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var m struct{ Id, Message string }
	json.NewDecoder(resp.Body).Decode(&m)
	resp.Body.Close()
	if m.Id == "" {
		t.Fatalf("create: %s", m.Message)
	}
	return m.Id
}

// createSleeper creates and starts a container that sleeps with its stdin open: an attach to it
// ends only when its client leaves.
func createSleeper(t *testing.T, c *http.Client) string {
	t.Helper()
	k, v, _ := strings.Cut(runLabel, "=")
	body := fmt.Sprintf(`{"Image":%q,"Cmd":["sleep"],"OpenStdin":true,"AttachStdin":true,"Labels":{%q:%q}}`, image, k, v)
	resp, err := c.Post("http://docker/v1.41/containers/create", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var m struct{ Id, Message string }
	json.NewDecoder(resp.Body).Decode(&m)
	resp.Body.Close()
	if m.Id == "" {
		t.Fatalf("create: %s", m.Message)
	}
	if resp, err = c.Post("http://docker/v1.41/containers/"+m.Id+"/start", "application/json", nil); err == nil {
		resp.Body.Close()
	}
	t.Cleanup(func() {
		if resp, err := c.Post("http://docker/v1.41/containers/"+m.Id+"/kill", "", nil); err == nil {
			resp.Body.Close()
		}
	})
	return m.Id
}

// Fifty concurrent clients that leave abruptly (mid-header, mid-body, mid-stream, mid-hijack,
// with and without an Upgrade header) leave no goroutine and no descriptor behind.
func TestNoLeakAfterAbruptClients(t *testing.T) {
	px := startProxy(t, "")
	c := apiClient(px.sock)
	var ids, sleepers []string
	for i := 0; i < 10; i++ {
		ids = append(ids, createStdinOnce(t, c))
		sleepers = append(sleepers, createSleeper(t, c))
	}
	// Warm up, then measure with the proxy's idle daemon connections closed.
	if r := docker(t, px.host(), "", "version"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	c.CloseIdleConnections()
	px.srv.CloseIdleConnections()
	time.Sleep(200 * time.Millisecond)
	goroutines, fds := runtime.NumGoroutine(), openFDs(t)

	dial := func() net.Conn {
		conn, err := net.Dial("unix", px.sock)
		if err != nil {
			t.Error(err)
			return nil
		}
		return conn
	}
	// The attaches are made and started first, so that each container's stdin is attached.
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			conn := dial()
			if conn == nil {
				return
			}
			defer conn.Close()
			switch i % 5 {
			case 0: // half a request line
				fmt.Fprintf(conn, "GET /v1.41/containers/js")
			case 1: // a create whose body never arrives in full
				fmt.Fprintf(conn, "POST /v1.41/containers/create HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"Image\":")
				time.Sleep(100 * time.Millisecond)
			case 2: // an event stream, left after its headers
				fmt.Fprintf(conn, "GET /v1.41/events HTTP/1.1\r\nHost: docker\r\n\r\n")
				bufio.NewReader(conn).ReadString('\n')
			case 3, 4: // an attach, with (3) and without (4) an Upgrade header, left after a line;
				// (4) to a container that stays silent and never ends
				id := ids[i/5]
				upgrade := "Upgrade: tcp\r\nConnection: Upgrade\r\n"
				if i%5 == 4 {
					id, upgrade = sleepers[i/5], ""
				}
				stdin := "1"
				if i%5 == 4 {
					stdin = "0" // the daemon then streams until the container ends, whatever the client sends
				}
				fmt.Fprintf(conn, "POST /v1.41/containers/%s/attach?stream=1&stdin=%s&stdout=1 HTTP/1.1\r\nHost: docker\r\n%s\r\n", id, stdin, upgrade)
				br := bufio.NewReader(conn)
				status, _ := br.ReadString('\n')
				if !strings.Contains(status, "101") && !strings.Contains(status, "200") {
					t.Errorf("attach %d: %q", i, status)
				}
				for l, _ := br.ReadString('\n'); l != "\r\n" && l != ""; l, _ = br.ReadString('\n') {
				}
				start, _ := c.Post("http://docker/v1.41/containers/"+id+"/start", "application/json", nil)
				if start != nil {
					start.Body.Close()
				}
				fmt.Fprintf(conn, "hello\n")
				time.Sleep(100 * time.Millisecond)
			}
		}(i)
	}
	wg.Wait()
	c.CloseIdleConnections()
	deadline := time.Now().Add(15 * time.Second)
	var g, f, open int
	for time.Now().Before(deadline) {
		px.srv.CloseIdleConnections()
		g, f, open = runtime.NumGoroutine(), openFDs(t), px.srv.Conns()
		if g <= goroutines && f <= fds && open == 0 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("before: %d goroutines, %d fds; after: %d goroutines, %d fds, %d client connections", goroutines, fds, g, f, open)
	if g > goroutines || f > fds || open != 0 {
		buf := make([]byte, 1<<20)
		t.Errorf("leak: %d goroutines (was %d), %d fds (was %d), %d client connections open\n%s",
			g, goroutines, f, fds, open, buf[:runtime.Stack(buf, true)])
	}
}
