package proxy_test

import (
	"fmt"
	"net/http"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"sdocker/defaults"
)

// startPreset serves the proxy with a preset until the test ends.
func startPreset(t *testing.T, name string) running {
	t.Helper()
	data, err := defaults.Preset(name)
	if err != nil {
		t.Fatal(err)
	}
	return startProxyPolicy(t, data)
}

// networksOf lists the networks the daemon has a container on.
func networksOf(t *testing.T, id string) []string {
	t.Helper()
	var out []string
	for name := range inspect(t, id)["NetworkSettings"].(map[string]any)["Networks"].(map[string]any) {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// A Woodpecker step replayed through the proxy (the ci preset) with the corpus's bodies: the
// agent's workflow volume and network, a step created with no network (it gets the policy's)
// and connected to the workflow's network afterwards, as the agent does, writing its workspace;
// the privileged buildx plugin refused.
func TestWoodpeckerStepReplay(t *testing.T) {
	requireDaemon(t)
	rp := newReplay(t, startPreset(t, "ci"))
	const workflow, step = "wp_01jz5h8w4q8kqz1v2m3n4p5r6s", "01jz5h8w4q8kqz1v2m3n4p5r7t"
	unique := strings.NewReplacer(workflow, workflow+rp.id, step, step+rp.id)
	// SetupWorkflow: a volume and a network, both named <prefix>_default.
	network := unique.Replace(workflow) + "_default"
	rp.volume(network, map[string]any{"Name": network, "Driver": "local", "Labels": map[string]string{rp.k: rp.v}})
	rp.network(network, map[string]any{"Name": network, "Driver": "bridge", "EnableIPv6": false, "Labels": map[string]string{rp.k: rp.v}})

	c := loadCorpus(t, "woodpecker-step", unique)
	c.Body["Entrypoint"] = []string{"/ctr"} // the step's commands, as this image's program
	id := rp.create(c, image, []string{"write", "/woodpecker/src/example.com/group/project/out", "tested"})
	rp.must(rp.call("POST", "/networks/"+network+"/connect", map[string]any{"Container": "wp_" + unique.Replace(step),
		"EndpointConfig": map[string]any{"Aliases": []string{"test"}}}), http.StatusOK, "network connect")
	rp.start(id, true)
	if got := networksOf(t, id); !slices.Equal(got, []string{"sdocker", network}) {
		t.Errorf("the step is on %v, want the policy's network and the workflow's", got)
	}
	if hc := inspect(t, id)["HostConfig"].(map[string]any); fmt.Sprint(hc["CapDrop"]) != "[ALL]" {
		t.Errorf("CapDrop %v: not hardened", hc["CapDrop"])
	}
	out, err := exec.Command("docker", "run", "--rm", "--label", runLabel, "-v", network+":/woodpecker", image, "read", "/woodpecker/src/example.com/group/project/out").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "tested") {
		t.Errorf("the workspace after the step: %v %s", err, out)
	}
	plugin := loadCorpus(t, "woodpecker-plugin-buildx", unique)
	if r := rp.call("POST", plugin.Path, plugin.Body); r.status != http.StatusForbidden || !strings.Contains(string(r.body), "(rule privileged)") || !strings.Contains(string(r.body), "policed socket") {
		t.Errorf("the privileged plugin: %d %s", r.status, r.body)
	}
}

// A Drone step replayed through the proxy (the ci preset): the runner's workspace volume and
// network, a step that names its network in EndpointsConfig alone and is put on it alone; the
// privileged plugins/docker refused.
func TestDroneStepReplay(t *testing.T) {
	requireDaemon(t)
	rp := newReplay(t, startPreset(t, "ci"))
	const network, volume, ctr = "drone-kq3h5w8z2n4m6p7r", "drone-b7n2q9x4w5e1r3t6", "drone-z8x7c6v5b4n3m2l1"
	unique := strings.NewReplacer(network, network+rp.id, volume, volume+rp.id, ctr, ctr+rp.id)
	rp.volume(volume+rp.id, map[string]any{"Name": volume + rp.id, "Driver": "local", "Labels": map[string]string{rp.k: rp.v}})
	rp.network(network+rp.id, map[string]any{"Name": network + rp.id, "Driver": "bridge", "Labels": map[string]string{rp.k: rp.v}})
	c := loadCorpus(t, "drone-step", unique)
	c.Body["Entrypoint"] = []string{"/ctr"}
	id := rp.run(c, image, []string{"write", "/drone/src/out", "tested"}, true)
	if got := networksOf(t, id); !slices.Equal(got, []string{network + rp.id}) {
		t.Errorf("the step is on %v, want the runner's network alone", got)
	}
	plugin := loadCorpus(t, "drone-plugin-docker", unique)
	if r := rp.call("POST", plugin.Path, plugin.Body); r.status != http.StatusForbidden || !strings.Contains(string(r.body), "policed socket") {
		t.Errorf("plugins/docker: %d %s", r.status, r.body)
	}
}
