package audit

import (
	"net/netip"
	"testing"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
)

func TestRestartForever(t *testing.T) {
	tests := []struct {
		name   string
		policy container.RestartPolicy
		want   bool
	}{
		{"none", container.RestartPolicy{}, false},
		{"no", container.RestartPolicy{Name: "no"}, false},
		{"always", container.RestartPolicy{Name: "always"}, true},
		{"unless-stopped", container.RestartPolicy{Name: "unless-stopped"}, true},
		{"on-failure without a maximum", container.RestartPolicy{Name: "on-failure"}, true},
		{"on-failure:5", container.RestartPolicy{Name: "on-failure", MaximumRetryCount: 5}, false},
		{"on-failure:6", container.RestartPolicy{Name: "on-failure", MaximumRetryCount: 6}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, got := restartForever(tc.policy); got != tc.want {
				t.Fatalf("restartForever(%+v) = %v", tc.policy, got)
			}
		})
	}
}

func TestPublishedPorts(t *testing.T) {
	p80, p53 := network.MustParsePort("80/tcp"), network.MustParsePort("53/udp")
	tests := []struct {
		name                     string
		bindings                 []network.PortBinding
		str                      string
		privileged, allInterface bool
	}{
		{"all interfaces", []network.PortBinding{{HostPort: "80"}}, "0.0.0.0:80 → 80/tcp", true, true},
		{"v6 any", []network.PortBinding{{HostIP: netip.MustParseAddr("::"), HostPort: "8080"}}, "[::]:8080 → 80/tcp", false, true},
		{"loopback", []network.PortBinding{{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: "8080"}}, "127.0.0.1:8080 → 80/tcp", false, false},
		{"v4 any, mapped", []network.PortBinding{{HostIP: netip.MustParseAddr("::ffff:0.0.0.0"), HostPort: "8080"}}, "[::ffff:0.0.0.0]:8080 → 80/tcp", false, true},
		{"an address with a zone, which dockerd reads as none", []network.PortBinding{{HostIP: netip.MustParseAddr("::1%lo"), HostPort: "8080"}}, "[::1%lo]:8080 → 80/tcp", false, true},
		{"a port the daemon picks", []network.PortBinding{{HostIP: netip.MustParseAddr("127.0.0.1")}}, "127.0.0.1:a port the daemon picks → 80/tcp", false, false},
		{"a range from a privileged port", []network.PortBinding{{HostIP: netip.MustParseAddr("10.1.2.3"), HostPort: "1000-1100"}}, "10.1.2.3:1000-1100 → 80/tcp", true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ps := publishedPorts(HostConfig{PortBindings: network.PortMap{p80: tc.bindings}}, nil)
			if len(ps) != 1 {
				t.Fatalf("ports: %+v", ps)
			}
			p := ps[0]
			if p.String() != tc.str || (p.hostPort > 0 && p.hostPort < 1024) != tc.privileged || p.wildcard() != tc.allInterface {
				t.Fatalf("%q privileged=%v wildcard=%v", p.String(), p.hostPort > 0 && p.hostPort < 1024, p.wildcard())
			}
		})
	}
	if ps := publishedPorts(HostConfig{NetworkMode: "host", PortBindings: network.PortMap{p53: {{HostPort: "53"}}}}, nil); len(ps) != 0 {
		t.Errorf("the host's network publishes nothing of its own: %+v", ps)
	}
	if ps := publishedPorts(HostConfig{PublishAllPorts: true}, nil); len(ps) != 0 {
		t.Errorf("-P with nothing exposed: %+v", ps)
	}
}
