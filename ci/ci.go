// Package ci sets up and checks hosts that run CI jobs under sdocker: which preset, where the
// proxy and its policed socket are, how each runner is pointed at the proxy, and whether the
// host is set up so that no job can go around the policy.
package ci

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Proxy paths on a runner host: the socket the runners talk to, and the policed socket the
// proxy gives job containers (the presets' runtime.docker_socket.policed).
const (
	ProxySocket   = "/run/sdocker/docker.sock"
	PolicedSocket = "/run/sdocker/sockets/docker.sock"
	PolicyPath    = "/etc/sdocker/policy.yaml"
)

// Runner is one CI runner sdocker knows how to set up.
type Runner struct {
	// Name is the runner as `sdocker ci setup` takes it; Preset the policy preset for it.
	Name, Preset string
	// Title names it for people.
	Title string
	// User is the account the runner's jobs run docker as, by default.
	User string
	// API: the runner creates containers through the Engine API (DOCKER_HOST or its own host
	// setting), not the docker CLI.
	API bool
	// Config is the runner's file that points it at a daemon, where it has one, and Wiring what
	// goes in it.
	Config, Wiring string
}

// Runners are the runners `sdocker ci setup` knows.
var Runners = []Runner{
	{Name: "github-actions", Preset: "github-actions", Title: "the GitHub Actions runner", User: "runner",
		Config: "/home/runner/actions-runner/.env", Wiring: "DOCKER_HOST=unix://" + ProxySocket},
	{Name: "gitlab", Preset: "gitlab", Title: "GitLab Runner (docker executor)", User: "gitlab-runner", API: true,
		Config: "/etc/gitlab-runner/config.toml", Wiring: `host = "unix://` + ProxySocket + `"`},
	{Name: "jenkins", Preset: "jenkins", Title: "Jenkins (Docker Pipeline)", User: "jenkins",
		Config: "/etc/systemd/system/jenkins.service.d/sdocker.conf", Wiring: "Environment=DOCKER_HOST=unix://" + ProxySocket},
	{Name: "buildkite", Preset: "buildkite", Title: "the Buildkite agent", User: "buildkite-agent",
		Config: "/etc/buildkite-agent/hooks/environment", Wiring: "export DOCKER_HOST=unix://" + ProxySocket},
	{Name: "woodpecker", Preset: "ci", Title: "the Woodpecker agent", User: "woodpecker", API: true,
		Config: "/etc/systemd/system/woodpecker-agent.service.d/sdocker.conf", Wiring: "Environment=DOCKER_HOST=unix://" + ProxySocket},
	{Name: "drone", Preset: "ci", Title: "the Drone docker runner", User: "drone", API: true,
		Config: "/etc/systemd/system/drone-runner-docker.service.d/sdocker.conf", Wiring: "Environment=DOCKER_HOST=unix://" + ProxySocket},
}

// RunnerNames lists the runners by name.
func RunnerNames() []string {
	out := make([]string, 0, len(Runners))
	for _, r := range Runners {
		out = append(out, r.Name)
	}
	return out
}

// Find returns a runner by name.
func Find(name string) (Runner, error) {
	for _, r := range Runners {
		if r.Name == name {
			return r, nil
		}
	}
	return Runner{}, fmt.Errorf("no runner %q (there are %s)", name, strings.Join(RunnerNames(), ", "))
}

// Step is one thing to do on the host: a file to write (Path and Content) or a command to run
// (Argv), with why.
type Step struct {
	Why     string
	Path    string
	Content string
	// Append: Content is a line added to Path where the file lacks it, not the whole file.
	Append bool
	Argv   []string
}

// SetupInput is what a setup plan depends on.
type SetupInput struct {
	Runner Runner
	// Preset is the policy to install (the runner's preset, as sdocker policy preset prints it).
	Preset []byte
	// ProxyUnit and SocketDropIn are the systemd units to install (contrib/systemd).
	ProxyUnit, SocketDropIn []byte
	// Bin is the directory sdocker's binaries are installed in; User the runner's account
	// ("" is Runner.User); Config the runner's configuration file ("" is Runner.Config).
	Bin, User, Config string
}

// Plan lists the steps that set a host up for a runner, in order.
func Plan(in SetupInput) []Step {
	r := in.Runner
	user := in.User
	if user == "" {
		user = r.User
	}
	config := in.Config
	if config == "" {
		config = r.Config
	}
	steps := []Step{
		{Why: "the policy: the " + r.Preset + " preset (sdocker policy preset " + r.Preset + ")", Path: PolicyPath, Content: string(in.Preset)},
		{Why: "the proxy, which serves the runner's socket " + ProxySocket + " to the docker group and the policed socket " + PolicedSocket + " to job containers",
			Path: "/etc/systemd/system/sdocker-proxy.service", Content: string(in.ProxyUnit)},
		{Why: "the daemon's own socket becomes root's alone: no job reaches the daemon except through the proxy",
			Path: "/etc/systemd/system/docker.socket.d/sdocker.conf", Content: string(in.SocketDropIn)},
		{Why: "the runner's account reaches the proxy's socket (group docker)", Argv: []string{"usermod", "-aG", "docker", user}},
		{Why: "point " + r.Title + " at the proxy", Path: config, Content: r.Wiring, Append: true},
	}
	if !r.API {
		steps = append(steps, Step{Why: "sdocker as docker on the runner's PATH, for its messages and its checks of signatures before a pull",
			Argv: []string{"ln", "-sf", filepath.Join(in.Bin, "sdocker"), "/usr/local/sbin/docker"}})
	}
	return append(steps,
		Step{Why: "load the units", Argv: []string{"systemctl", "daemon-reload"}},
		Step{Why: "restart the daemon's socket with its new owner", Argv: []string{"systemctl", "restart", "docker.socket", "docker"}},
		Step{Why: "start the proxy now and at boot", Argv: []string{"systemctl", "enable", "--now", "sdocker-proxy"}},
		Step{Why: "restart the runner so it reads its new setting", Argv: []string{"systemctl", "restart", serviceOf(r)}},
		Step{Why: "check the host", Argv: []string{filepath.Join(in.Bin, "sdocker"), "ci", "check", r.Name, "--user", user}},
	)
}

func serviceOf(r Runner) string {
	switch r.Name {
	case "github-actions":
		return "actions.runner.*"
	case "gitlab":
		return "gitlab-runner"
	case "woodpecker":
		return "woodpecker-agent"
	case "drone":
		return "drone-runner-docker"
	case "buildkite":
		return "buildkite-agent"
	}
	return r.Name
}
