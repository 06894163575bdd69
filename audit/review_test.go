package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sdocker/wrapper"
)

// Review cases: each fails on a problem found while reviewing the audit and `tls init`.

// hardenedContainer is the hardened fixture's container as JSON; reviewContainer lays
// extra HostConfig/top-level fields over it, so a case differs from a clean container only
// by the setting under test.
const hardenedContainer = `{"Id": "5555555555eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee", "Name": "/rvw",
 "State": {"Status": "created"}, "Config": {"Image": "sdocker-test/busybox:1"},
 "HostConfig": {"CapDrop": ["ALL"], "SecurityOpt": ["no-new-privileges"], "NetworkMode": "sdocker", "CgroupnsMode": "private",
   "IpcMode": "private", "Memory": 1073741824, "NanoCpus": 1000000000, "PidsLimit": 512, "ReadonlyRootfs": true,
   "LogConfig": {"Type": "json-file", "Config": {"max-size": "10m", "max-file": "3"}}}}`

func reviewContainer(t *testing.T, top map[string]any, hostConfig map[string]any) Container {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(hardenedContainer), &m); err != nil {
		t.Fatal(err)
	}
	for k, v := range top {
		m[k] = v
	}
	hc := m["HostConfig"].(map[string]any)
	for k, v := range hostConfig {
		hc[k] = v
	}
	data, _ := json.Marshal(m)
	var c Container
	if err := json.Unmarshal(data, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// hardenedWith is the hardened snapshot with its containers replaced by cs.
func hardenedWith(t *testing.T, cs ...Container) *Snapshot {
	s := loadSnapshot(t, "hardened-snapshot.json")
	s.Containers = cs
	return s
}

func findingsOf(r Report, id, targetPart string) []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if f.ID == id && strings.Contains(f.Target, targetPart) {
			out = append(out, f)
		}
	}
	return out
}

// `docker create --security-opt systempaths=unconfined` does not keep the option in
// SecurityOpt: the CLI turns it into empty MaskedPaths and ReadonlyPaths (verified with
// docker 28.2.2 against dockerd 20.10). The audit reads neither field, so the container that
// sees the host's /proc/kcore, /proc/sysrq-trigger and /sys/firmware is not reported.
func TestReviewSystemPathsUnconfinedIsReported(t *testing.T) {
	c := reviewContainer(t, nil, map[string]any{"MaskedPaths": []string{}, "ReadonlyPaths": []string{}})
	r := check(t, hardenedWith(t, c))
	if len(findingsOf(r, "SD-SECURITY-OPT", "container rvw ")) == 0 {
		t.Fatalf("container with empty MaskedPaths/ReadonlyPaths (systempaths=unconfined) not reported; findings: %+v", r.Findings)
	}
}

