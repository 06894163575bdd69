package defaults_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"sdocker/defaults"
)

// Second adversarial review: spellings docker accepts (each verified against the 28.2.2 CLI
// and the 20.10 daemon) that give a container what the policy denies, and that sdocker let
// through.

// dockerd starts its own containerd with its socket under /var/run/docker/containerd (the
// deny list has /run/containerd, the socket of a system containerd, only). With plain docker,
// `run --cap-drop ALL -v /run/docker/containerd:/c` shows containerd.sock inside, owned by uid
// 0 like the container's root: whoever talks to it can start a privileged task on the host.
// /var/run/docker also holds metrics.sock and the plugin sockets.
func TestBypassDockerdsOwnContainerdSocket(t *testing.T) {
	p := mustPolicy(t, "")
	for _, argv := range [][]string{
		{"run", "-v", "/var/run/docker/containerd:/c", "img"},
		{"run", "-v", "/run/docker/containerd/containerd.sock:/c.sock", "img"},
		{"run", "--mount", "type=bind,src=/run/docker,dst=/d", "img"},
	} {
		d := decide(t, p, argv, defaults.AssumedFacts())
		if got := rules(d.Violations); !reflect.DeepEqual(got, []string{"mounts"}) || d.Allowed {
			t.Errorf("%s: allowed=%v violations %v, want refused by mounts (dockerd's containerd socket)",
				strings.Join(argv, " "), d.Allowed, got)
		}
	}
}

// A profile whose defaultAction is SCMP_ACT_ERRNO but whose rules allow, to everyone, every
// syscall Moby's default profile allows plus those it keeps from unprivileged containers
// (unshare, setns, mount, keyctl, bpf, ptrace, userfaultfd, perf_event_open, kexec_load…):
// unconfined by another name. Verified: through sdocker (cap-drop ALL, no-new-privileges),
// `unshare -U` in busybox creates a new user namespace with this profile, and fails with
// "Operation not permitted" under the default profile. Only defaultAction is looked at.
func TestBypassSeccompProfileWithErrnoDefaultAndPermissiveRules(t *testing.T) {
	var moby struct {
		Syscalls []struct {
			Names  []string `json:"names"`
			Action string   `json:"action"`
		} `json:"syscalls"`
	}
	if err := json.Unmarshal(defaults.MobySeccompProfile(), &moby); err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, s := range moby.Syscalls {
		if s.Action == "SCMP_ACT_ALLOW" {
			for _, n := range s.Names {
				names[n] = true
			}
		}
	}
	for _, n := range []string{"unshare", "setns", "clone", "clone3", "mount", "umount2", "pivot_root",
		"keyctl", "add_key", "request_key", "bpf", "ptrace", "userfaultfd", "perf_event_open",
		"kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
		"open_by_handle_at", "name_to_handle_at", "fsopen", "fsmount", "move_mount", "open_tree"} {
		names[n] = true
	}
	var list []string
	for n := range names {
		list = append(list, n)
	}
	profile, _ := json.Marshal(map[string]any{
		"defaultAction": "SCMP_ACT_ERRNO",
		"syscalls":      []map[string]any{{"names": list, "action": "SCMP_ACT_ALLOW"}},
	})
	file := filepath.Join(t.TempDir(), "permissive.json")
	if err := os.WriteFile(file, profile, 0o644); err != nil {
		t.Fatal(err)
	}
	d := decide(t, mustPolicy(t, ""), []string{"run", "--security-opt", "seccomp=" + file, "img"}, defaults.AssumedFacts())
	if got := rules(d.Violations); !reflect.DeepEqual(got, []string{"seccomp"}) || d.Allowed {
		t.Fatalf("a profile that allows unshare, mount, keyctl, bpf… to everyone: allowed=%v violations %v, want refused by seccomp", d.Allowed, got)
	}
}
