package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestFrontLinksOnlyTheGrammar: every docker command goes through the front, so it may link
// docker's grammar (sdocker/wrapper/argv) and the standard library, and nothing else: no policy,
// no YAML, no HTTP client, no TLS.
func TestFrontLinksOnlyTheGrammar(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, dep := range strings.Fields(string(out)) {
		first, _, _ := strings.Cut(dep, "/")
		switch {
		case dep == "sdocker/wrapper/argv", dep == "sdocker/cmd/sdocker":
		case strings.HasPrefix(dep, "sdocker/"), strings.Contains(first, "."):
			t.Errorf("the front links %s", dep)
		case dep == "net/http", dep == "crypto/tls", dep == "net":
			t.Errorf("the front links %s", dep)
		}
	}
}

func TestNeedsCore(t *testing.T) {
	for _, tc := range []struct {
		args string
		env  map[string]string
		want bool
	}{
		{"ps -a", nil, false},
		{"logs -f c1", nil, false},
		{"compose up -d", nil, true}, // sdocker's compose: docker compose behind a private proxy
		{"-D compose up -d", nil, false},
		{"--version", nil, false},
		{"run --help", nil, false},
		{"run --help=true img", nil, false},
		{"exec -h", nil, false},
		{"--help run --privileged img", nil, true},
		{"-v create img", nil, true},
		{"container --help create img", nil, true},
		{"run --help=false --privileged img", nil, true},
		{"-H unix:///var/run/docker.sock ps", nil, false},
		{"run busybox", nil, true},
		{"container create busybox", nil, true},
		{"exec c1 sh", nil, true},
		{"update --memory 0 c1", nil, true},
		{"pull busybox", nil, true},
		{"image pull busybox", nil, true},
		{"start c1", nil, true},
		{"container restart -t 0 c1", nil, true},
		{"start c1 --help", nil, false},
		{"network connect bridge c1", nil, true},
		{"network ls", nil, false},
		{"network create n1", nil, true},
		{"network create --help", nil, false},
		{"build .", nil, true},
		{"builder build .", nil, true},
		{"image build .", nil, true},
		{"builder prune", nil, false},
		{"buildx build .", nil, true},
		{"buildx --builder b bake", nil, true},
		{"buildx ls", nil, false},
		{"plugin install r/p", nil, true},
		{"plugin enable p", nil, true},
		{"plugin set p a.source=/etc", nil, true},
		{"plugin ls", nil, false},
		{"service create img", nil, true},
		{"service update s1 --cap-add ALL", nil, true},
		{"service ls", nil, false},
		{"stack up -c f s", nil, true},
		{"stack ls", nil, false},
		{"explain run img", nil, true},
		{"version", nil, true},
		{"", nil, true},
		{"--help", nil, true},
		{"-h", nil, true},
		{"help", nil, true},
		{"help explain", nil, true},
		{"help run", nil, false},
		{"-D --help", nil, false},
		{"completion bash", nil, true},
		{"__complete ps --f", nil, true},
		{"__completeNoDesc ''", nil, true},
		{"-D version", nil, false},
		{"tls init", nil, true},
		{"audit", nil, true},
		{"--bogus ps", nil, true},
		{"-H tcp://127.0.0.1:2375 ps", nil, true},
		{"--tlsverify -H tcp://127.0.0.1:2376 ps", nil, false},
		{"ps", map[string]string{"DOCKER_HOST": "tcp://10.0.0.1:2375"}, true},
		{"ps", map[string]string{"DOCKER_HOST": "tcp://10.0.0.1:2376", "DOCKER_TLS_VERIFY": "1"}, false},
		{"ps", map[string]string{"DOCKER_CONTEXT": "no-such-context"}, true},
	} {
		t.Run(tc.args, func(t *testing.T) {
			t.Setenv("DOCKER_HOST", "")
			t.Setenv("DOCKER_CONTEXT", "")
			t.Setenv("DOCKER_TLS_VERIFY", "")
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			if got := needsCore(strings.Fields(tc.args)); got != tc.want {
				t.Fatalf("needsCore(%q) = %v, want %v", tc.args, got, tc.want)
			}
		})
	}
}
