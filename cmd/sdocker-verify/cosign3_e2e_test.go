package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"

	"sdocker/internal/testenv"
	"sdocker/verify/sig/sigtest"
)

// cosignCLI finds the cosign v3 CLI ($COSIGN_BIN, else PATH), which scripts/install-cosign.sh
// installs.
func cosignCLI(t testing.TB) string {
	t.Helper()
	bin := os.Getenv("COSIGN_BIN")
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("cosign"); err != nil {
			testenv.Missing(t, "the cosign v3 CLI is not installed (scripts/install-cosign.sh installs it)")
		}
	}
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("GitVersion:    v3.")) {
		testenv.Missing(t, fmt.Sprintf("%s is not cosign v3 (%v: %s); scripts/install-cosign.sh installs it", bin, err, bytes.TrimSpace(out)))
	}
	return bin
}

// cosignRun runs the cosign CLI offline, as a CI signing step without a Sigstore instance:
// key-based, no signing config, no log upload.
type cosignRun struct {
	t   testing.TB
	bin string
	dir string
}

func (c cosignRun) run(args ...string) string {
	c.t.Helper()
	cmd := exec.Command(c.bin, args...)
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), "COSIGN_PASSWORD=sdocker-test", "TUF_ROOT="+filepath.Join(c.dir, "tuf"), "HOME="+c.dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		c.t.Fatalf("cosign %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// key makes a key pair NAME.key / NAME.pub and returns the public key's path.
func (c cosignRun) key(name string) string {
	c.t.Helper()
	c.run("generate-key-pair", "--output-key-prefix", name)
	return filepath.Join(c.dir, name+".pub")
}

func (c cosignRun) sign(key, ref string, extra ...string) {
	c.t.Helper()
	c.run(append([]string{"sign", "--key", key + ".key", "--use-signing-config=false", "--tlog-upload=false", "--yes"}, append(extra, ref)...)...)
}

func (c cosignRun) attest(key, ref, typ string, predicate any, extra ...string) {
	c.t.Helper()
	data, err := json.Marshal(predicate)
	if err != nil {
		c.t.Fatal(err)
	}
	path := filepath.Join(c.dir, "predicate.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		c.t.Fatal(err)
	}
	args := append([]string{"attest", "--key", key + ".key", "--use-signing-config=false", "--tlog-upload=false", "--yes",
		"--type", typ, "--predicate", path}, extra...)
	c.run(append(args, ref)...)
}

// Images signed and attested with the real cosign v3 CLI, as teams sign today, pass sdocker's
// key-based policy on registries with and without the referrers API; refusals hold.
func TestCosignV3Signatures(t *testing.T) {
	bin := cosignCLI(t)
	for _, api := range []bool{true, false} {
		name := "referrers tag schema"
		if api {
			name = "referrers API"
		}
		t.Run(name, func(t *testing.T) {
			testCosignV3(t, cosignRun{t: t, bin: bin, dir: t.TempDir()}, sigtest.NewRegistry(t, registry.WithReferrersSupport(api)))
		})
	}
}

func slsaPredicate(builder, repo string) map[string]any {
	return map[string]any{
		"buildDefinition": map[string]any{
			"buildType":          "https://actions.github.io/buildtypes/workflow/v1",
			"externalParameters": map[string]any{"workflow": map[string]any{"repository": repo, "ref": "refs/heads/main", "path": ".github/workflows/release.yml"}},
		},
		"runDetails": map[string]any{"builder": map[string]any{"id": builder}},
	}
}

func testCosignV3(t *testing.T, c cosignRun, reg *sigtest.Registry) {
	const builder, repo = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml@refs/tags/v2.1.0", "https://github.com/team/api"
	team, other := c.key("team"), c.key("other")
	teamKey, otherKey := strings.TrimSuffix(team, ".pub"), strings.TrimSuffix(other, ".pub")
	ref := func(repo, n string) string { return fmt.Sprintf("%s/%s/%s:v1", reg.Host, repo, n) }
	push := func(repo, n string) string { return sigtest.PushRandom(t, ref(repo, n)).String() }

	c.sign(teamKey, push("team", "bundle"))
	c.sign(teamKey, push("team", "legacy"), "--new-bundle-format=false")
	c.sign(otherKey, push("team", "untrusted"))
	mixed := push("team", "mixed") // someone else's bundle beside the team's legacy signature
	c.sign(otherKey, mixed)
	c.sign(teamKey, mixed, "--new-bundle-format=false")
	push("team", "unsigned")
	att := push("att", "provenance")
	c.sign(teamKey, att)
	c.attest(teamKey, att, "slsaprovenance1", slsaPredicate(builder, repo))
	wrong := push("att", "wrong-builder")
	c.sign(teamKey, wrong)
	c.attest(teamKey, wrong, "slsaprovenance1", slsaPredicate("https://evil.example/builder", repo))
	legacyAtt := push("att", "legacy-provenance")
	c.sign(teamKey, legacyAtt, "--new-bundle-format=false")
	c.attest(teamKey, legacyAtt, "slsaprovenance1", slsaPredicate(builder, repo), "--new-bundle-format=false")
	noatt := push("att", "no-provenance")
	c.sign(teamKey, noatt)
	c.attest(teamKey, noatt, "spdxjson", map[string]any{"spdxVersion": "SPDX-2.3"})

	policy := filepath.Join(c.dir, "policy.yaml")
	writePolicy(t, policy, fmt.Sprintf(`version: 1
images:
  - match: "%[1]s/att/**"
    signature:
      keys: [team.pub]
      attestations:
        - type: slsaprovenance1
          conditions: {builder_id: "%[2]s", source_repository: "%[3]s"}
  - match: "%[1]s/**"
    signature: {keys: [team.pub]}
`, reg.Host, builder, repo))

	tests := []struct {
		name, ref string
		class     string // "" means verified
		format    string // of the signature that verified, or a part of the refusal
	}{
		{"cosign v3 default (bundle)", ref("team", "bundle"), "", "sigstore-bundle"},
		{"legacy signature", ref("team", "legacy"), "", "legacy"},
		{"someone else's bundle beside a valid legacy signature", ref("team", "mixed"), "", "legacy"},
		{"someone else's bundle alone", ref("team", "untrusted"), "untrusted", "a key the policy does not list"},
		{"unsigned", ref("team", "unsigned"), "unsigned", "no cosign signature"},
		{"SLSA provenance attested", ref("att", "provenance"), "", "sigstore-bundle"},
		{"SLSA provenance attested, legacy formats", ref("att", "legacy-provenance"), "", "legacy"},
		{"provenance from another builder", ref("att", "wrong-builder"), "attestation", `builder_id is "https://evil.example/builder"`},
		{"an SBOM is no provenance", ref("att", "no-provenance"), "attestation", "https://spdx.dev/Document"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(filepath.Join(binDir, "sdocker"), "verify", "--format", "json", tc.ref)
			cmd.Env = append(os.Environ(), "SDOCKER_POLICY="+policy, "XDG_CACHE_HOME="+t.TempDir(), "DOCKER_CONTENT_TRUST=")
			out, err := cmd.Output()
			var res []struct {
				Digest     string `json:"digest"`
				Signatures []struct {
					Format, By string
				} `json:"signatures"`
				Attestations []struct {
					Type, Format, By string
					Checked          []string
				} `json:"attestations"`
				Error *struct{ Class, Message string } `json:"error"`
			}
			if jerr := json.Unmarshal(out, &res); jerr != nil || len(res) != 1 {
				t.Fatalf("sdocker verify: %v, %v\n%s", err, jerr, out)
			}
			r := res[0]
			if tc.class != "" {
				if r.Error == nil || r.Error.Class != tc.class || !strings.Contains(r.Error.Message, tc.format) {
					t.Fatalf("result %s, want a %s refusal saying %q", out, tc.class, tc.format)
				}
				if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 125 {
					t.Errorf("exit: %v, want 125", err)
				}
				return
			}
			if err != nil || r.Error != nil || len(r.Signatures) != 1 || r.Signatures[0].Format != tc.format || r.Signatures[0].By != "key "+team {
				t.Fatalf("sdocker verify: %v\n%s", err, out)
			}
			text := exec.Command(filepath.Join(binDir, "sdocker"), "verify", tc.ref)
			text.Env = cmd.Env
			if out, err := text.Output(); err != nil || !strings.Contains(string(out), "signed by key "+team) ||
				(tc.format == "sigstore-bundle") != strings.Contains(string(out), "(Sigstore bundle)") {
				t.Errorf("sdocker verify (text): %v\n%s", err, out)
			} else if strings.Contains(tc.ref, "/att/") && !strings.Contains(string(out), "attested https://slsa.dev/provenance/v1 by key "+team+" (builder_id = ") {
				t.Errorf("sdocker verify (text) does not name the attestation:\n%s", out)
			}
			if strings.Contains(tc.ref, "/att/") && (len(r.Attestations) != 1 || r.Attestations[0].Type != "https://slsa.dev/provenance/v1" ||
				r.Attestations[0].Format != tc.format || len(r.Attestations[0].Checked) != 2) {
				t.Errorf("attestations: %s", out)
			}
		})
	}
}

