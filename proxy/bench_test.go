package proxy_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"sdocker/wrapper"
)

// BenchmarkProxy measures, interleaved so that a noisy machine hits both alike, the median
// wall time of docker ps, docker run --rm IMG and 100 MB through docker run -i IMG cat, each
// direct to the daemon and through the proxy, and reports the ratios (proxy/direct for ps and
// run; direct/proxy time, i.e. throughput proxy/direct, for attach). The direct run is given
// the flags the proxy adds, so that only the proxy's own work differs. It also reports the
// resident memory of the proxy holding 50 idle client connections. The proxy is sdocker proxy,
// the built binary, as installed.
//
//	go test -run '^$' -bench Proxy -benchtime 1x ./proxy
func BenchmarkProxy(b *testing.B) {
	requireDaemon(b)
	sock, pid := startBinaryProxy(b)
	proxyHost := "unix://" + sock
	inv, _ := wrapper.Parse(nil)
	ep, _ := inv.Endpoint(os.Getenv)
	data := filepath.Join(b.TempDir(), "100m")
	f, _ := os.Create(data)
	io.CopyN(f, zeros{}, 100<<20)
	f.Close()
	hardening := []string{"--network", "sdocker", "--cap-drop", "ALL", "--security-opt", "no-new-privileges", "--memory", "1g",
		"--cpus", "1", "--pids-limit", "512", "--log-opt", "max-size=10m", "--log-opt", "max-file=3"}
	type cmd struct {
		host string
		args []string
		in   string
	}
	cmds := map[string]cmd{
		"direct ps":     {ep.Host, []string{"ps", "-q"}, ""},
		"proxy ps":      {proxyHost, []string{"ps", "-q"}, ""},
		"direct run":    {ep.Host, append(append([]string{"run", "--rm"}, hardening...), image), ""},
		"proxy run":     {proxyHost, []string{"run", "--rm", image}, ""},
		"direct attach": {ep.Host, append(append([]string{"run", "--rm", "-i"}, hardening...), image, "cat"), data},
		"proxy attach":  {proxyHost, []string{"run", "--rm", "-i", image, "cat"}, data},
	}
	rounds := map[string]int{"direct ps": 30, "proxy ps": 30, "direct run": 10, "proxy run": 10, "direct attach": 5, "proxy attach": 5}
	order := []string{"direct ps", "proxy ps", "direct run", "proxy run", "direct attach", "proxy attach"}
	times := map[string][]time.Duration{}
	for i := 0; i < 30; i++ {
		for _, name := range order {
			if i >= rounds[name] {
				continue
			}
			c := cmds[name]
			x := exec.Command("docker", c.args...)
			x.Env = append(os.Environ(), "DOCKER_HOST="+c.host)
			var n countWriter
			x.Stdout = &n
			if c.in != "" {
				in, _ := os.Open(c.in)
				x.Stdin = in
				defer in.Close()
			}
			start := time.Now()
			if err := x.Run(); err != nil {
				b.Fatalf("%s: %v", name, err)
			}
			times[name] = append(times[name], time.Since(start))
			if c.in != "" && n != 100<<20 {
				b.Fatalf("%s: %d bytes back, want %d", name, n, 100<<20)
			}
		}
	}
	median := func(name string) float64 {
		d := slices.Clone(times[name])
		slices.Sort(d)
		return float64(d[len(d)/2])
	}
	for _, name := range order {
		b.Logf("%-14s median %v", name, time.Duration(median(name)))
	}
	b.ReportMetric(median("proxy ps")/median("direct ps"), "ps-proxy/direct")
	b.ReportMetric(median("proxy run")/median("direct run"), "run-proxy/direct")
	b.ReportMetric(median("direct attach")/median("proxy attach"), "attach-throughput-proxy/direct")
	b.ReportMetric(float64(idleRSS(b, sock, pid))/1024, "rss-MiB-50-idle")
}

// startBinaryProxy builds sdocker-core and serves sdocker proxy until the benchmark ends.
func startBinaryProxy(b *testing.B) (sock string, pid int) {
	dir := b.TempDir()
	bin := filepath.Join(dir, "sdocker-core")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/sdocker-core").CombinedOutput(); err != nil {
		b.Fatalf("building sdocker-core: %v\n%s", err, out)
	}
	sock = filepath.Join(dir, "p.sock")
	p := exec.Command(bin, "proxy", "--listen", "unix://"+sock)
	if err := p.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { p.Process.Signal(os.Interrupt); p.Wait() })
	for i := 0; i < 100; i++ {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	return sock, p.Process.Pid
}

// idleRSS holds 50 idle keep-alive connections on the proxy and returns its resident memory in
// KiB.
func idleRSS(b *testing.B, sock string, pid int) int {
	for i := 0; i < 50; i++ {
		c, err := net.Dial("unix", sock)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n")
		br := bufio.NewReader(c)
		if l, _ := br.ReadString('\n'); !strings.Contains(l, "200") {
			b.Fatalf("ping: %q", l)
		}
	}
	time.Sleep(500 * time.Millisecond)
	status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, l := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			var kb int
			fmt.Sscan(v, &kb)
			return kb
		}
	}
	b.Fatal("no VmRSS")
	return 0
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

type countWriter int

func (c *countWriter) Write(p []byte) (int, error) { *c += countWriter(len(p)); return len(p), nil }
