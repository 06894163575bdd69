package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BenchmarkAuthzOverhead measures what sdocker authz adds to every request of a daemon: one
// private dockerd, its plugin switched on and off by reloading daemon.json (SIGHUP), rounds
// interleaved, the median of each of
//
//	docker ps (the CLI, a new connection: _ping and containers/json)
//	GET /containers/json on a kept-alive connection
//
// with and without the plugin, reported as ratios. Run it with
//
//	go test -run '^$' -bench AuthzOverhead -benchtime 1x ./cmd/sdocker-core
func BenchmarkAuthzOverhead(b *testing.B) {
	requireDaemon(b)
	tmp, err := os.MkdirTemp("/tmp", "sdz")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(tmp) })
	factsSock := filepath.Join(tmp, "d.sock")
	p := startAuthz(b, factsSock)
	d := startDaemon(b, map[string]any{}, false, "-H", "unix://"+factsSock)
	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var nd net.Dialer
		return nd.DialContext(ctx, "unix", d.sock)
	}}}
	get := func() {
		resp, err := client.Get("http://d/v1.41/containers/json")
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("GET /containers/json: %s", resp.Status)
		}
	}
	plugin := func(on bool) {
		cfg := map[string]any{}
		if on {
			cfg["authorization-plugins"] = []string{p.name}
		}
		data, _ := json.Marshal(cfg)
		if err := os.WriteFile(filepath.Join(d.dir, "daemon.json"), data, 0o644); err != nil {
			b.Fatal(err)
		}
		pid, _ := os.ReadFile(filepath.Join(d.dir, "pid"))
		n, _ := strconv.Atoi(strings.TrimSpace(string(pid)))
		syscall.Kill(n, syscall.SIGHUP)
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			// dockerd's info does not show reloaded plugins: ask one that the plugin denies.
			code, out := d.api(b, "POST", "/v1.41/containers/sdocker-no-such-container/exec", []byte(`{"Privileged":true,"Cmd":["true"]}`))
			if (code == http.StatusForbidden) == on {
				return
			}
			if time.Now().After(deadline) {
				b.Fatalf("dockerd did not reload its authorization plugins (on=%v): %s", on, out)
			}
		}
	}
	times := map[string][]time.Duration{}
	for round := 0; round < 6; round++ {
		for _, on := range []bool{round%2 == 0, round%2 != 0} {
			plugin(on)
			suffix := map[bool]string{true: " with the plugin", false: " without"}[on]
			for i := 0; i < 15; i++ {
				start := time.Now()
				d.docker(b, "ps", "-q")
				times["docker ps"+suffix] = append(times["docker ps"+suffix], time.Since(start))
			}
			get() // the connection is open and kept alive from here on
			for i := 0; i < 300; i++ {
				start := time.Now()
				get()
				times["api call"+suffix] = append(times["api call"+suffix], time.Since(start))
			}
		}
	}
	median := func(name string) time.Duration {
		ts := times[name]
		slices.Sort(ts)
		return ts[len(ts)/2]
	}
	for _, what := range []string{"docker ps", "api call"} {
		with, without := median(what+" with the plugin"), median(what+" without")
		ratio := float64(with) / float64(without)
		b.Logf("%s: %s with the plugin, %s without: ratio %.3f, %s added", what, with, without, ratio, with-without)
		b.ReportMetric(ratio, strings.ReplaceAll(what, " ", "-")+"-ratio")
		b.ReportMetric(float64(with-without)/1e6, strings.ReplaceAll(what, " ", "-")+"-added-ms")
	}
}
