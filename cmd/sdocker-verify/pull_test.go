package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"sdocker/verify/sig/sigtest"
)

// A signed image pulls and runs by digest; the user sees the digest and the signer.
func TestSignedPullAndRun(t *testing.T) {
	requireDaemon(t)
	w := newWorld(t)
	ref, pinned := w.refs["signed"], w.digests["signed"].String()
	res := w.sdocker(t, nil, "pull", ref)
	if res.code != 0 {
		t.Fatalf("pull: exit %d\n%s", res.code, res.stderr)
	}
	t.Logf("sdocker pull said:\n%s", res.stderr)
	for _, want := range []string{"is " + w.digests["signed"].DigestStr(), "signed by key " + w.team.PubPath} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("pull stderr lacks %q:\n%s", want, res.stderr)
		}
	}
	if !local(pinned) {
		t.Fatalf("%s is not on the daemon after the pull", pinned)
	}
	res = w.sdocker(t, nil, "run", "--rm", ref)
	if res.code != 0 || strings.TrimSpace(res.stdout) != "signed" {
		t.Fatalf("run: exit %d, stdout %q\n%s", res.code, res.stdout, res.stderr)
	}
	// The keyless image, by its identity, through run's implicit pull.
	res = w.sdocker(t, nil, "run", "--rm", w.refs["keyless"])
	if res.code != 0 || strings.TrimSpace(res.stdout) != "keyless" || !strings.Contains(res.stderr, subject) {
		t.Fatalf("keyless run: exit %d, stdout %q\n%s", res.code, res.stdout, res.stderr)
	}
}

// Every kind of bad image is refused with its own message, exit 125, and nothing is pulled.
func TestRefusedNothingPulled(t *testing.T) {
	requireDaemon(t)
	w := newWorld(t)
	tests := []struct {
		name, cmd, ref, want string
	}{
		{"unsigned pull", "pull", w.refs["unsigned"], "no signatures found"},
		{"unsigned run", "run --rm", w.refs["unsigned"], "no signatures found"},
		{"unsigned create", "create", w.refs["unsigned"], "no signatures found"},
		{"unsigned image pull", "image pull", w.refs["unsigned"], "no signatures found"},
		{"unsigned container run", "container run --rm", w.refs["unsigned"], "no signatures found"},
		{"pull --all-tags", "pull --all-tags", strings.TrimSuffix(w.refs["signed"], ":v1"), "one at a time"},
		{"wrong key", "pull", w.refs["wrongkey"], "a key the policy does not list"},
		{"copied signature", "run --rm", w.refs["copied"], "made for another image (" + w.digests["signed"].DigestStr()},
		{"keyless wrong identity", "pull", w.refs["wrongidentity"], "mallory@evil.example"},
		{"keyless wrong issuer", "pull", w.refs["wrongissuer"], "OIDC issuer https://evil.example"},
		{"keyless expired certificate", "pull", w.refs["expired"], "expired"},
		{"registry down", "pull", w.downHost + "/team/app:v1", "could not verify"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := w.sdocker(t, nil, append(strings.Fields(tc.cmd), tc.ref)...)
			t.Logf("sdocker said: %s", res.stderr)
			if res.code != 125 {
				t.Fatalf("exit %d, want 125\nstdout: %s\nstderr: %s", res.code, res.stdout, res.stderr)
			}
			if !strings.Contains(res.stderr, tc.want) || !strings.Contains(res.stderr, "refused image") {
				t.Errorf("stderr lacks %q:\n%s", tc.want, res.stderr)
			}
			if local(tc.ref) {
				t.Errorf("%s was pulled although refused", tc.ref)
			}
		})
	}
}

// A tag moved to an unsigned image between the check and docker's pull cannot make the
// unsigned image run: docker is given the verified digest.
func TestTagMovedAfterVerification(t *testing.T) {
	requireDaemon(t)
	w := newWorld(t)
	ref := fmt.Sprintf("%s/team/moving-%s:v1", w.reg.Host, runID)
	evil := fmt.Sprintf("%s/team/moving-%s:evil", w.reg.Host, runID)
	good := sigtest.Push(t, ref, sigtest.RunnableImage(t, ctrBin, "say", "verified", "", "0"))
	sigtest.Sign(t, good, w.team.Signer, sigtest.SignOptions{})
	bad := sigtest.Push(t, evil, sigtest.RunnableImage(t, ctrBin, "say", "swapped", "", "0"))
	t.Cleanup(func() { exec.Command("docker", "rmi", "-f", good.String(), bad.String()).Run() })

	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	res := w.sdocker(t, []string{"SDOCKER_DOCKER=" + self, fakeDockerEnv + "=" + evil + " " + ref}, "run", "--rm", ref)
	if res.code != 0 || strings.TrimSpace(res.stdout) != "verified" {
		t.Fatalf("run: exit %d, stdout %q (want the verified image)\n%s", res.code, res.stdout, res.stderr)
	}
	tag, err := name.NewTag(ref)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Head(tag)
	if err != nil || desc.Digest.String() != bad.DigestStr() {
		t.Fatalf("the tag was not moved during the run (%v, %v): the test proved nothing", desc, err)
	}
	if local(bad.String()) {
		t.Errorf("the swapped image %s reached the daemon", bad)
	}
}

