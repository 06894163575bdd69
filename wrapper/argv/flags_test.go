package argv

import (
	"bufio"
	"os"
	"os/exec"
	"regexp"
	"sdocker/internal/testenv"
	"sort"
	"strings"
	"testing"
)

// helpFlag matches one flag line of docker's --help: "  -m, --memory bytes   Memory limit".
var helpFlag = regexp.MustCompile(`^\s+(?:-(\w), )?--([a-z0-9-]+)(?: ([A-Za-z0-9-]+))?\s{2,}`)

// helpTable reads the flags that `docker CMD --help` lists.
func helpTable(t *testing.T, docker string, cmd ...string) map[string]string {
	t.Helper()
	c := exec.Command(docker, append(cmd, "--help")...)
	c.Env = helpEnv()
	out, err := c.Output()
	if err != nil && cmd[0] == "buildx" {
		skipOutsideCI(t, "docker buildx is not installed (scripts/install-buildx.sh): cannot compare buildx build's flags")
	}
	if err != nil {
		t.Fatalf("docker %s --help: %v", strings.Join(cmd, " "), err)
	}
	got := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	in := false
	for sc.Scan() {
		line := sc.Text()
		if strings.HasSuffix(line, "Options:") {
			in = true
			continue
		}
		if !in {
			continue
		}
		if m := helpFlag.FindStringSubmatch(line); m != nil {
			got[m[2]] = "-" + m[1] + " " + m[3]
		}
	}
	return got
}

// helpEnv points docker at no daemon: with a daemon, docker hides the flags its API version or
// OS lacks, and the table must hold every flag docker parses.
func helpEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DOCKER_HOST=") && !strings.HasPrefix(kv, "DOCKER_CONTEXT=") {
			env = append(env, kv)
		}
	}
	// docker build's help is the legacy builder's only where BuildKit is off; buildx build's
	// table is checked against buildx's own help.
	return append(env, "DOCKER_HOST=unix:///nonexistent.sock", "DOCKER_BUILDKIT=0")
}

func tableOf(flags []Flag) map[string]string {
	want := map[string]string{}
	for _, f := range flags {
		// cobra adds --help to every command and lists it only sometimes.
		if f.Hidden || f.Deprecated || f.Name == "help" {
			continue
		}
		want[f.Name] = "-" + f.Short + " " + f.Type
	}
	return want
}

// TestTablesMatchInstalledDocker compares sdocker's flag tables with the --help of the docker
// CLI on PATH: a docker upgrade that adds, removes or retypes a flag fails here.
func TestTablesMatchInstalledDocker(t *testing.T) {
	docker, err := exec.LookPath("docker")
	if err != nil {
		skipOutsideCI(t, "no docker CLI on PATH: cannot compare flag tables")
	}
	for _, tc := range []struct {
		cmd   []string
		table []Flag
	}{
		{[]string{"run"}, CommandFlags("run")},
		{[]string{"container", "run"}, CommandFlags("run")},
		{[]string{"create"}, CommandFlags("create")},
		{[]string{"container", "create"}, CommandFlags("create")},
		{[]string{"exec"}, CommandFlags("exec")},
		{[]string{"update"}, CommandFlags("update")},
		{[]string{"pull"}, CommandFlags("pull")},
		{[]string{"start"}, CommandFlags("start")},
		{[]string{"container", "start"}, CommandFlags("start")},
		{[]string{"restart"}, CommandFlags("restart")},
		{[]string{"container", "restart"}, CommandFlags("restart")},
		{[]string{"network", "connect"}, CommandFlags("network connect")},
		{[]string{"network", "create"}, CommandFlags("network create")},
		{[]string{"volume", "create"}, CommandFlags("volume create")},
		{[]string{"cp"}, CommandFlags("cp")},
		{[]string{"container", "cp"}, CommandFlags("cp")},
		{[]string{"build"}, buildFlags},
		{[]string{"builder", "build"}, buildFlags},
		{[]string{"image", "build"}, buildFlags},
		{[]string{"plugin", "install"}, CommandFlags("plugin install")},
		{[]string{"plugin", "create"}, CommandFlags("plugin create")},
		{[]string{"plugin", "enable"}, CommandFlags("plugin enable")},
		{[]string{"plugin", "set"}, CommandFlags("plugin set")},
		{[]string{"plugin", "upgrade"}, CommandFlags("plugin upgrade")},
		{[]string{"service", "create"}, CommandFlags("service create")},
		{[]string{"service", "update"}, CommandFlags("service update")},
		{[]string{"stack", "deploy"}, CommandFlags("stack deploy")},
		{[]string{"buildx", "build"}, CommandFlags("buildx build")},
	} {
		t.Run(strings.Join(tc.cmd, "-"), func(t *testing.T) {
			got, want := helpTable(t, docker, tc.cmd...), tableOf(tc.table)
			var diffs []string
			for name, w := range want {
				if g, ok := got[name]; !ok {
					diffs = append(diffs, "docker has no --"+name)
				} else if g != w {
					diffs = append(diffs, "--"+name+": docker says "+g+", table says "+w)
				}
			}
			for name, g := range got {
				if _, ok := want[name]; !ok && name != "help" {
					diffs = append(diffs, "table lacks --"+name+" ("+g+")")
				}
			}
			sort.Strings(diffs)
			for _, d := range diffs {
				t.Error(d)
			}
		})
	}
}

func TestGlobalTableMatchesInstalledDocker(t *testing.T) {
	docker, err := exec.LookPath("docker")
	if err != nil {
		skipOutsideCI(t, "no docker CLI on PATH: cannot compare flag tables")
	}
	c := exec.Command(docker, "--help")
	c.Env = helpEnv()
	out, err := c.Output()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	in := false
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "Global Options:") {
			in = true
			continue
		}
		if in && line == "" {
			break
		}
		if m := helpFlag.FindStringSubmatch(line); in && m != nil {
			got[m[2]] = "-" + m[1] + " " + m[3]
		}
	}
	want := tableOf(globalFlags)
	for name, w := range want {
		if got[name] != w {
			t.Errorf("--%s: docker says %q, table says %q", name, got[name], w)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("table lacks global --%s", name)
		}
	}
}

func skipOutsideCI(t *testing.T, why string) { testenv.Missing(t, why) }
