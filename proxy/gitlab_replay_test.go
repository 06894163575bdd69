package proxy_test

import (
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"sdocker/defaults"
	"sdocker/internal/testenv"
)

// A GitLab docker-executor job replayed through the proxy against the real daemon, with the
// create bodies of testdata/ci (the runner's, with this machine's images and names): the
// runner's volumes and per-build network are made, the postgres service starts with the
// runner's volumes, the helper writes the checkout into /builds, the job reads it, writes its
// own file there and reaches the service by its alias; on a runner that binds the docker socket
// the job asks the daemon through the policed socket instead. The privileged dind service is
// refused with its rule and the policed socket as the fix. The proxy runs the gitlab preset.
func TestGitLabJobReplay(t *testing.T) {
	requireDaemon(t)
	postgres := "sdocker-replica/postgres:current"
	if exec.Command("docker", "image", "inspect", postgres).Run() != nil {
		testenv.Missing(t, "image "+postgres+" is missing: build it with scripts/build-replicas.sh postgres")
	}
	preset, err := defaults.Preset("gitlab")
	if err != nil {
		t.Fatal(err)
	}
	px := startProxyPolicy(t, preset)
	rp := newReplay(t, px)
	k, v := rp.k, rp.v
	// The runner's names, made unique for this run.
	const prefix = "runner-t3st-project-42-concurrent-0"
	const volumes = "runner-0f1e2d3c4b5a69788796a5b4c3d2e1f0" // ProjectRealUniqueName, the cache volumes' prefix
	unique := strings.NewReplacer(prefix, prefix+"-"+rp.id, "runner-t3st", "runner-t3st-"+rp.id, volumes, volumes+"-"+rp.id)
	call, run := rp.call, rp.run
	start := time.Now()

	// What the runner makes before its containers: the cache volumes of /builds and /cache,
	// and the build's network (FF_NETWORK_PER_BUILD).
	job := loadCorpus(t, "gitlab-job", unique)
	binds := job.HostConfig["Binds"].([]any)
	for _, b := range binds {
		name, _, _ := strings.Cut(b.(string), ":")
		rp.volume(name, map[string]any{"Name": name, "Labels": map[string]string{k: v, "com.gitlab.gitlab-runner.type": "cache"}})
	}
	network := job.HostConfig["NetworkMode"].(string)
	rp.network(network, map[string]any{"Name": network, "Labels": map[string]string{k: v}, "EnableIPv6": false, "Options": map[string]string{}})

	// The service first, as the runner starts services before the job.
	svc := loadCorpus(t, "gitlab-service-postgres", unique)
	// services: [{name: postgres:16, command: [postgres, -c, listen_addresses=*]}]: the
	// replica keeps Debian's listen_addresses (localhost), where the official image listens on
	// every address.
	svcID := run(svc, postgres, []string{"postgres", "-c", "listen_addresses=*"}, false)
	// The helper clones into /builds; the job reads the checkout, writes beside it, and
	// reaches postgres by its alias on the build's network.
	run(loadCorpus(t, "gitlab-helper", unique), image, []string{"write", "/builds/group/project/checkout", "cloned"}, true)
	jobID := run(job, image, []string{"read", "/builds/group/project/checkout", "--", "write", "/builds/group/project/job.log", "built",
		"--", "dial", "postgres:5432"}, true)
	logs, _ := exec.Command("docker", "logs", jobID).CombinedOutput()
	if !strings.Contains(string(logs), "cloned") || !strings.Contains(string(logs), "reached postgres:5432") {
		t.Errorf("the job's log: %s", logs)
	}
	for _, ctr := range []string{jobID, svcID} {
		hc := inspect(t, ctr)["HostConfig"].(map[string]any)
		if hc["NetworkMode"] != network || fmt.Sprint(hc["CapDrop"]) != "[ALL]" {
			t.Errorf("%s: NetworkMode %v, CapDrop %v; want the build's network, hardened", ctr, hc["NetworkMode"], hc["CapDrop"])
		}
	}
	// The job's file is in the /builds volume, for the next stage's containers.
	out, err := exec.Command("docker", "run", "--rm", "--label", runLabel, "-v", strings.Split(binds[0].(string), ":")[0]+":/builds", image, "read", "/builds/group/project/job.log").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "built") {
		t.Errorf("the /builds volume after the job: %v %s", err, out)
	}

	// A runner that binds the docker socket (volumes in config.toml): the job gets the
	// policed socket in its place, and asks the daemon through it.
	sockJob := loadCorpus(t, "gitlab-job-socket", unique)
	sockJob.Path = strings.Replace(sockJob.Path, "-build", "-build-socket", 1)
	sockID := run(sockJob, image, []string{"api", "GET", "/_ping"}, true)
	if logs, _ := exec.Command("docker", "logs", sockID).CombinedOutput(); !strings.Contains(string(logs), "200 OK") {
		t.Errorf("the job asked the daemon through its socket: %s", logs)
	}
	if binds := fmt.Sprint(inspect(t, sockID)["HostConfig"].(map[string]any)["Binds"]); !strings.Contains(binds, "/sockets/docker.sock:/var/run/docker.sock") {
		t.Errorf("the job's Binds %s: want the policed socket in place of the daemon's", binds)
	}

	dind := loadCorpus(t, "gitlab-service-dind", unique) // docker@sha256:…, which the policy refuses before any pull
	r := call("POST", dind.Path, dind.Body)
	status, msg := r.status, r.body
	if status != http.StatusForbidden || !strings.Contains(string(msg), "(rule privileged)") || !strings.Contains(string(msg), "policed socket") {
		t.Errorf("the privileged dind service: %d %s; want 403 naming the rule and the policed socket", status, msg)
	}
	t.Logf("the job replayed in %v", time.Since(start).Round(time.Millisecond))
}
