package proxy

import (
	"bufio"
	"net/http"
	"strings"
	"testing"
)

// Only an answer the daemon gives once it has taken the connection over starts a splice: one
// with HTTP's own framing leaves the connection an HTTP one, read by the daemon after it.
func TestHijackedAnswers(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want bool
	}{
		{"HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n", true},
		{"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\n", true},
		{"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\n\r\n", true},
		{"HTTP/1.1 404 Not Found\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\nNo such container: x\r\n", true},
		{"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false},
		{"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\nContent-Length: 0\r\n\r\n", false},
		{"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", false},
		{"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}", false},
		{"HTTP/1.1 409 Conflict\r\nContent-Type: application/json\r\n\r\n{}", false},
	} {
		resp, err := http.ReadResponse(bufio.NewReader(strings.NewReader(tc.raw)), nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := hijacked(resp); got != tc.want {
			t.Errorf("%q: hijacked %v, want %v", strings.SplitN(tc.raw, "\r\n\r\n", 2)[0], got, tc.want)
		}
	}
}
