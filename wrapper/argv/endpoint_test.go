package argv

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEndpoint(t *testing.T) {
	cfg := t.TempDir()
	for _, tc := range []struct {
		name     string
		args     string
		env      map[string]string
		host     string
		insecure bool
	}{
		{"default socket", "ps", nil, DefaultHost, false},
		{"-H tcp", "-H tcp://10.0.0.1:2375 ps", nil, "tcp://10.0.0.1:2375", true},
		{"-H without scheme", "-H 10.0.0.1:2375 ps", nil, "tcp://10.0.0.1:2375", true},
		{"-H port only", "-H :2375 ps", nil, "tcp://localhost:2375", true},
		{"DOCKER_HOST with spaces", "ps", map[string]string{"DOCKER_HOST": " tcp://10.0.0.1:2375 "}, "tcp://10.0.0.1:2375", true},
		{"DOCKER_HOST without scheme", "ps", map[string]string{"DOCKER_HOST": "10.0.0.1:2375"}, "tcp://10.0.0.1:2375", true},
		{"verified", "--tlsverify -H tcp://10.0.0.1:2376 ps", nil, "tcp://10.0.0.1:2376", false},
		{"--tls alone is localhost:2376 unverified", "--tls ps", nil, "tcp://localhost:2376", true},
		{"DOCKER_TLS alone", "ps", map[string]string{"DOCKER_TLS": "1"}, "tcp://localhost:2376", true},
		{"--tlsverify=false turns TLS on, unverified", "--tlsverify=false ps", nil, "tcp://localhost:2376", true},
		{"DOCKER_TLS_VERIFY", "ps", map[string]string{"DOCKER_TLS_VERIFY": "1", "DOCKER_HOST": "tcp://h:2376"}, "tcp://h:2376", false},
		{"--context default is DOCKER_HOST", "--context default ps", map[string]string{"DOCKER_HOST": "tcp://10.0.0.1:2375"}, "tcp://10.0.0.1:2375", true},
		{"unix", "-H unix:///tmp/d.sock ps", nil, "unix:///tmp/d.sock", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"DOCKER_CONFIG": cfg}
			for k, v := range tc.env {
				env[k] = v
			}
			inv, err := Parse(strings.Split(tc.args, " "))
			if err != nil {
				t.Fatal(err)
			}
			ep, err := inv.Endpoint(func(k string) string { return env[k] })
			if err != nil {
				t.Fatal(err)
			}
			if ep.Host != tc.host || ep.InsecureTCP() != tc.insecure {
				t.Fatalf("endpoint %+v, want host %s insecure %v", ep, tc.host, tc.insecure)
			}
		})
	}
}

func TestContextEndpoint(t *testing.T) {
	cfg := t.TempDir()
	write := func(name, host string, skip bool, files ...string) {
		t.Helper()
		id := contextID(name)
		meta := filepath.Join(cfg, "contexts", "meta", id)
		os.MkdirAll(meta, 0o755)
		skipJSON := "false"
		if skip {
			skipJSON = "true"
		}
		os.WriteFile(filepath.Join(meta, "meta.json"), []byte(`{"Name":"`+name+`","Endpoints":{"docker":{"Host":"`+host+`","SkipTLSVerify":`+skipJSON+`}}}`), 0o644)
		tlsDir := filepath.Join(cfg, "contexts", "tls", id, "docker")
		os.MkdirAll(tlsDir, 0o755)
		for _, f := range files {
			os.WriteFile(filepath.Join(tlsDir, f), []byte("x"), 0o600)
		}
	}
	write("plain", "tcp://10.0.0.1:2375", false)
	write("verified", "tcp://10.0.0.1:2376", false, "ca.pem", "cert.pem", "key.pem")
	write("system-roots", "tcp://10.0.0.1:2376", false, "cert.pem", "key.pem")
	write("skipping", "tcp://10.0.0.1:2376", true, "ca.pem")
	os.WriteFile(filepath.Join(cfg, "config.json"), []byte(`{"currentContext":"plain"}`), 0o644)
	for _, tc := range []struct {
		args     string
		insecure bool
	}{
		{"ps", true}, // the config's current context
		{"--context verified ps", false},
		{"--context system-roots ps", false},
		{"--context skipping ps", true},
	} {
		inv, _ := Parse(strings.Split(tc.args, " "))
		ep, err := inv.Endpoint(func(k string) string { return map[string]string{"DOCKER_CONFIG": cfg}[k] })
		if err != nil || ep.InsecureTCP() != tc.insecure {
			t.Errorf("%s: %+v %v, want insecure %v", tc.args, ep, err, tc.insecure)
		}
	}
}
