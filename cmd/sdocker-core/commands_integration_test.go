package main

import (
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"

	"sdocker/internal/testenv"
)

// These tests prove, against the real dockerd, that the commands beyond run and create that
// change what a container may do are decided: start and restart re-check the mounts, network
// connect, the legacy builder, plugins. Each refusal must leave the daemon unchanged.

// suffix makes names unique to this test run.
func suffix() string { return strings.TrimPrefix(runLabel, "sdocker-it=") }

// rootOwnedDir is a directory only root can change, under /tmp (sticky, root's).
func rootOwnedDir(t *testing.T) string {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skip("SKIPPED: the start re-check tests make root-owned and user-owned directories, which needs root")
	}
	d, err := os.MkdirTemp("/tmp", "sdit-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

func createdContainer(t *testing.T, args ...string) string {
	t.Helper()
	r := sdocker(t, append(append([]string{"create"}, labelled()...), append(args, testImage, "sleep")...)...)
	if r.code != 0 {
		t.Fatalf("sdocker create %q: %+v", args, r)
	}
	id := strings.TrimSpace(r.stdout)
	t.Cleanup(func() { exec.Command("docker", "rm", "-f", id).Run() })
	return id
}

func running(t *testing.T, id string) bool {
	t.Helper()
	return inspect(t, id)["State"].(map[string]any)["Running"].(bool)
}

func TestStartRechecksWhatTheDaemonWillMount(t *testing.T) {
	requireDaemon(t)
	base := rootOwnedDir(t)
	src := filepath.Join(base, "data")
	if err := os.Mkdir(src, 0o755); err != nil {
		t.Fatal(err)
	}
	safe := createdContainer(t, "-v", src+":/data")
	if r := sdocker(t, "start", safe); r.code != 0 || !running(t, safe) {
		t.Fatalf("start of a container whose bind only root can change: %+v", r)
	}
	if r := sdocker(t, "container", "restart", "-t", "0", safe); r.code != 0 {
		t.Fatalf("restart of the same container: %+v", r)
	}
	exec.Command("docker", "stop", "-t", "0", safe).Run()

	// Swapped for a symbolic link to /etc after create: start and restart refuse it.
	swapped := createdContainer(t, "--mount", "type=bind,src="+src+",dst=/data")
	if err := os.Remove(src); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc", src); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range [][]string{{"start", swapped}, {"restart", swapped}, {"container", "start", "-a", swapped}} {
		r := sdocker(t, cmd...)
		if r.code != 125 || !strings.Contains(r.stderr, "rule mounts") || !strings.Contains(r.stderr, "resolves to /etc") || running(t, swapped) {
			t.Fatalf("%q after the source became a link to /etc: %+v, want a refusal (rule mounts) and nothing started", cmd, r)
		}
	}

	// A source under a directory another user owns can be swapped between any check and the
	// mount: refused at start, and with a restart policy at create and update.
	home := filepath.Join(base, "home")
	os.MkdirAll(filepath.Join(home, "data"), 0o755)
	os.Chown(home, 65534, 65534)
	userSrc := filepath.Join(home, "data")
	// sdocker creates no such container: another user could swap the source before the mount.
	if r := sdocker(t, append(append([]string{"create"}, labelled()...), "-v", userSrc+":/data", testImage, "sleep")...); r.code != 125 ||
		!strings.Contains(r.stderr, "rule swappable-mounts") || !strings.Contains(r.stderr, "owned by uid 65534") {
		t.Fatalf("create with a bind under another user's directory: %+v, want a refusal (rule swappable-mounts)", r)
	}
	// One made around sdocker (plain docker) is refused at start.
	out, err := exec.Command("docker", append(append([]string{"create"}, labelled()...), "-v", userSrc+":/data", testImage, "sleep")...).Output()
	if err != nil {
		t.Fatalf("docker create: %v", err)
	}
	c := strings.TrimSpace(string(out))
	if r := sdocker(t, "start", c); r.code != 125 || !strings.Contains(r.stderr, "rule swappable-mounts") || !strings.Contains(r.stderr, "owned by uid 65534") || running(t, c) {
		t.Fatalf("start with a bind under a user's directory: %+v, want a refusal (rule swappable-mounts)", r)
	}
	name := "sdit-restart-" + suffix()
	r := sdocker(t, append(append([]string{"run", "-d", "--name", name}, labelled()...), "--restart", "always", "-v", userSrc+":/data", testImage, "sleep")...)
	if r.code != 125 || !strings.Contains(r.stderr, "rule swappable-mounts") || exec.Command("docker", "inspect", name).Run() == nil {
		exec.Command("docker", "rm", "-f", name).Run()
		t.Fatalf("run --restart always with a bind under a user's directory: %+v, want a refusal and no container", r)
	}
	if r := sdocker(t, "update", c, "--restart", "unless-stopped"); r.code != 125 || !strings.Contains(r.stderr, "rule swappable-mounts") {
		t.Fatalf("update --restart with a bind under a user's directory: %+v, want a refusal", r)
	}
	if got := inspect(t, c)["HostConfig"].(map[string]any)["RestartPolicy"].(map[string]any)["Name"]; got != "no" && got != "" {
		t.Fatalf("restart policy became %v", got)
	}
	// Safe sources keep their restart policy.
	name2 := "sdit-restart-ok-" + suffix()
	os.MkdirAll(src+"2", 0o755)
	if r := sdocker(t, append(append([]string{"create", "--name", name2}, labelled()...), "--restart", "always", "-v", src+"2:/data", testImage, "sleep")...); r.code != 0 {
		t.Fatalf("create --restart always with a root-owned bind: %+v", r)
	}
	exec.Command("docker", "rm", "-f", name2).Run()
}

