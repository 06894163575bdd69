package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"sdocker/internal/testenv"
)

// The CI runners' job shapes (testdata/ci), replayed through the sdocker binary against the real
// dockerd as the runners send them: as the runner's own non-root user in the docker group, in
// directories laid out and owned as the runner's, with the corpus' command lines.

// Jenkins' docker.inside as the docker pipeline plugin runs it on an agent whose user is uid
// 1000: run -t -d -u 1000:1000 -w WS -v WS:WS:rw,z -v WS@tmp:WS@tmp:rw,z … cat, then each sh
// step as docker exec, the step writing the workspace as the agent's user; docker top finds cat;
// stop and rm.
func TestCIJenkinsInside(t *testing.T) {
	t.Run("daemon socket", func(t *testing.T) { jenkinsInside(t, false) })
	t.Run("behind the proxy", func(t *testing.T) { jenkinsInside(t, true) })
}

func jenkinsInside(t *testing.T, behindProxy bool) {
	start := time.Now()
	root, bin, u := ciHost(t, 1000)
	ws := ciDir(t, root, "agent/workspace/app", 1000)
	tmp := ciDir(t, root, "agent/workspace/app@tmp/durable-0a1b2c3d", 1000)
	script := filepath.Join(tmp, "script.sh")
	if err := os.WriteFile(script, []byte("echo built by $BUILD_TAG > \"$WORKSPACE/out.txt\"\nid -u\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chown(script, 1000, 1000)
	u.policy = ciPolicy(t, root, "jenkins")
	ciProxy(t, root, u.policy)
	u.reachPoliced(t, bin, root)
	if behindProxy {
		u.host = "unix://" + filepath.Join(ciRun(root), "docker.sock")
	}
	// A job image whose entrypoint runs the command it is given, as inside() requires (the
	// official images' do); the redis replica's does.
	img := requireReplica(t, "redis")
	label := "sdocker-ci-jenkins=" + randomHex(4)
	removeLater(t, label)
	repl := map[string]string{"maven:3-eclipse-temurin-21": img}
	layout := map[string]string{"{JWS}": ws}

	run := corpusEntry(t, "inside-run", layout, repl)
	u.env = run.env
	// The run's own label, to find what to remove: the plugin passes args where --label fits.
	argv := append([]string{run.argv[0], "--label", label}, run.argv[1:]...)
	id := u.must(t, bin, argv...)
	hc := inspect(t, id)["HostConfig"].(map[string]any)
	if hc["CapDrop"] == nil || hc["Privileged"] != false {
		t.Errorf("docker.inside's container is not hardened: CapDrop %v Privileged %v", hc["CapDrop"], hc["Privileged"])
	}
	top := corpusEntry(t, "inside-top", layout, map[string]string{"0b6f1a2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4": id})
	if out := u.must(t, bin, top.argv...); !strings.Contains(out, "cat") {
		t.Errorf("docker top finds no cat:\n%s", out)
	}
	step := corpusEntry(t, "inside-exec-sh", layout, map[string]string{"0b6f1a2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4": id})
	if out := u.must(t, bin, step.argv...); !strings.HasSuffix(out, "1000") {
		t.Errorf("the step ran as %q, want uid 1000", out)
	}
	if b, err := os.ReadFile(filepath.Join(ws, "out.txt")); err != nil || strings.TrimSpace(string(b)) != "built by jenkins-app-42" {
		t.Errorf("the step's file in the workspace: %q, %v", b, err)
	}
	stop := corpusEntry(t, "inside-stop", layout, map[string]string{"0b6f1a2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4": id})
	u.must(t, bin, stop.argv...)
	u.must(t, bin, "rm", "-f", id)

	// agent { docker { args '-v /var/run/docker.sock:/var/run/docker.sock' } }: the job builds
	// and runs containers through the socket it is given, the policed one, with a docker CLI it
	// brings in its workspace.
	cli, err := exec.LookPath("docker")
	if err != nil {
		testenv.Missing(t, "no docker CLI on PATH")
	}
	ciDir(t, ws, ".bin", 1000)
	copyFile(t, cli, filepath.Join(ws, ".bin", "docker"), 0o755)
	sock := corpusEntry(t, "inside-run-args-socket", layout, map[string]string{"docker:cli": img})
	id = u.must(t, bin, append([]string{sock.argv[0], "--label", label}, sock.argv[1:]...)...)
	for _, m := range inspect(t, id)["Mounts"].([]any) {
		if mm := m.(map[string]any); mm["Destination"] == "/var/run/docker.sock" && mm["Source"] != ciPoliced(root) {
			t.Errorf("the job's /var/run/docker.sock is %v, want the policed %s", mm["Source"], ciPoliced(root))
		}
	}
	step = corpusEntry(t, "inside-exec-sh", layout, map[string]string{"0b6f1a2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4": id})
	build := "d=" + ws + "/.bin/docker\n$d ps --format '{{.ID}}' --no-trunc\nif $d run --rm --privileged " + img + " true 2>&1; then echo privileged ran; fi\n"
	if err := os.WriteFile(script, []byte(build), 0o644); err != nil {
		t.Fatal(err)
	}
	r := u.run(t, bin, step.argv...)
	if !strings.Contains(r.stdout, id) || !strings.Contains(r.stdout, "rule privileged") || strings.Contains(r.stdout, "privileged ran") {
		t.Errorf("docker through the job's socket: exit %d, want docker ps to list the job and --privileged refused:\n%s%s", r.code, r.stdout, r.stderr)
	}
	u.must(t, bin, "rm", "-f", id)
	t.Logf("Jenkins docker.inside replayed in %v", time.Since(start))
}

// The GitHub Actions runner's container job (actions/runner: ContainerOperationProvider,
// DockerCommandManager, ContainerStepHost) with a postgres service, on a host set up with the
// github-actions preset: the job network; the service created on it with its port, published
// on the loopback only; the job container with the runner's binds of its _work directory (owned
// by the runner's uid 1001) and the daemon's socket, given the policed one; docker start; steps
// by docker exec that write the workspace as root, reach the service by its network alias and
// run docker ps through the socket the job got; a privileged container asked through that
// socket is refused.
func TestCIGitHubActionsJob(t *testing.T) {
	t.Run("daemon socket", func(t *testing.T) { githubActionsJob(t, false) })
	// As sdocker ci setup leaves the host: the runner's DOCKER_HOST is the proxy's socket, so the
	// CLI door's command lines meet the API door too.
	t.Run("behind the proxy", func(t *testing.T) { githubActionsJob(t, true) })
}

func githubActionsJob(t *testing.T, behindProxy bool) {
	start := time.Now()
	root, bin, u := ciHost(t, 1001)
	runner := ciDir(t, root, "actions-runner", 1001)
	work := ciDir(t, root, "actions-runner/_work", 1001)
	for _, d := range []string{"_temp/_github_home", "_temp/_github_workflow", "_actions", "_tool/docker", "app/app"} {
		ciDir(t, work, d, 1001)
	}
	ciDir(t, runner, "externals", 1001)
	// A docker CLI in the tool cache, as setup actions leave one (this machine's is static).
	dockerCLI, err := exec.LookPath("docker")
	if err != nil {
		testenv.Missing(t, "no docker CLI on PATH")
	}
	copyFile(t, dockerCLI, filepath.Join(work, "_tool/docker/docker"), 0o755)
	u.policy = ciPolicy(t, root, "github-actions")
	ciProxy(t, root, u.policy)
	u.reachPoliced(t, bin, root)
	if behindProxy {
		u.host = "unix://" + filepath.Join(ciRun(root), "docker.sock")
	}

	instance := randomHex(3) // the runner's instance label: six hex digits
	network := "github_network_" + randomHex(16)
	removeLater(t, instance, network)
	repl := map[string]string{
		"9f86d0": instance,
		"github_network_5d41402abc4b2a76b9719d911017c592": network,
		"postgres:16": requireReplica(t, "postgres"),
		"redis:7":     requireReplica(t, "redis"),
		"node:20":     requireReplica(t, "apt"),
		// ports: [5432] rather than [5432:5432]: a host port of the daemon's choosing, as the
		// runner reads back with docker port (the daemon is shared with other tests).
		"5432:5432": "5432", "6379:6379": "6379",
	}
	layout := map[string]string{"{RUNNER}": runner, "{WORK}": work, "{TOOLS}": filepath.Join(work, "_tool")}
	step := func(name string) ciEntry { return corpusEntry(t, name, layout, repl) }

	net := step("network-create")
	u.env = net.env
	// The daemon is shared: its default address pools can all be taken by other tests' bridges
	// (it says so). network create is handed to docker untouched, so a subnet of the test's own
	// changes nothing sdocker decides.
	if r := u.run(t, bin, net.argv...); r.code != 0 {
		if !strings.Contains(r.stderr, "could not find an available, non-overlapping IPv4 address pool") {
			t.Fatalf("sdocker %q: exit %d\n%s%s", net.argv, r.code, r.stdout, r.stderr)
		}
		b := []byte(randomHex(2))
		subnet := fmt.Sprintf("10.%d.%d.0/24", 200+int(b[0])%50, int(b[1])%250)
		u.must(t, bin, append(net.argv[:len(net.argv)-1:len(net.argv)-1], "--subnet", subnet, net.argv[len(net.argv)-1])...)
	}

	// The services, which the step reaches by their network aliases.
	var services []string
	for _, name := range []string{"service-postgres-create", "service-redis-create"} {
		svc := step(name)
		id := u.must(t, bin, svc.argv...)
		u.must(t, bin, "start", id)
		services = append(services, id)
		for port, b := range inspect(t, id)["HostConfig"].(map[string]any)["PortBindings"].(map[string]any) {
			if ip := b.([]any)[0].(map[string]any)["HostIp"]; ip != "127.0.0.1" {
				t.Errorf("%s: port %s is published on %q, want 127.0.0.1", name, port, ip)
			}
		}
	}
	pgName := step("service-postgres-create").argv[2]

	job := step("job-container-create")
	jobID := u.must(t, bin, job.argv...)
	hc := inspect(t, jobID)["HostConfig"].(map[string]any)
	var socketBind string
	for _, m := range inspect(t, jobID)["Mounts"].([]any) {
		if mm := m.(map[string]any); mm["Destination"] == "/var/run/docker.sock" {
			socketBind = mm["Source"].(string)
		}
	}
	if socketBind != ciPoliced(root) {
		t.Fatalf("the job container's /var/run/docker.sock is %q, want the policed %s", socketBind, ciPoliced(root))
	}
	if fmt.Sprint(hc["CapDrop"]) != "[ALL]" || hc["Memory"] != float64(4<<30) {
		t.Errorf("the job container: CapDrop %v Memory %v, want [ALL] and the preset's 4g", hc["CapDrop"], hc["Memory"])
	}
	if r := u.run(t, bin, step("job-container-start").argv[0], jobID); r.code != 0 {
		// Recorded, then started as docker would, to check the job itself.
		t.Errorf("docker start of the job container the runner created: exit %d\n%s", r.code, r.stderr)
		if out, err := exec.Command("docker", "start", jobID).CombinedOutput(); err != nil {
			t.Fatalf("docker start: %v %s", err, out)
		}
	}

	// One run: step, as ScriptHandler writes it to _temp and ContainerStepHost runs it.
	script := filepath.Join(work, "_temp", "5f1e2a4b-7c3d-4e6f-8a9b-0c1d2e3f4a5b.sh")
	body := `set -e
echo built > /__w/app/app/built.txt
id -u
bash -c 'for i in $(seq 1 100); do (echo > /dev/tcp/postgres/5432) 2>/dev/null && echo reached postgres && exit 0; sleep 0.2; done; exit 1'
bash -c 'for i in $(seq 1 100); do if (echo > /dev/tcp/redis/6379) 2>/dev/null; then exec 3<>/dev/tcp/redis/6379; printf "PING\r\n" >&3; head -c 5 <&3; echo; exit 0; fi; sleep 0.2; done; exit 1'
/__t/docker/docker ps --format '{{.Names}}'
for i in $(seq 1 50); do /__t/docker/docker exec ` + pgName + ` psql -U postgres -tAc 'select 40+2' 2>/dev/null && break; sleep 0.2; done
if /__t/docker/docker create --privileged ` + repl["node:20"] + ` 2>/tmp/err; then echo privileged created; else cat /tmp/err; fi
`
	if err := os.WriteFile(script, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chown(script, 1001, 1001)
	run := corpusEntry(t, "step-run-script", layout, map[string]string{"3f79bb7b435b05321651daefd374cdc681dc06faa65e374e38337b88ca046dea": jobID})
	u.env = run.env
	r := u.run(t, bin, run.argv...)
	if r.code != 0 {
		t.Fatalf("the run: step failed: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"0\n", "reached postgres", "+PONG", pgName, "42\n", "rule privileged"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("the step's output lacks %q:\n%s%s", want, r.stdout, r.stderr)
		}
	}
	if strings.Contains(r.stdout, "privileged created") {
		t.Errorf("a privileged container was created through the job's socket")
	}
	if b, err := os.ReadFile(filepath.Join(work, "app/app/built.txt")); err != nil || string(b) != "built\n" {
		t.Errorf("the workspace file the step wrote: %q, %v", b, err)
	}
	u.must(t, bin, corpusEntry(t, "job-container-remove", layout, map[string]string{"3f79bb7b435b05321651daefd374cdc681dc06faa65e374e38337b88ca046dea": jobID}).argv...)

	// A Docker container action (ContainerActionHandler, DockerRun): docker run --rm with the
	// runner's binds and the daemon's socket. The action's image (built from its Dockerfile, as
	// LABEL:STEP) is the test image, its arguments a read of the workflow's event file.
	action := instance + ":4e07408562bedb8b60ce05c1decfe3ad"
	if out, err := exec.Command("docker", "tag", testImage, action).CombinedOutput(); err != nil {
		t.Fatalf("docker tag: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("docker", "rmi", action).Run() })
	event := filepath.Join(work, "_temp/_github_workflow/event.json")
	if err := os.WriteFile(event, []byte(`{"action":"opened"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	act := corpusEntry(t, "container-action-run", layout, map[string]string{"9f86d0:4e07408562bedb8b60ce05c1decfe3ad": action,
		"9f86d0": instance, "--config": "file", ".lint.yml": "/github/workflow/event.json"})
	u.env = act.env
	if out := u.must(t, bin, act.argv...); out != `{"action":"opened"}` {
		t.Errorf("the container action read %q from the workflow's event file", out)
	}
	u.must(t, bin, append([]string{"rm", "--force"}, services...)...)
	u.must(t, bin, "network", "rm", network)
	t.Logf("GitHub Actions container job replayed in %v", time.Since(start))
}

// Buildkite's docker plugin (commands/run.sh) as the agent's user: the checkout bound at
// /workdir, the step's command run there and its output left in the checkout; with the daemon's
// socket in the plugin's volumes, the step builds through the policed socket and a privileged
// container is refused.
func TestCIBuildkiteRun(t *testing.T) {
	start := time.Now()
	root, bin, u := ciHost(t, 998)
	checkout := ciDir(t, root, "builds/agent-1/acme/app", 998)
	u.policy = ciPolicy(t, root, "buildkite")
	ciProxy(t, root, u.policy)
	u.reachPoliced(t, bin, root)
	cli, err := exec.LookPath("docker")
	if err != nil {
		testenv.Missing(t, "no docker CLI on PATH")
	}
	copyFile(t, cli, filepath.Join(checkout, "docker"), 0o755)
	job := randomHex(8)
	label := "com.buildkite.job-id=" + job
	removeLater(t, label)
	img := requireReplica(t, "redis") // its entrypoint runs the command it is given
	repl := map[string]string{"01890a5d-ac96-4a6b-9d6a-2e6c1b3d4f50": job, "golang:1.26": img, "docker:cli": img,
		"go test ./... > test-report.txt": "id -u > test-report.txt",
		"docker build -t app .":           "./docker ps --format '{{.Names}}' --filter label=" + label + "; ./docker create --privileged " + img + " || true"}
	layout := map[string]string{"{BK}": checkout}

	run := corpusEntry(t, "run-no-tty", layout, repl)
	u.env = run.env
	u.must(t, bin, run.argv...)
	if b, err := os.ReadFile(filepath.Join(checkout, "test-report.txt")); err != nil || strings.TrimSpace(string(b)) != "0" {
		t.Errorf("the step's report in the checkout: %q, %v", b, err)
	}

	sock := corpusEntry(t, "run-volumes-socket", layout, repl)
	// The plugin's command line with the daemon's socket, less -t -i (no terminal here).
	argv := slices.DeleteFunc(slices.Clone(sock.argv), func(a string) bool { return a == "-t" || a == "-i" })
	u.env = sock.env
	r := u.run(t, bin, argv...)
	if r.code != 0 || !strings.Contains(r.stderr+r.stdout, "rule privileged") {
		t.Errorf("docker through the step's socket: exit %d, want --privileged refused:\n%s%s", r.code, r.stdout, r.stderr)
	}
	t.Logf("Buildkite docker plugin replayed in %v", time.Since(start))
}
