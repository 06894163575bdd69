package defaults_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"sdocker/defaults"
)

// TestBypasses are spellings docker accepts (each verified against the 28.2.2 CLI and the 20.10
// daemon) that give a container what the policy denies, and that sdocker let through.
func TestBypasses(t *testing.T) {
	dir := t.TempDir()
	etcLink := filepath.Join(dir, "etc-link")
	if err := os.Symlink("/etc", etcLink); err != nil {
		t.Fatal(err)
	}
	p := mustPolicy(t, "")
	for _, tc := range []struct {
		name string
		argv []string
		rule string
	}{
		// docker's --network takes the advanced CSV syntax: name=host is NetworkMode "host".
		{"network advanced syntax name=host", []string{"run", "--network", "name=host", "img"}, "host-namespaces"},
		{"network advanced syntax quoted name=host", []string{"run", `--network="name=host"`, "img"}, "host-namespaces"},
		{"net advanced syntax name=host", []string{"create", "--net", "name=host", "img"}, "host-namespaces"},
		{"network advanced syntax name=bridge", []string{"run", "--network", "name=bridge", "img"}, "network"},
		// With NanoCpus set, the daemon still applies CpuQuota -1 after it: the cgroup's quota is -1.
		{"cpus beside cpu-quota -1", []string{"run", "--cpus", "1", "--cpu-quota", "-1", "img"}, "resources"},
		// docker update stores CpuQuota -1 beside NanoCpus; the next (re)start applies it.
		{"update cpus beside cpu-quota -1", []string{"update", "--cpus", "1", "--cpu-quota=-1", "c"}, "resources"},
		// The local volume driver mounts any filesystem type the daemon's kernel knows, in the
		// daemon's namespaces: proc is the host's /proc (PID 1's cmdline, /proc/sys), devtmpfs the
		// host's /dev, overlay with lowerdir=/etc the host's /etc.
		{"local volume of type proc", []string{"run", "--mount", "type=volume,dst=/x,volume-opt=type=proc,volume-opt=device=proc", "img"}, "mounts"},
		{"local volume of type devtmpfs", []string{"run", "--mount", "type=volume,dst=/x,volume-opt=type=devtmpfs,volume-opt=device=devtmpfs", "img"}, "mounts"},
		{"local volume overlay with lowerdir /etc", []string{"run", "--mount",
			`type=volume,dst=/x,volume-opt=type=overlay,volume-opt=device=overlay,"volume-opt=o=lowerdir=/etc,upperdir=/tmp/u,workdir=/tmp/w"`, "img"}, "mounts"},
		// A relative device is resolved by mount(2) against dockerd's working directory, not read
		// as a volume name (verified with dockerd running in /work/main: ../../etc is /etc).
		{"local volume bind of a relative device", []string{"run", "--mount",
			"type=volume,dst=/x,volume-opt=type=none,volume-opt=o=bind,volume-opt=device=../../etc", "img"}, "mounts"},
		// The daemon creates a missing bind source with MkdirAll, through the symlink: the container
		// gets a writable new directory inside the host's /etc. EvalSymlinks fails on the missing
		// leaf and the unresolved path is checked instead.
		{"missing leaf under a symlink to etc", []string{"run", "-v", etcLink + "/sdocker-new:/x", "img"}, "mounts"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := decide(t, p, tc.argv, defaults.AssumedFacts())
			if got := rules(d.Violations); !reflect.DeepEqual(got, []string{tc.rule}) || d.Allowed {
				t.Fatalf("%s: allowed=%v violations %v, want refused by %s", strings.Join(tc.argv, " "), d.Allowed, got, tc.rule)
			}
		})
	}
}
