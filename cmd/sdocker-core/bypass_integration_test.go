package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Tricks that need the real docker CLI and daemon to show: each was verified with plain docker
// (28.2.2 CLI, 20.10 daemon) to give the container what the policy denies.

// docker runs the command after a global --help/--version/-v, after a --help given to the
// "container" parent, and after --help=false: cobra sets the flag on another command, or to
// false, and executes the command anyway. The front took all of them for a help request.
func TestBypassHelpAndVersionFlagsAroundTheCommand(t *testing.T) {
	requireDaemon(t)
	for _, tc := range []struct {
		name string
		pre  []string // before the container flags
	}{
		{"global --help before create", []string{"--help", "create"}},
		{"global -v before create", []string{"-v", "create"}},
		{"global --help=false before create", []string{"--help=false", "create"}},
		{"global --version=false before create", []string{"--version=false", "create"}},
		{"container --help create", []string{"container", "--help", "create"}},
		{"container -h create", []string{"container", "-h", "create"}},
		{"container --help=0 create", []string{"container", "--help=0", "create"}},
		{"create --help=false", []string{"create", "--help=false"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append(append(append([]string{}, tc.pre...), labelled()...), "--privileged", testImage, "status")
			r := sdocker(t, args...)
			if id := strings.TrimSpace(r.stdout); r.code == 0 && id != "" {
				exec.Command("docker", "rm", "-f", id).Run()
			}
			if r.code != 125 || !strings.Contains(r.stderr, "rule privileged") {
				t.Fatalf("sdocker %q: exit %d, stdout %q, stderr %q; want a refusal (rule privileged)", args, r.code, r.stdout, r.stderr)
			}
		})
	}
}

// exec --help=false --privileged: the same front routing, for exec.
func TestBypassExecHelpFalsePrivileged(t *testing.T) {
	requireDaemon(t)
	r := sdocker(t, append(append([]string{"run", "-d"}, labelled()...), testImage, "sleep")...)
	if r.code != 0 {
		t.Fatalf("run -d: %+v", r)
	}
	id := strings.TrimSpace(r.stdout)
	r = sdocker(t, "exec", "--help=false", "--privileged", id, "/ctr", "status")
	if r.code != 125 || !strings.Contains(r.stderr, "rule privileged") {
		t.Fatalf("exec --help=false --privileged reached docker: %+v, want a refusal (rule privileged)", r)
	}
}

