package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sdocker/internal/testenv"
)

// sshDaemon starts a private sshd on 127.0.0.1 that lets root in with a key made here, and
// returns the environment that points docker (and sdocker) at the host's daemon through it:
// DOCKER_HOST=ssh://…, with an ssh on PATH that reads this test's client configuration (ssh
// itself reads the passwd home's ~/.ssh/config, which a test must not touch).
func sshDaemon(t *testing.T) []string {
	t.Helper()
	sshd, err := exec.LookPath("sshd")
	if err != nil {
		if sshd, err = exec.LookPath("/usr/sbin/sshd"); err != nil {
			testenv.Missing(t, "sshd is not installed (scripts/start-sshd.sh installs Debian's openssh-server)")
		}
	}
	realSSH, err := exec.LookPath("ssh")
	if err != nil {
		testenv.Missing(t, "ssh is not installed (scripts/start-sshd.sh installs Debian's openssh-client)")
	}
	if os.Geteuid() != 0 {
		testenv.Missing(t, "the ssh:// test logs in as root and must run as root")
	}
	dir := t.TempDir()
	for _, k := range []string{"host_key", "id"} {
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", filepath.Join(dir, k)).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v\n%s", err, out)
		}
	}
	pub, err := os.ReadFile(filepath.Join(dir, "id.pub"))
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, body string, mode os.FileMode) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), mode); err != nil {
			t.Fatal(err)
		}
	}
	write("authorized_keys", string(pub), 0o600)
	port := freePort(t)
	write("sshd_config", fmt.Sprintf(`Port %d
ListenAddress 127.0.0.1
HostKey %[2]s/host_key
AuthorizedKeysFile %[2]s/authorized_keys
PidFile %[2]s/sshd.pid
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
`, port, dir), 0o600)
	write("ssh_config", fmt.Sprintf(`Host sdocker-ssh-test
  HostName 127.0.0.1
  Port %d
  User root
  IdentityFile %s/id
  IdentitiesOnly yes
  StrictHostKeyChecking no
  UserKnownHostsFile /dev/null
  LogLevel ERROR
`, port, dir), 0o600)
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	write("bin/ssh", fmt.Sprintf("#!/bin/sh\nexec %s -F %s/ssh_config \"$@\"\n", realSSH, dir), 0o755)
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil { // sshd's privilege separation directory
		t.Fatal(err)
	}
	cmd := exec.Command(sshd, "-D", "-e", "-f", filepath.Join(dir, "sshd_config"))
	logf, err := os.Create(filepath.Join(dir, "sshd.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting sshd: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait(); logf.Close() })
	for deadline := time.Now().Add(10 * time.Second); ; {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "sshd.log"))
			t.Fatalf("sshd did not listen on 127.0.0.1:%d:\n%s", port, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
	env := []string{"DOCKER_HOST=ssh://sdocker-ssh-test", "PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH")}
	// docker itself must reach the daemon this way first, or the test proves nothing of sdocker.
	check := exec.Command("docker", "version", "--format", "{{.Server.Version}}")
	check.Env = append(os.Environ(), env...)
	if out, err := check.CombinedOutput(); err != nil {
		t.Fatalf("docker over ssh:// does not reach the daemon: %v\n%s", err, out)
	}
	return env
}

// sdocker reaches an ssh:// daemon through docker's own ssh connection: what it creates there
// is hardened, and what the policy refuses is refused.
func TestSSHDaemon(t *testing.T) {
	requireDaemon(t)
	env := sshDaemon(t)
	r := runBin(t, sdockerBin, "", env, append(append([]string{"create"}, labelled()...), testImage, "sleep")...)
	if r.code != 0 {
		t.Fatalf("sdocker create over ssh://: exit %d: %s", r.code, r.stderr)
	}
	hc := inspect(t, strings.TrimSpace(r.stdout))["HostConfig"].(map[string]any)
	for k, want := range map[string]string{"CapDrop": "[ALL]", "SecurityOpt": "[no-new-privileges]", "NetworkMode": "sdocker", "PidsLimit": "512"} {
		if got := fmt.Sprint(hc[k]); got != want {
			t.Errorf("over ssh://, HostConfig.%s = %s, want %s", k, got, want)
		}
	}
	r = runBin(t, sdockerBin, "", env, append(append([]string{"run", "--rm", "--privileged"}, labelled()...), testImage, "true")...)
	if r.code != 125 || !strings.Contains(r.stderr, "refused --privileged (rule privileged)") {
		t.Fatalf("--privileged over ssh://: exit %d, %q", r.code, r.stderr)
	}
	r = runBin(t, sdockerBin, "", env, append(append([]string{"run", "--rm"}, labelled()...), testImage, "status")...)
	// A root process gets only the setup set back (0x4fb), as on a local daemon.
	if r.code != 0 || !strings.Contains(r.stdout, "CapEff: 00000000000004fb") {
		t.Fatalf("sdocker run over ssh://: exit %d, %s%s", r.code, r.stdout, r.stderr)
	}
}
