package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// What the CI runners' replays (ci_runners_integration_test.go) share: a runner host, its user,
// its directories, its preset and the proxy that serves the policed socket.

// ciUser is the runner's account: the docker CLI (here sdocker) runs as it.
type ciUser struct {
	uid, gid uint32
	home     string
	env      []string // the runner's variables in the CLI's environment
	policy   string
	// host is the runner's DOCKER_HOST: "" the daemon's socket, or the proxy's, as sdocker ci
	// setup points the runner at it.
	host string
}

// ciHost prepares what a runner host has: the binaries installed where the runner's user can
// run them, and that user's home. The directories' parent is root's, as /home is.
func ciHost(t *testing.T, uid uint32) (root, bin string, u ciUser) {
	t.Helper()
	requireDaemon(t)
	// The runner's directories in a home of its own under /home, as a self-hosted runner's
	// are (/home/runner/actions-runner): not under /tmp, which the runner's user could write
	// (the CLI door, running as that user, refuses to give a container what it could swap).
	// Its run directory, with the policed socket, is under /run, root's, as sdocker-proxy's.
	root, err := os.MkdirTemp("/home", "sdocker-ci-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root); os.RemoveAll(ciRun(root)) })
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(ciRun(root), 0o755); err != nil {
		t.Fatal(err)
	}
	bin = filepath.Join(root, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"sdocker", "sdocker-core", "sdocker-verify", "sdocker-stack"} {
		copyFile(t, filepath.Join(filepath.Dir(sdockerBin), name), filepath.Join(bin, name), 0o755)
	}
	u = ciUser{uid: uid, gid: uid, home: ciDir(t, root, "home", uid)}
	return root, bin, u
}

// ciDir makes dir under root (and its parents, each owned as the runner's) owned by uid.
func ciDir(t *testing.T, root, dir string, uid uint32) string {
	t.Helper()
	p := root
	for _, part := range strings.Split(dir, "/") {
		p = filepath.Join(p, part)
		if err := os.Mkdir(p, 0o755); err != nil && !os.IsExist(err) {
			t.Fatal(err)
		}
		if err := os.Chown(p, int(uid), int(uid)); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// run runs bin/sdocker ARGS as the runner's user, in the docker group, with the runner's
// environment: what the runner's process starter does with the docker CLI.
func (u ciUser) run(t *testing.T, bin string, args ...string) result {
	t.Helper()
	// A command the runner would wait on for ever (a foreground run whose start is refused
	// after its create) fails the test in bounded time: its process group is killed.
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "sdocker"), args...)
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 2 * time.Second
	cmd.Dir = u.home
	cmd.Env = append([]string{"HOME=" + u.home, "PATH=" + bin + ":" + os.Getenv("PATH"), "SDOCKER_POLICY=" + u.policy}, u.env...)
	if u.host != "" {
		cmd.Env = append(cmd.Env, "DOCKER_HOST="+u.host)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: &syscall.Credential{Uid: u.uid, Gid: u.gid, Groups: []uint32{dockerGID(t)}}}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("sdocker %q as uid %d did not end within 15 s\n%s%s", args, u.uid, out.String(), errb.String())
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running sdocker %q as uid %d: %v", args, u.uid, err)
	}
	return result{out.String(), errb.String(), code}
}

// reachPoliced checks that the runner's user can see the policed socket, as the CLI door (which
// runs as that user) must before it gives the socket to a container. Where it cannot, the test
// fails and lets the docker group through the socket's directory, to go on with the job.
func (u ciUser) reachPoliced(t *testing.T, bin, root string) {
	t.Helper()
	check := exec.Command("test", "-S", ciPoliced(root))
	check.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: u.uid, Gid: u.gid, Groups: []uint32{dockerGID(t)}}}
	if check.Run() == nil {
		return
	}
	dir := filepath.Dir(ciPoliced(root))
	fi, _ := os.Stat(dir)
	t.Errorf("the runner's user (uid %d, in the docker group) cannot reach the policed socket: sdocker proxy made %s %v, so the CLI door refuses the socket (want the directory reachable by the proxy's --group)", u.uid, dir, fi.Mode().Perm())
	os.Chown(dir, 0, int(dockerGID(t)))
	os.Chmod(dir, 0o750)
}