// --security-opt seccomp=FIFO: the pipe says one thing to the first reader (a strict profile)
// and another to the second (SCMP_ACT_ALLOW). sdocker reads it once and hands docker its copy of
// what it checked, so the container gets the strict profile.
func TestSeccompProfileFromAFIFOIsTheOneChecked(t *testing.T) {
	requireDaemon(t)
	fifo := filepath.Join(t.TempDir(), "profile")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	go func() {
		os.WriteFile(fifo, []byte(`{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[]}`), 0o600)
		// Let the first reader see EOF and close before the second writer opens, so that the
		// two profiles are not read as one.
		time.Sleep(300 * time.Millisecond)
		os.WriteFile(fifo, []byte(`{"defaultAction":"SCMP_ACT_ALLOW"}`), 0o600)
	}()
	t.Cleanup(func() {
		// Unblock a writer (or a reader) left waiting on the FIFO.
		if f, err := os.OpenFile(fifo, os.O_RDWR, 0); err == nil {
			f.Close()
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, sdockerBin, append(append([]string{"create"}, labelled()...), "--security-opt", "seccomp="+fifo, testImage, "status")...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("create with a strict profile from a FIFO: %v", err)
	}
	opts := fmt.Sprint(inspect(t, strings.TrimSpace(string(out)))["HostConfig"].(map[string]any)["SecurityOpt"])
	if !strings.Contains(opts, "SCMP_ACT_ERRNO") || strings.Contains(opts, "SCMP_ACT_ALLOW") {
		t.Fatalf("seccomp profile from a FIFO: created with SecurityOpt %v; docker must get the profile sdocker checked", opts)
	}
}

// --security-opt seccomp=<(cat profile.json): docker reads the pipe and creates the container;
// sdocker reads the pipe first, so docker gets an empty profile and fails ("compacting json for
// seccomp profile (/dev/fd/63) failed: unexpected end of JSON input").
func TestBypassSeccompProfileFromProcessSubstitutionWorksAsWithDocker(t *testing.T) {
	requireDaemon(t)
	profile := `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"}]}`
	for _, bin := range []string{"docker", sdockerBin} {
		rd, wr, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, append(append([]string{"create"}, labelled()...), "--security-opt", "seccomp=/dev/fd/3", testImage, "status")...)
		cmd.ExtraFiles = []*os.File{rd}
		var out, errb strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		rd.Close()
		wr.WriteString(profile)
		wr.Close()
		if err := cmd.Wait(); err != nil {
			t.Fatalf("%s create --security-opt seccomp=/dev/fd/3 (a pipe): %v\n%s", filepath.Base(bin), err, errb.String())
		}
	}
}

// A named local volume made with docker volume create -o type=proc -o device=proc is the host's
// /proc; ResolveDaemonRefs only looks through o=bind.
func TestBypassNamedVolumeOfTypeProc(t *testing.T) {
	requireDaemon(t)
	vol := "sdocker-it-proc-" + strings.TrimPrefix(runLabel, "sdocker-it=")
	if out, err := exec.Command("docker", "volume", "create", "--label", runLabel, "-o", "type=proc", "-o", "device=proc", vol).CombinedOutput(); err != nil {
		t.Fatalf("docker volume create: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command("docker", "volume", "rm", "-f", vol).Run() })
	r := sdocker(t, append(append([]string{"create", "--rm"}, labelled()...), "-v", vol+":/x", testImage, "status")...)
	if id := strings.TrimSpace(r.stdout); r.code == 0 {
		exec.Command("docker", "rm", "-f", id).Run()
	}
	if r.code != 125 || !strings.Contains(r.stderr, "rule mounts") {
		t.Fatalf("-v %s:/x (the host's /proc): %+v, want a refusal (rule mounts)", vol, r)
	}
}

// --volumes-from a container that has a proc-typed local volume: only the donor's binds are
// looked at.
func TestBypassVolumesFromADonorWithAProcVolume(t *testing.T) {
	requireDaemon(t)
	out, err := exec.Command("docker", append(append([]string{"create"}, labelled()...),
		"--mount", "type=volume,dst=/x,volume-opt=type=proc,volume-opt=device=proc", testImage)...).CombinedOutput()
	if err != nil {
		t.Fatalf("docker create: %v\n%s", err, out)
	}
	donor := strings.TrimSpace(string(out))
	t.Cleanup(func() { exec.Command("docker", "rm", "-f", "-v", donor).Run() })
	r := sdocker(t, append(append([]string{"create"}, labelled()...), "--volumes-from", donor, testImage, "status")...)
	if r.code != 125 || !strings.Contains(r.stderr, "rule mounts") {
		t.Fatalf("--volumes-from a donor whose volume is the host's /proc: %+v, want a refusal (rule mounts)", r)
	}
}

// --network BRIDGE_ID: the default bridge by its ID (or an ID prefix) is refused by name only.
func TestBypassDefaultBridgeByID(t *testing.T) {
	requireDaemon(t)
	out, err := exec.Command("docker", "network", "inspect", "--format", "{{.Id}}", "bridge").Output()
	if err != nil {
		t.Fatalf("docker network inspect bridge: %v", err)
	}
	id := strings.TrimSpace(string(out))[:12]
	r := sdocker(t, append(append([]string{"create"}, labelled()...), "--network", id, testImage, "status")...)
	if r.code != 125 || !strings.Contains(r.stderr, "rule network") {
		t.Fatalf("--network %s (the default bridge): %+v, want a refusal (rule network)", id, r)
	}
}
