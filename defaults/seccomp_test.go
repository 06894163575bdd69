package defaults_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sdocker/defaults"
)

// Seccomp profiles are judged as the daemon reads them: expanded for the capabilities the
// container will hold, and compared with Moby's default profile expanded the same way.
func TestSeccompProfilesAsTheDaemonReadsThem(t *testing.T) {
	dir := t.TempDir()
	p := mustPolicy(t, "")
	for _, tc := range []struct {
		name, profile, extra string
		refused              string // a word of the refusal, or "" for allowed
	}{
		{"empty object turns seccomp off", `{}`, "", "turns seccomp off"},
		{"null turns seccomp off", `null`, "", "turns seccomp off"},
		{"empty rules and no default", `{"syscalls":[]}`, "", "turns seccomp off"},
		{"rules but no default action", `{"syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"}]}`, "", "no default action"},
		{"default allow", `{"defaultAction":"SCMP_ACT_ALLOW"}`, "", "every system call"},
		{"default log", `{"defaultAction":"SCMP_ACT_LOG"}`, "", "every system call"},
		{"default trace", `{"defaultAction":"SCMP_ACT_TRACE"}`, "", "every system call"},
		{"default notify", `{"defaultAction":"SCMP_ACT_NOTIFY","listenerPath":"/run/l.sock"}`, "", "listener"},
		{"strict", `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read","write","exit"],"action":"SCMP_ACT_ALLOW"}]}`, "", ""},
		{"mount allowed", `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["mount"],"action":"SCMP_ACT_ALLOW"}]}`, "", "mount"},
		{"mount by the deprecated name field", `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"name":"mount","action":"SCMP_ACT_ALLOW"}]}`, "", "mount"},
		{"mount gated on a capability the container holds", `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["mount"],"action":"SCMP_ACT_ALLOW","includes":{"caps":["CAP_NET_BIND_SERVICE"]}}]}`,
			"--cap-add NET_BIND_SERVICE", "mount"},
		{"mount gated on a capability the container lacks", `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["mount"],"action":"SCMP_ACT_ALLOW","includes":{"caps":["CAP_SYS_ADMIN"]}}]}`, "", ""},
		{"unshare excluded only for a capability it lacks", `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["unshare"],"action":"SCMP_ACT_ALLOW","excludes":{"caps":["CAP_SYS_ADMIN"]}}]}`, "", "unshare"},
		{"trace on an escape", `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["setns"],"action":"SCMP_ACT_TRACE"}]}`, "", "setns"},
		{"notify on an escape", `{"defaultAction":"SCMP_ACT_ERRNO","listenerPath":"/run/l.sock","syscalls":[{"names":["bpf"],"action":"SCMP_ACT_NOTIFY"}]}`, "", "bpf"},
		{"escape allowed with argument conditions", `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["keyctl"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"SCMP_CMP_GE"}]}]}`, "", "keyctl"},
		{"clone with namespace flags", `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["clone"],"action":"SCMP_ACT_ALLOW"}]}`, "", "clone with namespace flags"},
		{"clone3", `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["clone3"],"action":"SCMP_ACT_ALLOW"}]}`, "", "clone3"},
		{"io_uring", `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["io_uring_setup","io_uring_enter"],"action":"SCMP_ACT_ALLOW"}]}`, "", "io_uring"},
		{"errno on an escape is fine", `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["mount"],"action":"SCMP_ACT_ERRNO"}]}`, "", ""},
		{"both name and names", `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"name":"read","names":["write"],"action":"SCMP_ACT_ALLOW"}]}`, "", "daemon reads"},
		{"Moby's default", string(defaults.MobySeccompProfile()), "", ""},
		{"Moby's default with ptrace capability", string(defaults.MobySeccompProfile()), "--cap-add SYS_PTRACE", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".json")
			if err := os.WriteFile(path, []byte(tc.profile), 0o644); err != nil {
				t.Fatal(err)
			}
			pol := p
			if tc.extra == "--cap-add SYS_PTRACE" || tc.extra == "--cap-add NET_BIND_SERVICE" {
				pol = mustPolicy(t, "version: 1\nruntime: {capabilities: {allow: [NET_BIND_SERVICE, SYS_PTRACE]}}\n")
			}
			argv := []string{"run", "--security-opt", "seccomp=" + path}
			argv = append(argv, strings.Fields(tc.extra)...)
			d := decide(t, pol, append(argv, "img"), defaults.AssumedFacts())
			var msgs []string
			for _, v := range d.Violations {
				msgs = append(msgs, string(v.Rule)+": "+v.Message)
			}
			all := strings.Join(msgs, "; ")
			switch {
			case tc.refused == "" && !d.Allowed:
				t.Fatalf("refused: %s", all)
			case tc.refused != "" && (d.Allowed || !strings.Contains(all, tc.refused) || !strings.Contains(all, "seccomp: ")):
				t.Fatalf("allowed=%v, want a seccomp refusal saying %q; got %s", d.Allowed, tc.refused, all)
			}
		})
	}
}
