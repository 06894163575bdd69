package proxy_test

import (
	"net/http"
	"os"
	"strings"
	"testing"
)

// /_ping answers through the proxy as the daemon answers it (API-Version, OSType, Builder-Version…),
// so clients negotiate as they would with the daemon.
func TestPingHeadersUnchanged(t *testing.T) {
	px := startProxy(t, "")
	direct := os.Getenv("DOCKER_HOST")
	if direct == "" {
		direct = "unix:///var/run/docker.sock"
	}
	for _, method := range []string{"GET", "HEAD"} {
		get := func(sock string) http.Header {
			req, _ := http.NewRequest(method, "http://docker/_ping", nil)
			resp, err := apiClient(sock).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			h := resp.Header.Clone()
			h.Del("Date")
			return h
		}
		want, got := get(strings.TrimPrefix(direct, "unix://")), get(px.sock)
		if len(want) == 0 || len(got) != len(want) {
			t.Fatalf("%s /_ping headers: proxy %v, daemon %v", method, got, want)
		}
		for k := range want {
			if got.Get(k) != want.Get(k) {
				t.Errorf("%s /_ping %s: proxy %q, daemon %q", method, k, got.Get(k), want.Get(k))
			}
		}
	}
}
