package main

import (
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"sdocker/defaults"
	"sdocker/internal/testenv"
)

// replica is an offline copy of a most-pulled official image (scripts/build-replicas.sh) and
// how to see it work.
type replica struct {
	name string
	// probe returns nil once the service answers as it should.
	probe func(t *testing.T, id string) error
	// root: its process starts as root and gets the setup set; else it gets nothing back.
	root bool
}

func execOut(id string, cmd ...string) (string, error) {
	out, err := exec.Command("docker", append([]string{"exec", id}, cmd...)...).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

func expect(want string, got string, err error) error {
	if err != nil || !strings.Contains(got, want) {
		return fmt.Errorf("want %q, got %q (%v)", want, got, err)
	}
	return nil
}

// httpGet fetches a page from the container's address on the policy's network.
func httpGet(t *testing.T, id string, port int, want string) error {
	ip := inspect(t, id)["NetworkSettings"].(map[string]any)["Networks"].(map[string]any)["sdocker"].(map[string]any)["IPAddress"]
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(fmt.Sprintf("http://%v:%d/", ip, port))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return expect(want, string(body), nil)
}

var replicas = []replica{
	{"postgres", func(t *testing.T, id string) error {
		out, err := execOut(id, "psql", "-U", "postgres", "-tAc", "select 40+2")
		return expect("42", out, err)
	}, true},
	{"redis", func(t *testing.T, id string) error {
		out, err := execOut(id, "redis-cli", "ping")
		return expect("PONG", out, err)
	}, true},
	{"nginx", func(t *testing.T, id string) error { return httpGet(t, id, 80, "sdocker replica: nginx") }, true},
	{"mariadb", func(t *testing.T, id string) error {
		out, err := execOut(id, "mariadb", "-uroot", "-N", "-e", "select 40+2")
		return expect("42", out, err)
	}, true},
	{"nonroot", func(t *testing.T, id string) error { return httpGet(t, id, 8080, "sdocker replica: nonroot") }, false},
}

func requireReplica(t *testing.T, name string) string {
	t.Helper()
	img := "sdocker-replica/" + name + ":current"
	if exec.Command("docker", "image", "inspect", img).Run() != nil {
		testenv.Missing(t, "image "+img+" is missing: build it with scripts/build-replicas.sh")
	}
	return img
}

// capSets returns HostConfig.CapAdd (sorted, without CAP_) and CapDrop of a container.
func capSets(t *testing.T, id string) (add, drop []string) {
	hc := inspect(t, id)["HostConfig"].(map[string]any)
	for _, c := range asStrings(hc["CapAdd"]) {
		add = append(add, strings.TrimPrefix(c, "CAP_"))
	}
	slices.Sort(add)
	return add, asStrings(hc["CapDrop"])
}

func asStrings(v any) []string {
	var out []string
	l, _ := v.([]any)
	for _, x := range l {
		out = append(out, fmt.Sprint(x))
	}
	return out
}

// TestReplicasStartWithNoFlag runs every replica through sdocker, with the default policy and
// no flag, and sees each work: postgres and mariadb answer a query, redis a PING, nginx and the
// non-root image serve a page, and apt-get installs a package. It logs the capability set each
// got.
func TestReplicasStartWithNoFlag(t *testing.T) {
	requireDaemon(t)
	setup := slices.Clone(defaults.SetupCapabilities)
	slices.Sort(setup)
	table := []string{}
	record := func(name, id string, root bool) {
		add, drop := capSets(t, id)
		table = append(table, fmt.Sprintf("%-9s CapDrop=%v CapAdd=%v", name, drop, add))
		want := []string(nil)
		if root {
			want = setup
		}
		if !slices.Equal(drop, []string{"ALL"}) || !slices.Equal(add, want) {
			t.Errorf("%s: CapDrop %v CapAdd %v, want [ALL] and %v", name, drop, add, want)
		}
	}
	for _, rp := range replicas {
		t.Run(rp.name, func(t *testing.T) {
			img := requireReplica(t, rp.name)
			name := "sdocker-it-replica-" + rp.name + "-" + strings.TrimPrefix(runLabel, "sdocker-it=")
			r := sdocker(t, append(append([]string{"run", "-d", "--name", name}, labelled()...), img)...)
			if r.code != 0 {
				t.Fatalf("sdocker run -d %s: exit %d: %s", img, r.code, r.stderr)
			}
			defer exec.Command("docker", "rm", "-f", name).Run()
			var err error
			for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
				if err = rp.probe(t, name); err == nil {
					break
				}
				if running, _ := exec.Command("docker", "inspect", "-f", "{{.State.Running}}", name).Output(); strings.TrimSpace(string(running)) != "true" {
					break
				}
			}
			if err != nil {
				logs, _ := exec.Command("docker", "logs", "--tail", "20", name).CombinedOutput()
				t.Fatalf("%s does not work under the default policy: %v\nlogs:\n%s", rp.name, err, logs)
			}
			record(rp.name, name, rp.root)
		})
	}
	t.Run("apt", func(t *testing.T) {
		img := requireReplica(t, "apt")
		name := "sdocker-it-replica-apt-" + strings.TrimPrefix(runLabel, "sdocker-it=")
		r := sdocker(t, append(append([]string{"run", "--name", name}, labelled()...), img, "hello")...)
		defer exec.Command("docker", "rm", "-f", name).Run()
		if r.code != 0 || !strings.Contains(r.stdout, "installed hello") {
			t.Fatalf("apt-get install under the default policy: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
		}
		record("apt", name, true)
	})
	// postgres again on the volume its first start initialised: its entrypoint then changes the
	// modes of a directory it already gave away (FOWNER).
	t.Run("postgres restarted on its volume", func(t *testing.T) {
		img := requireReplica(t, "postgres")
		suffix := strings.TrimPrefix(runLabel, "sdocker-it=")
		vol, name := "sdocker-it-pgdata-"+suffix, "sdocker-it-replica-pgvol-"+suffix
		defer exec.Command("docker", "volume", "rm", "-f", vol).Run()
		for round := 1; round <= 2; round++ {
			r := sdocker(t, append(append([]string{"run", "-d", "--name", name, "-v", vol + ":/var/lib/postgresql/data"}, labelled()...), img)...)
			if r.code != 0 {
				t.Fatalf("start %d: exit %d: %s", round, r.code, r.stderr)
			}
			var err error
			for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
				if err = replicas[0].probe(t, name); err == nil {
					break
				}
			}
			logs, _ := exec.Command("docker", "logs", "--tail", "5", name).CombinedOutput()
			exec.Command("docker", "rm", "-f", name).Run()
			if err != nil {
				t.Fatalf("start %d on the volume: %v\n%s", round, err, logs)
			}
		}
	})
	t.Logf("capability sets given under the default policy:\n%s", strings.Join(table, "\n"))
}
