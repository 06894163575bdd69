// Command ryuk is a small replica of Testcontainers' Ryuk (the reaper), for the proxy's tests:
// the image testcontainers-go asks for is on Docker Hub, so the tests build this one and tag it
// as that image. It keeps Ryuk's protocol and behaviour as testcontainers-go depends on them:
//
//   - it asks the Engine API on /var/run/docker.sock (the socket the create body binds) for
//     /_ping, and fails if no daemon answers;
//   - it listens on TCP port RYUK_PORT (8080) and prints "Started!" (testcontainers-go waits
//     for "Started" in its log and for the port);
//   - every line a client sends is a URL query of filters (label=KEY=VALUE&…); each is
//     answered "ACK\n";
//   - when no client connects within RYUK_CONNECTION_TIMEOUT (1m), or the last client has
//     been gone for RYUK_RECONNECTION_TIMEOUT (10s), it removes the containers (force, with
//     their anonymous volumes), then prunes the networks, volumes and images that match the
//     filters, skipping containers labelled org.testcontainers.ryuk=true, and exits.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "ryuk:", err)
		os.Exit(1)
	}
}

func duration(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(name)); err == nil {
		return d
	}
	return def
}

// api talks HTTP to the Engine API on the socket the container was given.
type api struct{ c *http.Client }

func (a api) do(method, path string, out any) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, "http://docker"+path, nil)
	if err != nil {
		return err
	}
	resp, err := a.c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, strings.TrimSpace(string(b)))
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

func run() error {
	sock := "/var/run/docker.sock"
	if h := os.Getenv("DOCKER_HOST"); strings.HasPrefix(h, "unix://") {
		sock = strings.TrimPrefix(h, "unix://")
	}
	a := api{&http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}}}
	if err := a.do("GET", "/_ping", nil); err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	port := os.Getenv("RYUK_PORT")
	if port == "" {
		port = "8080"
	}
	ln, err := net.Listen("tcp", ":"+port)
	if err != nil {
		return err
	}
	fmt.Println("Started!")

	var mu sync.Mutex
	filters := map[string]url.Values{}
	events := make(chan int)
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			events <- 1
			go func() {
				defer func() { conn.Close(); events <- -1 }()
				sc := bufio.NewScanner(conn)
				for sc.Scan() {
					line := strings.TrimSpace(sc.Text())
					if line == "" {
						continue
					}
					if q, err := url.ParseQuery(line); err == nil {
						mu.Lock()
						filters[q.Encode()] = q
						mu.Unlock()
						fmt.Println("adding filter", q.Encode())
					}
					conn.Write([]byte("ACK\n"))
				}
			}()
		}
	}()

	clients := 0
	timer := time.NewTimer(duration("RYUK_CONNECTION_TIMEOUT", time.Minute))
wait:
	for {
		select {
		case e := <-events:
			clients += e
			if clients == 0 {
				timer.Reset(duration("RYUK_RECONNECTION_TIMEOUT", 10*time.Second))
			} else {
				timer.Stop()
			}
		case <-timer.C:
			break wait
		}
	}
	ln.Close()
	mu.Lock()
	defer mu.Unlock()
	for _, q := range filters {
		prune(a, q)
	}
	return nil
}

// prune removes what one client's filters match, as Ryuk does.
func prune(a api, q url.Values) {
	f := map[string][]string{}
	for k, vs := range q {
		f[k] = vs
	}
	enc := func(extra map[string][]string) string {
		all := map[string][]string{}
		for k, v := range f {
			all[k] = v
		}
		for k, v := range extra {
			all[k] = v
		}
		b, _ := json.Marshal(all)
		return url.QueryEscape(string(b))
	}
	var ctrs []struct {
		ID     string `json:"Id"`
		Labels map[string]string
	}
	if err := a.do("GET", "/containers/json?all=1&filters="+enc(nil), &ctrs); err != nil {
		fmt.Println("listing containers:", err)
	}
	removed := 0
	for _, c := range ctrs {
		if c.Labels["org.testcontainers.ryuk"] == "true" {
			continue
		}
		if err := a.do("DELETE", "/containers/"+c.ID+"?force=1&v=1", nil); err != nil {
			fmt.Println("removing container:", err)
			continue
		}
		removed++
	}
	for _, p := range []string{"/networks/prune?filters=" + enc(nil), "/volumes/prune?filters=" + enc(nil),
		"/images/prune?filters=" + enc(map[string][]string{"dangling": {"false"}})} {
		if err := a.do("POST", p, nil); err != nil {
			fmt.Println("pruning:", err)
		}
	}
	fmt.Printf("Removed %d container(s)\n", removed)
}