func TestNetworkConnectIsDecided(t *testing.T) {
	requireDaemon(t)
	c := createdContainer(t)
	net := "sdit-net-" + suffix()
	if out, err := exec.Command("docker", "network", "create", "--label", runLabel, net).CombinedOutput(); err != nil {
		t.Fatalf("docker network create: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command("docker", "network", "rm", net).Run() })
	bridgeID, _ := exec.Command("docker", "network", "inspect", "-f", "{{.Id}}", "bridge").Output()
	for _, tc := range []struct{ network, rule string }{
		{"bridge", "rule network"},
		{string(bridgeID[:8]), "rule network"},
		{"host", "rule host-namespaces"},
	} {
		r := sdocker(t, "network", "connect", tc.network, c)
		if r.code != 125 || !strings.Contains(r.stderr, tc.rule) {
			t.Errorf("network connect %s: %+v, want a refusal (%s)", tc.network, r, tc.rule)
		}
	}
	nets := inspect(t, c)["NetworkSettings"].(map[string]any)["Networks"].(map[string]any)
	if _, ok := nets["bridge"]; ok {
		t.Fatalf("the container joined the default bridge: %v", nets)
	}
	if r := sdocker(t, "network", "connect", net, c, "--alias", "web"); r.code != 0 {
		t.Fatalf("network connect to a user-defined network: %+v", r)
	}
}

func TestLegacyBuildIsDecided(t *testing.T) {
	requireDaemon(t)
	ctx := t.TempDir()
	df := "FROM " + testImage + "\nRUN [\"/ctr\", \"file\", \"/sys/fs/cgroup/memory/memory.limit_in_bytes\"]\n"
	if err := os.WriteFile(filepath.Join(ctx, "Dockerfile"), []byte(df), 0o644); err != nil {
		t.Fatal(err)
	}
	tag := "sdit-build:" + suffix()
	t.Cleanup(func() { exec.Command("docker", "rmi", "-f", tag).Run() })
	for _, args := range [][]string{
		{"build", ctx, "--network", "host", "-t", tag},
		{"image", "build", "--security-opt", "seccomp=unconfined", "-t", tag, ctx},
		{"builder", "build", "-m", "64g", "-t", tag, ctx},
	} {
		r := runBin(t, sdockerBin, "", []string{"DOCKER_BUILDKIT=0"}, args...)
		if r.code != 125 || !strings.Contains(r.stderr, "(rule ") || exec.Command("docker", "image", "inspect", tag).Run() == nil {
			t.Fatalf("%q: %+v, want a refusal and no image", args, r)
		}
	}
	r := runBin(t, sdockerBin, "", []string{"DOCKER_BUILDKIT=0"}, "build", "--no-cache", "-t", tag, ctx)
	if r.code != 0 {
		t.Fatalf("build: %+v", r)
	}
	// The RUN step ran with the policy's memory limit (1g).
	if !strings.Contains(r.stdout, "1073741824") {
		t.Fatalf("build output does not show the RUN step's 1g memory limit:\n%s", r.stdout)
	}
}

// TestBuildKitBuildIsDecided: where buildx is installed, docker build is buildx build, and
// sdocker reads it with buildx's flags: BuildKit's entitlements and the host's network are
// refused, buildx's other builders' commands too, and an ordinary build runs.
func TestBuildKitBuildIsDecided(t *testing.T) {
	requireDaemon(t)
	if exec.Command("docker", "buildx", "version").Run() != nil {
		testenv.Missing(t, "docker buildx is not installed (scripts/install-buildx.sh)")
	}
	ctx := t.TempDir()
	if err := os.WriteFile(filepath.Join(ctx, "Dockerfile"), []byte("FROM "+testImage+"\nRUN [\"/ctr\", \"status\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tag := "sdit-buildkit:" + suffix()
	t.Cleanup(func() { exec.Command("docker", "rmi", "-f", tag).Run() })
	for _, tc := range []struct {
		args []string
		rule string
	}{
		{[]string{"build", ctx, "--allow", "security.insecure", "-t", tag}, "rule privileged"},
		{[]string{"build", "--network=host", "-t", tag, ctx}, "rule host-namespaces"},
		{[]string{"buildx", "build", "--allow", "network.host", "-t", tag, ctx}, "rule host-namespaces"},
		{[]string{"buildx", "b", "--allow", "device", "-t", tag, ctx}, "rule devices"},
		{[]string{"buildx", "bake", "-f", filepath.Join(ctx, "Dockerfile")}, "rule buildkit"},
		{[]string{"buildx", "create", "--name", "sdit-" + suffix()}, "rule buildkit"},
	} {
		r := runBin(t, sdockerBin, "", []string{"DOCKER_BUILDKIT=1"}, tc.args...)
		if r.code != 125 || !strings.Contains(r.stderr, tc.rule) || exec.Command("docker", "image", "inspect", tag).Run() == nil {
			t.Fatalf("%q: %+v, want a refusal (%s) and no image", tc.args, r, tc.rule)
		}
	}
	if r := runBin(t, sdockerBin, "", []string{"DOCKER_BUILDKIT=1"}, "build", "--progress", "plain", "-t", tag, ctx); r.code != 0 {
		t.Fatalf("BuildKit build: %+v", r)
	}
	if exec.Command("docker", "image", "inspect", tag).Run() != nil {
		t.Fatal("the allowed BuildKit build left no image")
	}
}

// pluginDir is a plugin's data directory: the test image's files as its rootfs and config.
func pluginDir(t *testing.T, config string) string {
	t.Helper()
	dir := t.TempDir()
	rootfs := filepath.Join(dir, "rootfs")
	os.Mkdir(rootfs, 0o755)
	cid, err := exec.Command("docker", "create", testImage).Output()
	if err != nil {
		t.Fatal(err)
	}
	id := strings.TrimSpace(string(cid))
	defer exec.Command("docker", "rm", id).Run()
	export := exec.Command("sh", "-c", "docker export "+id+" | tar -x -C "+rootfs)
	if out, err := export.CombinedOutput(); err != nil {
		t.Fatalf("exporting the test image: %v\n%s", err, out)
	}
	// Each plugin's rootfs differs: the daemon refuses two plugins with the same layer.
	if err := os.WriteFile(filepath.Join(rootfs, "config.json"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

const pluginConfig = `{"Description":"sdocker test","Documentation":"-","Entrypoint":["/ctr","sleep"],
 "Interface":{"Types":["docker.volumedriver/1.0"],"Socket":"p.sock"},"Network":{"Type":"%s"},
 "Mounts":[{"Name":"data","Source":%s,"Destination":"/data","Type":"bind","Options":["rbind"],"Settable":["source"]}],
 "Linux":{"Capabilities":%s}}`

func TestPluginCommandsAreDecided(t *testing.T) {
	requireDaemon(t)
	bad := pluginDir(t, fmt.Sprintf(pluginConfig, "host", `"/etc"`, `["CAP_SYS_ADMIN"]`))
	good := pluginDir(t, fmt.Sprintf(pluginConfig, "none", `"/srv"`, `[]`))
	name := "sdit/plugin-" + suffix()
	t.Cleanup(func() {
		exec.Command("docker", "plugin", "rm", "-f", name+":bad").Run()
		exec.Command("docker", "plugin", "rm", "-f", name+":good").Run()
	})

	r := sdocker(t, "plugin", "create", name+":bad", bad)
	for _, rule := range []string{"rule host-namespaces", "rule mounts", "rule capabilities"} {
		if r.code != 125 || !strings.Contains(r.stderr, rule) {
			t.Fatalf("plugin create with host network, /etc and SYS_ADMIN: %+v, want a refusal (%s)", r, rule)
		}
	}
	if exec.Command("docker", "plugin", "inspect", name+":bad").Run() == nil {
		t.Fatal("the refused plugin was created")
	}
	// Created around sdocker, it cannot be enabled through it.
	if out, err := exec.Command("docker", "plugin", "create", name+":bad", bad).CombinedOutput(); err != nil {
		t.Fatalf("docker plugin create: %v\n%s", err, out)
	}
	if r := sdocker(t, "plugin", "enable", name+":bad"); r.code != 125 || !strings.Contains(r.stderr, "rule host-namespaces") {
		t.Fatalf("plugin enable: %+v, want a refusal", r)
	}
	// A plugin that asks for nothing dangerous is created; pointing its mount at docker's
	// socket is refused.
	if r := sdocker(t, "plugin", "create", name+":good", good); r.code != 0 {
		t.Fatalf("plugin create of a plugin without dangerous privileges: %+v", r)
	}
	if r := sdocker(t, "plugin", "set", name+":good", "data.source=/var/run/docker.sock"); r.code != 125 || !strings.Contains(r.stderr, "rule mounts") {
		t.Fatalf("plugin set data.source=/var/run/docker.sock: %+v, want a refusal", r)
	}
	out, _ := exec.Command("docker", "plugin", "inspect", "-f", "{{range .Settings.Mounts}}{{.Source}}{{end}}", name+":good").Output()
	if strings.Contains(string(out), "docker.sock") {
		t.Fatalf("the plugin's mount now points at %s", out)
	}
}

// TestSwarmCommandsAreDecided runs a private dockerd as a one-node swarm (never the host's).
func TestSwarmCommandsAreDecided(t *testing.T) {
	// Where swarm is not active, docker refuses service create itself.
	if r := sdocker(t, "service", "create", "--mount", "type=bind,src=/etc,dst=/e", testImage); r.code == 0 || strings.Contains(r.stderr, "rule mounts") {
		t.Fatalf("service create without a swarm: %+v, want docker's own error", r)
	}
	d := startDaemon(t, map[string]any{}, false)
	d.docker(t, "swarm", "init", "--advertise-addr", "127.0.0.1")
	sd := func(args ...string) result { return sdocker(t, append([]string{"-H", d.host()}, args...)...) }
	services := func() string { return d.docker(t, "service", "ls", "--format", "{{.Name}}") }

	for _, tc := range []struct {
		args []string
		rule string
	}{
		{[]string{"service", "create", "-d", "--no-resolve-image", "--name", "bad1", "--mount", "type=bind,src=/var/run/docker.sock,dst=/s", testImage, "sleep"}, "rule mounts"},
		{[]string{"service", "create", "-d", "--no-resolve-image", "--name", "bad2", "--cap-add", "SYS_ADMIN", testImage, "sleep"}, "rule capabilities"},
		{[]string{"service", "create", "-d", "--no-resolve-image", "--name", "bad3", "--network", "host", testImage, "sleep"}, "rule host-namespaces"},
	} {
		if r := sd(tc.args...); r.code != 125 || !strings.Contains(r.stderr, tc.rule) {
			t.Errorf("%q: %+v, want a refusal (%s)", tc.args, r, tc.rule)
		}
	}
	if s := services(); s != "" {
		t.Fatalf("refused services exist: %s", s)
	}
	if r := sd("service", "create", "-d", "--no-resolve-image", "--name", "ok", testImage, "sleep"); r.code != 0 {
		t.Fatalf("service create: %+v", r)
	}
	spec := d.docker(t, "service", "inspect", "-f", "{{json .Spec.TaskTemplate}}", "ok")
	for _, want := range []string{`"CapabilityDrop":["ALL"]`, `"MemoryBytes":1073741824`, `"NanoCPUs":1000000000`} {
		if !strings.Contains(spec, want) {
			t.Errorf("service ok's task template lacks %s: %s", want, spec)
		}
	}
	if r := sd("service", "update", "-d", "ok", "--cap-add", "SYS_ADMIN"); r.code != 125 || !strings.Contains(r.stderr, "rule capabilities") {
		t.Fatalf("service update --cap-add SYS_ADMIN: %+v, want a refusal", r)
	}

	dir := rootOwnedDir(t)
	write := func(name, yml string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(yml), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	bad := write("bad.yml", "version: \"3.8\"\nservices:\n  web:\n    image: "+testImage+"\n    command: [sleep]\n    volumes: [\"/etc:/host-etc\"]\n")
	if r := sd("stack", "deploy", "--resolve-image", "never", "-c", bad, "bad"); r.code != 125 || !strings.Contains(r.stderr, "rule mounts") ||
		!strings.Contains(r.stderr, "services.web.volumes") {
		t.Fatalf("stack deploy with a bind of /etc: %+v, want a refusal naming the service's key", r)
	}
	os.Mkdir(filepath.Join(dir, "data"), 0o755)
	good := write("good.yml", "version: \"3.8\"\nservices:\n  app:\n    image: "+testImage+"\n    command: [sleep]\n    volumes: [\"./data:/data\"]\n")
	if r := sd("stack", "up", "--resolve-image", "never", "-c", good, "good"); r.code != 0 {
		t.Fatalf("stack deploy of a stack the policy allows: %+v", r)
	}
	mounts := d.docker(t, "service", "inspect", "-f", "{{json .Spec.TaskTemplate.ContainerSpec.Mounts}}", "good_app")
	if !strings.Contains(mounts, `"Source":"`+filepath.Join(dir, "data")+`"`) {
		t.Fatalf("the deployed stack's bind is %s, want %s (relative to the compose file)", mounts, filepath.Join(dir, "data"))
	}
}

// TestPluginInstallJudgesTheRemotePrivileges pushes a plugin that asks for the host's network
// and /etc to a registry on 127.0.0.1 and installs it through sdocker: the privileges the daemon
// reads from the registry are refused, as is a setting that points a mount at docker's socket.
func TestPluginInstallJudgesTheRemotePrivileges(t *testing.T) {
	requireDaemon(t)
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	bad := host + "/sdit/plugin-bad:" + suffix()
	good := host + "/sdit/plugin-good:" + suffix()
	for ref, cfg := range map[string]string{
		bad:  fmt.Sprintf(pluginConfig, "host", `"/etc"`, `[]`),
		good: fmt.Sprintf(pluginConfig, "none", `null`, `[]`),
	} {
		dir := pluginDir(t, cfg)
		for _, args := range [][]string{{"plugin", "create", ref, dir}, {"plugin", "push", ref}, {"plugin", "rm", ref}} {
			if out, err := exec.Command("docker", args...).CombinedOutput(); err != nil {
				t.Fatalf("docker %q: %v\n%s", args, err, out)
			}
		}
	}
	t.Cleanup(func() {
		exec.Command("docker", "plugin", "rm", "-f", bad).Run()
		exec.Command("docker", "plugin", "rm", "-f", good).Run()
	})
	r := sdocker(t, "plugin", "install", "--grant-all-permissions", bad)
	if r.code != 125 || !strings.Contains(r.stderr, "rule host-namespaces") || !strings.Contains(r.stderr, "rule mounts") {
		t.Fatalf("plugin install of a plugin asking for the host's network and /etc: %+v, want a refusal", r)
	}
	if exec.Command("docker", "plugin", "inspect", bad).Run() == nil {
		t.Fatal("the refused plugin was installed")
	}
	if r := sdocker(t, "plugin", "install", "--disable", "--grant-all-permissions", good, "data.source=/run/docker.sock"); r.code != 125 || !strings.Contains(r.stderr, "rule mounts") {
		t.Fatalf("plugin install with data.source=/run/docker.sock: %+v, want a refusal", r)
	}
	if r := sdocker(t, "plugin", "install", "--disable", "--grant-all-permissions", good); r.code != 0 {
		t.Fatalf("plugin install of a plugin without dangerous privileges: %+v", r)
	}
}

// TestFlagsAfterTheContainerAreDecided: docker reads update's and start's flags after their
// positional arguments too ("update c1 --cpus 64"), and so does sdocker.
func TestFlagsAfterTheContainerAreDecided(t *testing.T) {
	requireDaemon(t)
	c := createdContainer(t)
	if r := sdocker(t, "update", c, "--cpus", "64"); r.code != 125 || !strings.Contains(r.stderr, "rule resources") {
		t.Fatalf("update CONTAINER --cpus 64: %+v, want a refusal", r)
	}
	if n := inspect(t, c)["HostConfig"].(map[string]any)["NanoCpus"].(float64); n > 4e9 {
		t.Fatalf("NanoCpus became %v", n)
	}
}