// What a user meets: `sdocker run` of an image signed with cosign v3's default format pulls and
// runs exactly the verified digest from a registry with the referrers API; an image whose only
// bundle is someone else's, or whose provenance names another builder, is refused and nothing
// is pulled.
func TestCosignV3PullAndRun(t *testing.T) {
	requireDaemon(t)
	c := cosignRun{t: t, bin: cosignCLI(t), dir: t.TempDir()}
	reg := sigtest.NewRegistry(t, registry.WithReferrersSupport(true))
	team, other := c.key("team"), c.key("other")
	teamKey, otherKey := strings.TrimSuffix(team, ".pub"), strings.TrimSuffix(other, ".pub")
	refs := map[string]string{}
	push := func(n string) string {
		refs[n] = fmt.Sprintf("%s/team/%s-%s:v1", reg.Host, n, runID)
		d := sigtest.Push(t, refs[n], sigtest.RunnableImage(t, ctrBin, "say", n, "", "0"))
		t.Cleanup(func() { exec.Command("docker", "rmi", "-f", refs[n], d.String()).Run() })
		return d.String()
	}
	signed := push("bundle")
	c.sign(teamKey, signed)
	c.attest(teamKey, signed, "slsaprovenance1", slsaPredicate("https://ci.example/builder", "https://github.com/team/api"))
	c.sign(otherKey, push("foreign"))
	wrong := push("wrongbuilder")
	c.sign(teamKey, wrong)
	c.attest(teamKey, wrong, "slsaprovenance1", slsaPredicate("https://evil.example/builder", "https://github.com/team/api"))
	policy := filepath.Join(c.dir, "policy.yaml")
	writePolicy(t, policy, fmt.Sprintf(`version: 1
images:
  - match: "%s/**"
    signature:
      keys: [team.pub]
      attestations: [{type: slsaprovenance1, conditions: {builder_id: "https://ci.example/builder"}}]
`, reg.Host))
	sdocker := func(args ...string) (string, string, int) {
		cmd := exec.Command(filepath.Join(binDir, "sdocker"), args...)
		cmd.Env = append(os.Environ(), "SDOCKER_POLICY="+policy, "XDG_CACHE_HOME="+t.TempDir(), "DOCKER_CONTENT_TRUST=")
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return out.String(), errb.String(), code
	}
	out, errOut, code := sdocker("run", "--rm", refs["bundle"])
	if code != 0 || strings.TrimSpace(out) != "bundle" || !strings.Contains(errOut, "(Sigstore bundle)") || !strings.Contains(errOut, "attested https://slsa.dev/provenance/v1") {
		t.Fatalf("run: exit %d, stdout %q\n%s", code, out, errOut)
	}
	if !local(signed) {
		t.Errorf("%s is not on the daemon after the run", signed)
	}
	for _, tc := range []struct{ name, want string }{
		{"foreign", "a key the policy does not list"},
		{"wrongbuilder", `builder_id is "https://evil.example/builder"`},
	} {
		_, errOut, code := sdocker("run", "--rm", refs[tc.name])
		if code != 125 || !strings.Contains(errOut, tc.want) {
			t.Errorf("run %s: exit %d, want 125 saying %q\n%s", tc.name, code, tc.want, errOut)
		}
		if local(refs[tc.name]) {
			t.Errorf("%s was pulled although refused", refs[tc.name])
		}
	}
}
