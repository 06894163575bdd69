package proxy_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// pad makes a create body of at least n bytes: the padding is an environment variable.
func pad(body string, n int) string {
	filler := strings.Repeat("x", n)
	return strings.Replace(body, `{`, `{"Env":["PAD=`+filler+`"],`, 1)
}

// Bodies are judged whatever their framing and size (dockerd's own authorization plugins get
// no body above 1 MiB: CVE-2026-34040), and a body the proxy cannot read as the daemon would is
// refused, never forwarded.
func TestBodiesJudgedWhateverTheirFraming(t *testing.T) {
	px := startProxy(t, "")
	c := apiClient(px.sock)
	labels := func(name string) string {
		k, v, _ := strings.Cut(runLabel, "=")
		return fmt.Sprintf(`"Labels":{%q:%q,"case":%q}`, k, v, name)
	}
	privileged := func(name string) string {
		return fmt.Sprintf(`{"Image":%q,%s,"HostConfig":{"Privileged":true}}`, image, labels(name))
	}
	plain := func(name string) string { return fmt.Sprintf(`{"Image":%q,%s}`, image, labels(name)) }
	for _, tc := range []struct {
		name, body string
		chunked    bool
		path       string
		status     int
		want       string
	}{
		{"privileged 1.1 MiB, Content-Length", pad(privileged("big-cl"), 1100<<10), false, "", 403, "rule privileged"},
		{"privileged 1.1 MiB, chunked", pad(privileged("big-chunked"), 1100<<10), true, "", 403, "rule privileged"},
		{"privileged, chunked", privileged("chunked"), true, "", 403, "rule privileged"},
		{"plain 1.1 MiB, chunked, hardened", pad(plain("big-plain"), 1100<<10), true, "", 201, ""},
		{"not JSON", `{"Image":`, false, "", 400, "reading the create body"},
		{"empty", ``, false, "", 400, "the body is empty"},
		{"trailing data", plain("trailing") + `{"HostConfig":{"Privileged":true}}`, false, "", 400, "after top-level value"},
		{"duplicate HostConfig", fmt.Sprintf(`{"Image":%q,"HostConfig":{},"hostconfig":{"Privileged":true}}`, image), false, "", 400, "appears twice"},
		{"duplicate nested", fmt.Sprintf(`{"Image":%q,"HostConfig":{"Privileged":false,"Privileged":true}}`, image), false, "", 400, "appears twice"},
		{"lower-case keys", fmt.Sprintf(`{"image":%q,"hostconfig":{"privileged":true}}`, image), false, "", 403, "rule privileged"},
		// dockerd honours HostConfig's fields at the top level of a body that has no HostConfig.
		{"HostConfig fields at the top level", fmt.Sprintf(`{"Image":%q,%s,"Privileged":true}`, image, labels("top")), false, "", 403, "rule privileged"},
		{"a top-level MemorySwap beside a HostConfig", fmt.Sprintf(`{"Image":%q,%s,"MemorySwap":-1,"HostConfig":{"Memory":1073741824}}`, image, labels("topswap")), false, "", 403, "rule resources"},
		{"unclean path", privileged("unclean"), false, "/v1.41/containers/./create", 400, "clean form"},
		{"double slash", privileged("slash"), false, "/v1.41//containers/create", 400, "clean form"},
		{"old API version", privileged("old"), false, "/v1.23/containers/create", 400, "API version"},
		{"unversioned", privileged("unversioned"), false, "/containers/create", 403, "rule privileged"},
		{"encoded slash", privileged("enc"), false, "/v1.41/containers%2Fcreate", 400, "encoded slash"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := tc.path
			if path == "" {
				path = "/v1.41/containers/create"
			}
			var body io.Reader = strings.NewReader(tc.body)
			if tc.chunked {
				body = io.MultiReader(body) // no length known: net/http sends it chunked
			}
			req, err := http.NewRequest("POST", "http://docker"+path, body)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(path, "%") {
				req.URL.RawPath = path
				req.URL.Path = strings.ReplaceAll(path, "%2F", "/")
			}
			req.Header.Set("Content-Type", "application/json")
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			got, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, got)
			}
			var m struct{ Message, Id string }
			json.Unmarshal(got, &m)
			if tc.want != "" && (!strings.HasPrefix(m.Message, "sdocker: ") || !strings.Contains(m.Message, tc.want)) {
				t.Errorf("message %q, want sdocker's line with %q", m.Message, tc.want)
			}
			if tc.status == 201 {
				hc := inspect(t, m.Id)["HostConfig"].(map[string]any)
				if fmt.Sprint(hc["CapDrop"]) != "[ALL]" {
					t.Errorf("a large chunked body was forwarded unhardened: CapDrop %v", hc["CapDrop"])
				}
			}
		})
	}
	if n := labelled(t, "big-cl") + labelled(t, "big-chunked") + labelled(t, "chunked") + labelled(t, "old") + labelled(t, "unclean"); n != 0 {
		t.Errorf("%d refused containers exist", n)
	}
}