// A local volume created with `--opt type=none --opt o=bind --opt device=/` is a bind of the
// host's root under another name. Inspect shows it as Type "volume"; containerMounts keeps
// only binds, so the audit never looks at it.
func TestReviewVolumeBoundToHostRootIsReported(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "daemon.json")
	if err := os.WriteFile(cfg, []byte(`{"no-new-privileges": true, "log-opts": {"max-size": "10m"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	api := fakeAPI{answers: map[string]string{
		"/info":                  `{"ServerVersion": "29.3.1", "LoggingDriver": "json-file", "SecurityOptions": ["name=seccomp,profile=builtin"]}`,
		"/version":               `{"Version": "29.3.1"}`,
		"/networks/bridge":       `{"Options": {"com.docker.network.bridge.enable_icc": "false"}}`,
		"/networks":              `[]`,
		"/containers/json?all=1": `[{"Id": "vol"}]`,
		"/containers/vol/json": `{"Id": "vol", "Name": "/volroot", "State": {"Status": "created"},
			"Mounts": [{"Type": "volume", "Name": "hostroot", "Source": "/var/lib/docker/volumes/hostroot/_data", "Destination": "/host"}],
			"HostConfig": {"Binds": ["hostroot:/host"], "CapDrop": ["ALL"], "SecurityOpt": ["no-new-privileges"], "NetworkMode": "sdocker",
			  "Memory": 1073741824, "NanoCpus": 1000000000, "PidsLimit": 512}}`,
		"/volumes/hostroot": `{"Name": "hostroot", "Driver": "local", "Mountpoint": "/var/lib/docker/volumes/hostroot/_data",
			"Options": {"type": "none", "o": "bind", "device": "/"}}`,
	}}
	r, err := Run(context.Background(), Options{
		API: api, Endpoint: wrapper.Endpoint{Host: "tcp://10.0.0.1:2376", TLS: true, Verify: true},
		DaemonConfig: cfg, GroupFile: "/nonexistent", PasswdFile: "/nonexistent",
		Getenv: func(string) string { return "" }, Now: testNow,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(findingsOf(r, "CIS-5.6", "container volroot ")) == 0 {
		t.Fatalf("volume bound to the host's / not reported as CIS-5.6; findings: %+v", r.Findings)
	}
}

// dockerd's ParseDaemonHost defaults a host without a scheme to tcp: `-H 0.0.0.0:2375`,
// `-H :2375` and "hosts": ["127.0.0.1:2375"] all listen on TCP without TLS. The check only
// looks at hosts that start with tcp://.
func TestReviewTCPHostWithoutSchemeIsReported(t *testing.T) {
	for _, h := range []string{"0.0.0.0:2375", ":2375", "127.0.0.1:2375"} {
		t.Run(h, func(t *testing.T) {
			s := hardenedWith(t)
			s.Config.Hosts = []string{"unix:///run/hard/docker.sock", h}
			s.Config.TLSVerify, s.Config.TLS = nil, nil
			r := check(t, s)
			fs := findingsOf(r, "CIS-2.7", "daemon")
			if len(fs) == 0 || fs[0].Severity != Critical {
				t.Fatalf("dockerd listening on %s (tcp, no TLS) not reported as a critical CIS-2.7: %+v", h, fs)
			}
		})
	}
}

// pflag accepts a shorthand with its value attached (-Htcp://…); ParseDockerdArgs does not,
// and also takes the next argument as that bogus flag's value.
func TestReviewParseDockerdArgsAttachedShorthand(t *testing.T) {
	cfg, _, err := ParseDockerdArgs([]string{"-Htcp://0.0.0.0:2375", "--tlsverify=false"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(cfg.Hosts, "tcp://0.0.0.0:2375") {
		t.Fatalf("-Htcp://0.0.0.0:2375 not read as a host: %+v", cfg.Hosts)
	}
}

// A boolean dockerd flag missing from dockerdBool (--cri-containerd exists in dockerd 20.10)
// swallows the next argument as its value: the -H that follows is lost, and with it the
// TCP listener.
func TestReviewParseDockerdArgsUnknownBoolFlag(t *testing.T) {
	cfg, _, err := ParseDockerdArgs([]string{"--cri-containerd", "-H", "tcp://0.0.0.0:2375"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(cfg.Hosts, "tcp://0.0.0.0:2375") {
		t.Fatalf("-H after a boolean flag the parser does not know was lost: %+v", cfg.Hosts)
	}
}

// dockerd turns TLS on whenever tlsverify is set at all ("Regardless of whether the user sets
// it to true or false, if they specify TLSVerify at all then we need to turn on TLS"), so
// "tlsverify": false is TLS without client verification, not "without TLS".
func TestReviewTLSVerifyFalseIsTLSWithoutVerification(t *testing.T) {
	s := hardenedWith(t)
	s.Config.TLSVerify, s.Config.TLS = ptr(false), nil
	r := check(t, s)
	fs := findingsOf(r, "CIS-2.7", "daemon")
	if len(fs) == 0 {
		t.Fatal("no CIS-2.7 finding")
	}
	if strings.Contains(fs[0].Evidence, "without TLS") || !strings.Contains(fs[0].Evidence, "does not verify") {
		t.Fatalf("tlsverify=false (TLS on, clients unverified) described as: %q", fs[0].Evidence)
	}
}

// TLS without client verification on TCP is unauthenticated remote root (the finding says so
// itself), yet it is rated high, below the critical of plain TCP, so `--fail-on critical`
// passes a daemon anyone on the network can drive.
func TestReviewTLSWithoutClientVerificationIsCritical(t *testing.T) {
	s := hardenedWith(t)
	s.Config.TLSVerify, s.Config.TLS = nil, ptr(true)
	r := check(t, s)
	fs := findingsOf(r, "CIS-2.7", "daemon")
	if len(fs) == 0 || fs[0].Severity != Critical {
		t.Fatalf("TLS without tlsverify on tcp: %+v, want critical", fs)
	}
}

// --cap-add ALL is privileged mode by another name (the policy's own words); it is rated
// high while --privileged is critical.
func TestReviewCapAddAllIsCritical(t *testing.T) {
	c := reviewContainer(t, nil, map[string]any{"CapAdd": []string{"ALL"}, "CapDrop": nil})
	r := check(t, hardenedWith(t, c))
	fs := findingsOf(r, "CIS-5.4", "container rvw ")
	var sev Severity
	for _, f := range fs {
		sev = max(sev, f.Severity)
	}
	if sev != Critical {
		t.Fatalf("--cap-add ALL: highest CIS-5.4 severity %s, want critical like --privileged: %+v", sev, fs)
	}
}

// CVE-2019-5736 affects "runc through 1.0-rc6"; the fix shipped in 1.0.0-rc7. The table says
// 1.0.0-rc6 is fixed.
func TestReviewCVE20195736AffectsRC6(t *testing.T) {
	v, ok := vulnByID("SD-CVE-2019-5736")
	if !ok {
		t.Fatal("no CVE-2019-5736 entry")
	}
	have, err := parseVersion("1.0.0-rc6")
	if err != nil {
		t.Fatal(err)
	}
	if _, affected := affectedBy(have, v.Fixed); !affected {
		t.Fatalf("runc 1.0.0-rc6 reported as fixed for CVE-2019-5736 (Fixed=%v)", v.Fixed)
	}
}

// --security-opt apparmor=unconfined shows both in SecurityOpt and in AppArmorProfile; the
// audit reports the same fact twice.
func TestReviewAppArmorUnconfinedReportedOnce(t *testing.T) {
	c := reviewContainer(t, map[string]any{"AppArmorProfile": "unconfined"},
		map[string]any{"SecurityOpt": []string{"no-new-privileges", "apparmor=unconfined"}})
	r := check(t, hardenedWith(t, c))
	if fs := findingsOf(r, "CIS-5.2", "container rvw "); len(fs) != 1 {
		t.Fatalf("apparmor=unconfined gives %d CIS-5.2 findings, want 1: %+v", len(fs), fs)
	}
}

// The audited daemon's own socket, when it is not named docker.sock (-H unix:///run/engine.sock),
// bound into a container is root on the host, but is neither CIS-5.32 nor on the deny list.
func TestReviewBindOfTheAuditedSocketIsCIS532(t *testing.T) {
	s := hardenedWith(t, reviewContainer(t, nil, map[string]any{"Binds": []string{"/run/engine.sock:/var/run/docker.sock"}}))
	s.Endpoint.Host = "unix:///run/engine.sock"
	s.Host.Socket.Path = "/run/engine.sock"
	s.Config.Hosts = []string{"unix:///run/engine.sock"}
	r := check(t, s)
	fs := findingsOf(r, "CIS-5.32", "container rvw ")
	if len(fs) == 0 || fs[0].Severity != Critical {
		t.Fatalf("bind of the daemon's socket /run/engine.sock not a critical CIS-5.32: %+v", r.AtLeast(Low))
	}
}

// GitHub code scanning, the main consumer of SARIF, rejects the whole file when a result's
// location has no physicalLocation.artifactLocation.uri ("locationFromSarifResult: expected
// artifact location"); every result here has a logical location only.
func TestReviewSARIFResultsHavePhysicalLocations(t *testing.T) {
	r := check(t, loadSnapshot(t, "weak-snapshot.json"))
	var b bytes.Buffer
	if err := RenderSARIF(&b, r, "test"); err != nil {
		t.Fatal(err)
	}
	var log struct {
		Runs []struct {
			Results []struct {
				RuleID    string
				Locations []struct {
					PhysicalLocation *struct {
						ArtifactLocation struct{ URI string }
					}
				}
			}
		}
	}
	if err := json.Unmarshal(b.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	for _, res := range log.Runs[0].Results {
		if len(res.Locations) == 0 || res.Locations[0].PhysicalLocation == nil || res.Locations[0].PhysicalLocation.ArtifactLocation.URI == "" {
			t.Fatalf("result %s has no physical location: GitHub code scanning rejects the file", res.RuleID)
		}
	}
}

// TLSInit creates its directory 0700 but writes into an existing one whatever its mode or
// owner: in a world-writable directory (or one another user owns, reached through a
// symlink) anyone can swap ca.pem or server-cert.pem after the fact.
func TestReviewTLSInitRefusesAnOpenDirectory(t *testing.T) {
	open := func(t *testing.T) string {
		d := filepath.Join(t.TempDir(), "open")
		if err := os.Mkdir(d, 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(d, 0o777); err != nil {
			t.Fatal(err)
		}
		return d
	}
	cases := map[string]func(t *testing.T) string{
		"world-writable": open,
		"symlink to a world-writable directory": func(t *testing.T) string {
			link := filepath.Join(t.TempDir(), "link")
			if err := os.Symlink(open(t), link); err != nil {
				t.Fatal(err)
			}
			return link
		},
		"owned by another user": func(t *testing.T) string {
			if os.Geteuid() != 0 {
				t.Skip("SKIPPED: needs root to give the directory to another user")
			}
			d := filepath.Join(t.TempDir(), "theirs")
			if err := os.Mkdir(d, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Chown(d, 65534, 65534); err != nil {
				t.Fatal(err)
			}
			return d
		},
	}
	for name, mk := range cases {
		t.Run(name, func(t *testing.T) {
			dir := mk(t)
			_, err := TLSInit(TLSOptions{Dir: dir, DNSNames: []string{"localhost"}})
			if err != nil {
				return // refused: fine
			}
			st, _ := os.Stat(dir)
			t.Fatalf("TLSInit wrote keys into %s (mode %v) without refusing or tightening it", dir, st.Mode().Perm())
		})
	}
}

// RFC 5280 §4.2.1.2: end-entity certificates SHOULD carry a subject key identifier. Go adds
// one only to CA templates, so the server and client certificates have none.
func TestReviewTLSLeavesHaveSubjectKeyID(t *testing.T) {
	f, err := TLSInit(TLSOptions{Dir: filepath.Join(t.TempDir(), "tls"), DNSNames: []string{"localhost"}, IPs: []net.IP{net.ParseIP("127.0.0.1")}})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{f.ServerCert, f.ClientCert} {
		if c := readCert(t, p); len(c.SubjectKeyId) == 0 {
			t.Errorf("%s has no subject key identifier", filepath.Base(p))
		}
	}
}

// The printed client environment points DOCKER_CERT_PATH at the directory that also holds
// ca-key.pem and server-key.pem: copying "the client's certificate directory" to a client
// hands it the CA key (and so the power to mint more client certificates) and the daemon's key.
func TestReviewClientCertPathHoldsNoCAKey(t *testing.T) {
	f, err := TLSInit(TLSOptions{Dir: filepath.Join(t.TempDir(), "tls"), DNSNames: []string{"localhost"}})
	if err != nil {
		t.Fatal(err)
	}
	var certPath string
	for _, kv := range f.ClientEnv("tcp://localhost:2376") {
		if v, ok := strings.CutPrefix(kv, "DOCKER_CERT_PATH="); ok {
			certPath = v
		}
	}
	for _, secret := range []string{"ca-key.pem", "server-key.pem"} {
		if _, err := os.Stat(filepath.Join(certPath, secret)); err == nil {
			t.Errorf("DOCKER_CERT_PATH=%s contains %s", certPath, secret)
		}
	}
}