// A local image with no repo digest under its name is refused where signatures are required.
func TestLocalImageWithoutRepoDigest(t *testing.T) {
	requireDaemon(t)
	w := newWorld(t)
	if res := w.sdocker(t, nil, "pull", w.refs["signed"]); res.code != 0 {
		t.Fatalf("pull: %s", res.stderr)
	}
	tag := fmt.Sprintf("%s/team/built-here-%s:v1", w.reg.Host, runID)
	if out, err := exec.Command("docker", "tag", w.digests["signed"].String(), tag).CombinedOutput(); err != nil {
		t.Fatalf("docker tag: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("docker", "rmi", tag).Run() })
	res := w.sdocker(t, nil, "run", "--rm", tag)
	if res.code != 125 || !strings.Contains(res.stderr, "no repo digest") {
		t.Fatalf("exit %d, want 125 and \"no repo digest\":\n%s", res.code, res.stderr)
	}
}

// DOCKER_CONTENT_TRUST=1 requires signatures for every image, by the policy's content_trust.
func TestContentTrust(t *testing.T) {
	requireDaemon(t)
	w := newWorld(t)
	writePolicy(t, w.policy, "version: 1\ncontent_trust:\n  keys: ["+w.team.PubPath+"]\n")
	res := w.sdocker(t, []string{"DOCKER_CONTENT_TRUST=1"}, "pull", w.refs["signed"])
	if res.code != 0 || strings.Count(res.stderr, "Notary v1 is not used") != 1 {
		t.Fatalf("signed pull: exit %d\n%s", res.code, res.stderr)
	}
	res = w.sdocker(t, []string{"DOCKER_CONTENT_TRUST=1"}, "pull", w.refs["unsigned"])
	if res.code != 125 || !strings.Contains(res.stderr, "no signatures found") || local(w.refs["unsigned"]) {
		t.Fatalf("unsigned pull: exit %d\n%s", res.code, res.stderr)
	}
	if res := w.sdocker(t, nil, "pull", w.refs["unsigned"]); res.code != 0 {
		t.Fatalf("without DOCKER_CONTENT_TRUST no rule asks for a signature; exit %d\n%s", res.code, res.stderr)
	}
}

// mode: warn lets an unsigned image through, saying what would have been refused.
func TestWarnMode(t *testing.T) {
	requireDaemon(t)
	w := newWorld(t)
	data, _ := os.ReadFile(w.policy)
	writePolicy(t, w.policy, strings.Replace(string(data), "version: 1\n", "version: 1\nmode: warn\n", 1))
	res := w.sdocker(t, nil, "pull", w.refs["unsigned"])
	if res.code != 0 || !strings.Contains(res.stderr, "warning (mode: warn): would have refused image") {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
}

// sdocker verify: cold through the helper, warm from the cache with no registry request and
// no helper; JSON output carries the error class.
func TestVerifyVerb(t *testing.T) {
	w := newWorld(t)
	res := w.sdocker(t, nil, "verify", w.refs["signed"])
	if res.code != 0 || !strings.Contains(res.stdout, w.digests["signed"].DigestStr()) {
		t.Fatalf("cold verify: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	before := w.reg.Requests.Load()
	res = w.sdocker(t, []string{"SDOCKER_VERIFY=/nonexistent/sdocker-verify"}, "verify", w.refs["signed"])
	if res.code != 0 || !strings.Contains(res.stdout, "(cached verification)") {
		t.Fatalf("warm verify: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	if n := w.reg.Requests.Load() - before; n != 0 {
		t.Errorf("warm verify made %d registry requests", n)
	}
	res = w.sdocker(t, nil, "verify", "--format", "json", w.refs["signed"], w.refs["unsigned"], w.refs["wrongidentity"], w.downHost+"/team/app:v1")
	if res.code != 125 {
		t.Fatalf("verify of bad images: exit %d, want 125", res.code)
	}
	var out []struct {
		Image  string
		Digest string
		Error  *struct{ Class, Message string }
	}
	if err := json.Unmarshal([]byte(res.stdout), &out); err != nil || len(out) != 4 {
		t.Fatalf("json: %v\n%s", err, res.stdout)
	}
	for i, want := range []string{"", "unsigned", "untrusted", "unverifiable"} {
		got := ""
		if out[i].Error != nil {
			got = out[i].Error.Class
		}
		if got != want {
			t.Errorf("%s: class %q, want %q", out[i].Image, got, want)
		}
	}
	// Failures are not cached: once signed, the image verifies.
	sigtest.Sign(t, w.digests["unsigned"], w.team.Signer, sigtest.SignOptions{})
	if res := w.sdocker(t, nil, "verify", w.refs["unsigned"]); res.code != 0 {
		t.Fatalf("after signing: exit %d\n%s", res.code, res.stderr)
	}
}