func dockerGID(t *testing.T) uint32 {
	t.Helper()
	g, err := user.LookupGroup("docker")
	if err != nil {
		t.Fatalf("the docker group: %v", err)
	}
	gid, _ := strconv.Atoi(g.Gid)
	return uint32(gid)
}

// must runs a corpus command line and fails the test unless it succeeds.
func (u ciUser) must(t *testing.T, bin string, args ...string) string {
	t.Helper()
	r := u.run(t, bin, args...)
	if r.code != 0 {
		t.Fatalf("sdocker %q: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
	}
	return strings.TrimSpace(r.stdout)
}

// corpusEntry returns one entry of the corpus with layout's placeholders and the run's own
// names (repl: the corpus' names, labels and images for this run's).
func corpusEntry(t *testing.T, name string, layout map[string]string, repl map[string]string) ciEntry {
	t.Helper()
	for _, e := range loadCorpus(t, layout) {
		if e.name != name {
			continue
		}
		for i, a := range e.argv {
			e.argv[i] = expand(a, repl)
		}
		for i, kv := range e.env {
			e.env[i] = expand(kv, repl)
		}
		return e
	}
	t.Fatalf("no corpus entry %s", name)
	return ciEntry{}
}

// ciPolicy writes the runner's preset, as sdocker policy preset prints it, with its policed
// socket at ciPoliced(root) (a socket of this test's own proxy), and returns its path.
func ciPolicy(t *testing.T, root, runner string) string {
	t.Helper()
	r := sdocker(t, "policy", "preset", runner)
	if r.code != 0 {
		t.Fatalf("sdocker policy preset %s: exit %d: %s", runner, r.code, r.stderr)
	}
	const policed = "policed: /run/sdocker/sockets/docker.sock"
	if !strings.Contains(r.stdout, policed) {
		t.Fatalf("the %s preset has no %q:\n%s", runner, policed, r.stdout)
	}
	p := filepath.Join(root, runner+".yaml")
	body := strings.Replace(r.stdout, policed, "policed: "+ciPoliced(root), 1)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// ciRun is the host's run directory for the test's proxy, as /run/sdocker is sdocker-proxy's.
func ciRun(root string) string { return filepath.Join("/run", filepath.Base(root)) }

// ciPoliced is where ciPolicy's policed socket is, as /run/sdocker/sockets/docker.sock is.
func ciPoliced(root string) string { return filepath.Join(ciRun(root), "sockets", "docker.sock") }

// ciProxy starts sdocker proxy as root in front of the daemon with the policy, as
// sdocker-proxy.service does: it serves ciRun(root)/docker.sock and the policed socket.
func ciProxy(t *testing.T, root, policy string) {
	t.Helper()
	cmd := exec.Command(sdockerBin, "proxy", "--listen", "unix://"+filepath.Join(ciRun(root), "docker.sock"), "--group", "docker", "--policy", policy)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		if t.Failed() {
			t.Logf("sdocker proxy's log:\n%s", stderr.String())
		}
	})
	if !appears(ciPoliced(root)) {
		t.Fatalf("sdocker proxy serves no policed socket at %s:\n%s", ciPoliced(root), stderr.String())
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// removeLater removes containers by label and networks by name when the test ends.
func removeLater(t *testing.T, label string, networks ...string) {
	t.Cleanup(func() {
		out, _ := exec.Command("docker", "ps", "-aq", "--filter", "label="+label).Output()
		if ids := strings.Fields(string(out)); len(ids) > 0 {
			exec.Command("docker", append([]string{"rm", "-f"}, ids...)...).Run()
		}
		for _, n := range networks {
			exec.Command("docker", "network", "rm", n).Run()
		}
	})
}
