package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"sdocker/internal/testenv"
	"sdocker/verify/sig/sigtest"
)

// The end-to-end tests run the built sdocker (with sdocker-verify beside it) against a real
// dockerd and a registry on 127.0.0.1 that the daemon pulls from over plain HTTP.
var (
	binDir    string // sdocker, sdocker-core, sdocker-verify and sdocker-verify-cosign
	ctrBin    string // the static program inside the test images
	runID     string // keeps this run's repositories apart from earlier runs' images
	daemonErr error
)

// fakeDockerEnv makes the test binary act as docker: it moves a tag on the registry (the race
// a pinned digest must win) and then execs the real docker with the same arguments.
const fakeDockerEnv = "SDOCKER_TEST_MOVE_TAG"

func TestMain(m *testing.M) {
	if move := os.Getenv(fakeDockerEnv); move != "" {
		fakeDocker(move)
		return
	}
	os.Exit(func() int {
		dir, err := os.MkdirTemp("", "sdocker-verify-e2e-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		binDir, ctrBin = dir, filepath.Join(dir, "ctr")
		for _, b := range []struct{ out, pkg string }{
			{filepath.Join(dir, "sdocker"), "../sdocker"},
			{filepath.Join(dir, "sdocker-core"), "../sdocker-core"},
			{filepath.Join(dir, "sdocker-verify"), "."},
			{filepath.Join(dir, "sdocker-verify-cosign"), "../sdocker-verify-cosign"},
			{ctrBin, "../sdocker-core/testdata/ctr"},
		} {
			cmd := exec.Command("go", "build", "-o", b.out, b.pkg)
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
			if out, err := cmd.CombinedOutput(); err != nil {
				fmt.Fprintf(os.Stderr, "building %s: %v\n%s", b.pkg, err, out)
				return 1
			}
		}
		b := make([]byte, 4)
		rand.Read(b)
		runID = hex.EncodeToString(b)
		if out, err := exec.Command("docker", "info", "--format", "{{.ServerVersion}}").CombinedOutput(); err != nil {
			daemonErr = fmt.Errorf("no docker daemon answers (%v: %s); start one with scripts/start-dockerd.sh", err, bytes.TrimSpace(out))
		}
		return m.Run()
	}())
}

func fakeDocker(move string) {
	src, dst, _ := strings.Cut(move, " ")
	if err := retag(src, dst); err != nil {
		fmt.Fprintln(os.Stderr, "fake docker: moving the tag:", err)
		os.Exit(3)
	}
	docker, err := exec.LookPath("docker")
	if err != nil {
		fmt.Fprintln(os.Stderr, "fake docker:", err)
		os.Exit(3)
	}
	err = syscall.Exec(docker, append([]string{"docker"}, os.Args[1:]...), os.Environ())
	fmt.Fprintln(os.Stderr, "fake docker:", err)
	os.Exit(3)
}

func retag(src, dst string) error {
	s, err := name.ParseReference(src)
	if err != nil {
		return err
	}
	d, err := name.NewTag(dst)
	if err != nil {
		return err
	}
	desc, err := remote.Get(s)
	if err != nil {
		return err
	}
	return remote.Tag(d, desc)
}

func requireDaemon(t *testing.T) {
	t.Helper()
	if daemonErr != nil {
		testenv.Missing(t, daemonErr.Error())
	}
}

// world is one registry with signed and badly signed images, and a policy over it.
type world struct {
	reg      *sigtest.Registry
	policy   string
	cache    string
	downHost string
	team     *sigtest.Key
	refs     map[string]string // name → HOST/REPO:v1
	digests  map[string]name.Digest
}

const (
	subject = "ci@team.example"
	issuer  = "https://issuer.example"
)

func newWorld(t *testing.T) *world {
	t.Helper()
	dir := t.TempDir()
	w := &world{reg: sigtest.NewRegistry(t), cache: t.TempDir(), refs: map[string]string{}, digests: map[string]name.Digest{}}
	w.team = sigtest.NewKey(t, dir, "team")
	other := sigtest.NewKey(t, dir, "other")
	ca := sigtest.NewCA(t, dir, "test-fulcio")
	push := func(n, repo string) name.Digest {
		ref := fmt.Sprintf("%s/%s/%s-%s:v1", w.reg.Host, repo, n, runID)
		d := sigtest.Push(t, ref, sigtest.RunnableImage(t, ctrBin, "say", n, "", "0"))
		w.refs[n], w.digests[n] = ref, d
		return d
	}
	signed := push("signed", "team")
	sigtest.Sign(t, signed, w.team.Signer, sigtest.SignOptions{})
	push("unsigned", "team")
	sigtest.Sign(t, push("wrongkey", "team"), other.Signer, sigtest.SignOptions{})
	sigtest.Sign(t, push("copied", "team"), w.team.Signer, sigtest.SignOptions{Claim: signed})
	for n, o := range map[string]sigtest.LeafOptions{
		"keyless":       {Email: subject, Issuer: issuer},
		"wrongidentity": {Email: "mallory@evil.example", Issuer: issuer},
		"wrongissuer":   {Email: subject, Issuer: "https://evil.example"},
		"expired":       {Email: subject, Issuer: issuer, NotBefore: time.Now().Add(-2 * time.Hour), NotAfter: time.Now().Add(-time.Hour)},
	} {
		leaf := ca.Leaf(t, o)
		sigtest.Sign(t, push(n, "keyless"), leaf.Signer, sigtest.SignOptions{Cert: leaf.Cert, Chain: leaf.Chain})
	}
	down := httptest.NewServer(nil)
	w.downHost = strings.TrimPrefix(down.URL, "http://")
	down.Close()
	w.policy = filepath.Join(dir, "policy.yaml")
	writePolicy(t, w.policy, fmt.Sprintf(`version: 1
images:
  - match: "%[1]s/keyless/**"
    signature:
      keyless:
        roots: %[2]s
        identities: [{subject: %[3]s, issuer: "%[4]s"}]
  - match: "127.0.0.1:*/**"
    signature: {keys: [%[5]s]}
`, w.reg.Host, ca.RootsPath, subject, issuer, w.team.PubPath))
	t.Cleanup(func() {
		for _, ref := range w.refs {
			exec.Command("docker", "rmi", "-f", ref, w.pinned(ref)).Run()
		}
	})
	return w
}

// pinned is ref with its tag replaced by the digest pushed under it.
func (w *world) pinned(ref string) string {
	for n, r := range w.refs {
		if r == ref {
			return w.digests[n].String()
		}
	}
	return ref
}

func writePolicy(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

type result struct {
	stdout, stderr string
	code           int
}

// sdocker runs the built sdocker with the world's policy and cache, plus env.
func (w *world) sdocker(t *testing.T, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, "sdocker"), args...)
	cmd.Env = append(os.Environ(), "SDOCKER_POLICY="+w.policy, "XDG_CACHE_HOME="+w.cache, "DOCKER_CONTENT_TRUST=")
	cmd.Env = append(cmd.Env, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	res := result{out.String(), errb.String(), 0}
	if ee, ok := err.(*exec.ExitError); ok {
		res.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running sdocker %q: %v", args, err)
	}
	return res
}

func local(ref string) bool {
	return exec.Command("docker", "image", "inspect", ref).Run() == nil
}
