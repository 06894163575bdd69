package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Second adversarial review: tricks that need the real docker CLI or daemon to show, each
// verified with plain docker (28.2.2 CLI, 20.10 daemon).

// docker reads a daemon host without a scheme as tcp:// and trims spaces around it
// (opts.ParseHost): `docker -H 127.0.0.1:PORT ps` and DOCKER_HOST=" tcp://127.0.0.1:PORT" send
// "HEAD /_ping HTTP/1.1" in clear text to that port (seen with a listener). And `--context
// default` is the context built from -H/DOCKER_HOST: with DOCKER_HOST=tcp://… docker talks to
// it without TLS (for run too, after sdocker decided against the local unix socket). sdocker's
// check saw no "tcp://" prefix, or took the context for the unix socket, and let them through.
func TestBypassTCPWithoutTLSSpellings(t *testing.T) {
	for _, tc := range []struct {
		env  []string
		args []string
	}{
		{nil, []string{"-H", "127.0.0.1:1", "ps"}},
		{nil, []string{"-H=127.0.0.1:1", "version"}},
		{[]string{"DOCKER_HOST=127.0.0.1:1"}, []string{"ps"}},
		{[]string{"DOCKER_HOST= tcp://127.0.0.1:1"}, []string{"ps"}},
		{nil, []string{"-H", " tcp://127.0.0.1:1", "ps"}},
		{[]string{"DOCKER_HOST=tcp://127.0.0.1:1"}, []string{"--context", "default", "ps"}},
		{[]string{"DOCKER_HOST=tcp://127.0.0.1:1"}, []string{"--context=default", "create", testImage}},
	} {
		r := runBin(t, sdockerBin, "", tc.env, tc.args...)
		if r.code != 125 || !strings.Contains(r.stderr, "without TLS verification") {
			t.Errorf("%v %q: %+v, want a refusal (TCP without TLS verification)", tc.env, tc.args, r)
		}
	}
}

// With --tls (or DOCKER_TLS=1) and no -H/DOCKER_HOST, docker's default host is
// tcp://localhost:2376, spoken with TLS but without verifying the server's certificate
// (InsecureSkipVerify: only --tlsverify verifies). Seen with a listener on 2376: a TLS
// ClientHello from `docker --tls ps` and from `sdocker --tls create …`, which sdocker had
// decided against the local unix socket's daemon (its facts, its volumes, local paths).
func TestBypassTLSWithoutVerifyDefaultsToLocalhostTCP(t *testing.T) {
	certDir := t.TempDir()
	writeSelfSignedCA(t, certDir)
	for _, tc := range []struct {
		env  []string
		args []string
	}{
		{[]string{"DOCKER_CERT_PATH=" + certDir}, []string{"--tls", "ps"}},
		{[]string{"DOCKER_CERT_PATH=" + certDir, "DOCKER_TLS=1"}, []string{"ps"}},
		{[]string{"DOCKER_CERT_PATH=" + certDir}, []string{"--tls", "create", testImage}},
	} {
		env := append([]string{"DOCKER_HOST=", "DOCKER_CONTEXT="}, tc.env...)
		r := runBin(t, sdockerBin, "", env, tc.args...)
		if r.code != 125 || !strings.Contains(r.stderr, "without TLS verification") {
			t.Errorf("%v %q: %+v, want a refusal (tcp://localhost:2376 without TLS verification)", tc.env, tc.args, r)
		}
	}
}

func writeSelfSignedCA(t *testing.T, dir string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sdocker-test-ca"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ca.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
}

// The daemon ignores --mount's volume-opt when the named volume already exists and mounts the
// existing one: with a volume made by `docker volume create -o type=none -o o=bind -o
// device=/etc`, `sdocker run --mount type=volume,src=VOL,dst=/x,volume-opt=type=tmpfs,…` showed
// the host's /etc/passwd, writable. ResolveDaemonRefs looks a volume up only when the command
// line gives no options, and the decision then believes the command line's.
func TestBypassExistingBindVolumeBehindVolumeOpts(t *testing.T) {
	requireDaemon(t)
	vol := "sdocker-it-etc2-" + strings.TrimPrefix(runLabel, "sdocker-it=")
	if out, err := exec.Command("docker", "volume", "create", "--label", runLabel, "-o", "type=none", "-o", "o=bind", "-o", "device=/etc", vol).CombinedOutput(); err != nil {
		t.Fatalf("docker volume create: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command("docker", "volume", "rm", "-f", vol).Run() })
	r := sdocker(t, append(append([]string{"create"}, labelled()...),
		"--mount", "type=volume,src="+vol+",dst=/x,volume-opt=type=tmpfs,volume-opt=device=tmpfs", testImage, "status")...)
	if id := strings.TrimSpace(r.stdout); r.code == 0 {
		exec.Command("docker", "rm", "-f", id).Run()
	}
	if r.code != 125 || !strings.Contains(r.stderr, "rule mounts") {
		t.Fatalf("--mount of the existing /etc bind volume %s with made-up volume-opts: %+v, want a refusal (rule mounts)", vol, r)
	}
}

// `update --cpu-period` alone is not checked, yet the daemon applies it beside the quota the
// container already has: a container created through sdocker with --cpu-quota 100000 (1 CPU)
// and then `sdocker update --cpu-period 10000` ends with cfs_quota_us 100000 over
// cfs_period_us 10000 in its cgroup, 10 CPUs (the policy's maximum is 4; on a 2-CPU host,
// unlimited).
func TestBypassUpdateCPUPeriodAloneRaisesTheLimit(t *testing.T) {
	requireDaemon(t)
	r := sdocker(t, append(append([]string{"create"}, labelled()...), "--cpu-quota", "100000", testImage, "sleep")...)
	if r.code != 0 {
		t.Fatalf("create --cpu-quota 100000: %+v", r)
	}
	id := strings.TrimSpace(r.stdout)
	t.Cleanup(func() { exec.Command("docker", "rm", "-f", id).Run() })
	u := sdocker(t, "update", "--cpu-period", "10000", id)
	hc := inspect(t, id)["HostConfig"].(map[string]any)
	quota, period := hc["CpuQuota"].(float64), hc["CpuPeriod"].(float64)
	if u.code == 0 && period > 0 && quota/period > 4 {
		t.Fatalf("update --cpu-period 10000 was let through: CpuQuota %v / CpuPeriod %v = %v CPUs, above the maximum of 4", quota, period, quota/period)
	}
}
