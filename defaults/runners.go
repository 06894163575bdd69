package defaults

import (
	"fmt"
	"path"
	"strings"
)

// Runner is a CI runner whose docker command lines sdocker recognises, named as its preset is
// (sdocker policy preset NAME).
type Runner string

const (
	RunnerGitHubActions Runner = "github-actions"
	RunnerJenkins       Runner = "jenkins"
	RunnerBuildkite     Runner = "buildkite"
)

// title is the runner's name for people.
func (r Runner) title() string {
	switch r {
	case RunnerGitHubActions:
		return "the GitHub Actions runner"
	case RunnerJenkins:
		return "Jenkins' docker pipeline plugin"
	case RunnerBuildkite:
		return "Buildkite's docker plugin"
	}
	return string(r)
}

// RunnerInput is what runner attribution reads: the request, the parts of the command line the
// decision does not judge, and the docker CLI's own environment. Every value keeps the argument
// as typed (From), as in Request.
type RunnerInput struct {
	Request Request
	// Env are the container's environment settings (-e, --env; Config.Env) as KEY=VALUE or
	// KEY, Labels its labels (--label; Config.Labels) as KEY=VALUE or KEY.
	Env, Labels []Val[string]
	// Workdir (-w, --workdir; Config.WorkingDir) and Entrypoint (--entrypoint;
	// Config.Entrypoint), where given.
	Workdir, Entrypoint *Val[string]
	// Cmd is the command after the image (run, create) or the container (exec).
	Cmd []string
	// Getenv reads the environment the docker CLI was started with (the CLI door's own); nil
	// reads nothing. A runner sets variables there that its jobs' commands cannot unset.
	Getenv func(key string) string
}

// Added is a value of the request that the runner wrote, not the author of the workflow,
// pipeline or step.
type Added struct {
	// From is the argument as typed, as in Request and Violation.
	From string `json:"argument"`
	// Why says which part of the runner adds it ("the runner binds the daemon's socket into
	// every job container").
	Why string `json:"why"`
	// Setting says how the job's author or the runner's operator can change it instead of the
	// policy ("set mount-ssh-agent: false in the step's docker plugin"), or "" where only the
	// host's policy can (the runner adds it unconditionally).
	Setting string `json:"setting,omitempty"`
}

// Attribution says which runner a command comes from and which of its values the runner
// added. It words messages only: a decision never depends on it, since whoever types a command
// can imitate a runner's.
type Attribution struct {
	// Runner is "" where the evidence is not clear.
	Runner Runner `json:"runner,omitempty"`
	// Shape is what the runner was doing ("job container", "service container", "container
	// action", "docker.inside", "plugin run"), or "" for a command of the job's own steps.
	Shape string `json:"shape,omitempty"`
	// Evidence lists what named the runner, for explain.
	Evidence []string `json:"evidence,omitempty"`
	Added    []Added  `json:"added,omitempty"`
}

// AddedBy returns what the runner added under the argument from, if it added it.
func (a Attribution) AddedBy(from string) (Added, bool) {
	for _, v := range a.Added {
		if v.From == from {
			return v, true
		}
	}
	return Added{}, false
}

func getenv(in RunnerInput, key string) string {
	if in.Getenv == nil {
		return ""
	}
	return in.Getenv(key)
}

// AttributeRunner names the runner a command comes from where the evidence is clear: variables
// the runner sets in the docker CLI's environment, or the marks it writes on the command lines
// it builds. Values are attributed to the runner only where the command line has the runner's
// shape; a step that runs docker itself is the job's author's, whatever its environment.
func AttributeRunner(in RunnerInput) Attribution {
	for _, try := range []func(RunnerInput) Attribution{githubActions, jenkins, buildkite} {
		if a := try(in); a.Runner != "" {
			return a
		}
	}
	return Attribution{}
}

func hasVal(vs []Val[string], value string) (string, bool) {
	for _, v := range vs {
		if v.Value == value {
			return v.From, true
		}
	}
	return "", false
}

// GitHub Actions (actions/runner, src/Runner.Worker): Sdk/ProcessInvoker.cs sets
// GITHUB_ACTIONS=true in the environment of every process the runner starts, the docker CLI
// included; JobExtension.cs sets RUNNER_TRACKING_ID=github_<guid> in the worker's.
// Container/DockerCommandManager.cs writes "-e GITHUB_ACTIONS=true" and "--label <instance>" (six
// hex digits of the sha256 of the runner's settings) on every container it creates or runs.
func ghInstanceLabel(s string) bool { return isLowerHex(s, 6) }

func ghNetwork(s string) bool {
	id, ok := strings.CutPrefix(s, "github_network_")
	return ok && isLowerHex(id, 32)
}

// isLowerHex reports whether s is n lower-case hex digits.
func isLowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// ghJobTargets are where ContainerOperationProvider.cs (MountWellKnownDirectories) binds the
// runner's directories in a job container; ghActionTargets where ContainerActionHandler.cs binds
// them in a container action's.
var (
	ghJobTargets    = []string{"/__w", "/__e", "/__w/_temp", "/__w/_actions", "/__t", "/github/home", "/github/workflow"}
	ghActionTargets = []string{"/github/runner_temp", "/github/home", "/github/workflow", "/github/file_commands", "/github/workspace"}
)

func githubActions(in RunnerInput) Attribution {
	var a Attribution
	if getenv(in, "GITHUB_ACTIONS") == "true" {
		a.Evidence = append(a.Evidence, "GITHUB_ACTIONS=true in the docker CLI's environment")
	}
	if id := getenv(in, "RUNNER_TRACKING_ID"); strings.HasPrefix(id, "github_") {
		a.Evidence = append(a.Evidence, "RUNNER_TRACKING_ID="+id+" in the docker CLI's environment")
	}
	watermark, hasWatermark := hasVal(in.Env, "GITHUB_ACTIONS=true")
	var label string
	for _, l := range in.Labels {
		if ghInstanceLabel(l.Value) {
			label = l.From
		}
	}
	built := hasWatermark && label != ""
	if built {
		a.Evidence = append(a.Evidence, watermark+" and "+label+", which the runner writes on every container it creates")
	}
	if len(a.Evidence) == 0 {
		return Attribution{}
	}
	a.Runner = RunnerGitHubActions
	if !built {
		return a
	}
	r := in.Request
	workdir := ""
	if in.Workdir != nil {
		workdir = in.Workdir.Value
	}
	targets, why := ghJobTargets, "the runner binds its %s into every job container (ContainerOperationProvider)"
	switch {
	case workdir == "/github/workspace":
		a.Shape, targets, why = "container action", ghActionTargets, "the runner binds its %s into every container action (ContainerActionHandler)"
	case strings.HasPrefix(workdir, "/__w"):
		a.Shape = "job container"
	default:
		a.Shape, targets = "service container", nil
	}
	socket := false
	for _, m := range r.Mounts {
		switch {
		case !socket && a.Shape != "service container" && m.Type == "bind" && m.Source == "/var/run/docker.sock" && m.Target == "/var/run/docker.sock":
			socket = true // the runner's comes first, before the workflow's volumes
			a.Added = append(a.Added, Added{From: m.From, Why: "the runner binds the daemon's socket into every job container and container action (ContainerInfo, ContainerActionHandler), whatever the workflow says"})
		case m.Type == "bind" && containsPath(targets, m.Target):
			a.Added = append(a.Added, Added{From: m.From, Why: fmt.Sprintf(why, ghDirectory(m.Target))})
		}
	}
	for _, n := range r.Networks {
		if ghNetwork(n.Value) {
			a.Added = append(a.Added, Added{From: n.From, Why: "the runner puts a job's containers on a network it creates for the job"})
		}
	}
	if in.Workdir != nil {
		a.Added = append(a.Added, Added{From: in.Workdir.From, Why: "the runner sets the working directory to the job's workspace"})
	}
	if e := in.Entrypoint; e != nil && a.Shape == "job container" && e.Value == "tail" {
		a.Added = append(a.Added, Added{From: e.From, Why: "the runner keeps a job container alive with tail -f /dev/null and runs steps with docker exec"})
	}
	a.Added = append(a.Added, Added{From: watermark, Why: "the runner marks every container it makes"}, Added{From: label, Why: "the runner labels every container it makes with its instance"})
	return a
}

// ghDirectory names the runner's directory bound at a target, for messages.
func ghDirectory(target string) string {
	switch target {
	case "/__w":
		return "work directory"
	case "/__e":
		return "externals (read-only)"
	case "/__w/_temp", "/github/runner_temp":
		return "temporary directory"
	case "/__w/_actions":
		return "downloaded actions"
	case "/__t":
		return "tool cache"
	case "/github/home":
		return "job's home directory"
	case "/github/workflow":
		return "workflow's event files"
	case "/github/file_commands":
		return "file commands"
	case "/github/workspace":
		return "workspace"
	}
	return target
}

func containsPath(list []string, p string) bool {
	p = path.Clean(p)
	for _, l := range list {
		if l == p {
			return true
		}
	}
	return false
}

// Jenkins (jenkinsci/docker-workflow-plugin): the docker CLI runs with the build's environment
// (BUILD_TAG=jenkins-JOB-N, JENKINS_URL, JOB_NAME, WORKSPACE); WithContainerStep (docker.inside,
// agent { docker … }) runs "run -t -d -u UID:GID [ARGS] -w WS -v WS:WS:rw,z -v WS@tmp:WS@tmp:rw,z
// [-e K=V…] IMAGE cat" (client/DockerClient.java), or --volumes-from the agent's container.
func jenkins(in RunnerInput) Attribution {
	var a Attribution
	if tag := getenv(in, "BUILD_TAG"); strings.HasPrefix(tag, "jenkins-") {
		a.Evidence = append(a.Evidence, "BUILD_TAG="+tag+" in the docker CLI's environment")
	}
	if u := getenv(in, "JENKINS_URL"); u != "" {
		a.Evidence = append(a.Evidence, "JENKINS_URL in the docker CLI's environment")
	}
	r := in.Request
	var ws string
	if in.Workdir != nil {
		ws = in.Workdir.Value
	}
	var binds []Mount
	for _, m := range r.Mounts {
		if m.Type == "bind" && m.Source == m.Target && (m.Source == ws || m.Source == ws+"@tmp") && strings.HasSuffix(m.From, ":rw,z") {
			binds = append(binds, m)
		}
	}
	inside := r.Kind == KindCreate && ws != "" && len(in.Cmd) == 1 && in.Cmd[0] == "cat" && (len(binds) > 0 || len(r.VolumesFrom) > 0)
	if inside {
		a.Evidence = append(a.Evidence, "the shape of docker.inside: -w "+ws+", the workspace bound at its own path (:rw,z), cat as the command")
	}
	if len(a.Evidence) == 0 {
		return Attribution{}
	}
	a.Runner = RunnerJenkins
	if !inside {
		return a
	}
	a.Shape = "docker.inside"
	for _, m := range binds {
		a.Added = append(a.Added, Added{From: m.From, Why: "the docker pipeline plugin binds the agent's workspace (and WS@tmp) at its own path for docker.inside", Setting: "set the agent's remote root (where its workspaces are) to a directory the policy lets jobs write"})
	}
	for _, v := range r.VolumesFrom {
		a.Added = append(a.Added, Added{From: v.From, Why: "the docker pipeline plugin shares the volumes of the agent's own container for docker.inside"})
	}
	a.Added = append(a.Added, Added{From: in.Workdir.From, Why: "the docker pipeline plugin runs in the workspace"})
	return a
}

// Buildkite (buildkite-plugins/docker-buildkite-plugin, commands/run.sh): the hook runs in the
// job's environment (BUILDKITE=true, BUILDKITE_JOB_ID…), and every container gets
// --label com.buildkite.job-id=$BUILDKITE_JOB_ID; by default the checkout ($PWD) is bound at
// /workdir with --workdir /workdir.
func buildkite(in RunnerInput) Attribution {
	var a Attribution
	if getenv(in, "BUILDKITE") == "true" {
		a.Evidence = append(a.Evidence, "BUILDKITE=true in the docker CLI's environment")
	}
	job := getenv(in, "BUILDKITE_JOB_ID")
	var label string
	for _, l := range in.Labels {
		k, v, _ := strings.Cut(l.Value, "=")
		if k == "com.buildkite.job-id" && (job == "" || v == job) {
			label = l.From
		}
	}
	if label != "" {
		a.Evidence = append(a.Evidence, label+", which the docker plugin writes on every container it runs")
	}
	if len(a.Evidence) == 0 {
		return Attribution{}
	}
	a.Runner = RunnerBuildkite
	if label == "" || in.Request.Kind != KindCreate {
		return a
	}
	a.Shape = "plugin run"
	workdir := ""
	if in.Workdir != nil {
		workdir = in.Workdir.Value
	}
	checkout := false
	for _, m := range in.Request.Mounts {
		switch {
		case !checkout && m.Type == "bind" && workdir != "" && m.Target == workdir:
			checkout = true
			a.Added = append(a.Added, Added{From: m.From, Why: "the docker plugin binds the job's checkout at its workdir", Setting: "set mount-checkout: false in the step's docker plugin, or the agent's build-path to a directory the policy lets jobs write"})
		case m.Type == "bind" && m.Target == "/usr/bin/buildkite-agent":
			a.Added = append(a.Added, Added{From: m.From, Why: "the docker plugin binds the agent's binary, writable, for mount-buildkite-agent", Setting: "set mount-buildkite-agent: false in the step's docker plugin and install the agent in the image"})
		case m.Type == "bind" && (m.Target == "/ssh-agent" || strings.HasSuffix(m.Target, "/.ssh/known_hosts")):
			a.Added = append(a.Added, Added{From: m.From, Why: "the docker plugin binds the ssh agent's socket and the agent user's known_hosts for mount-ssh-agent", Setting: "set mount-ssh-agent: false in the step's docker plugin"})
		}
	}
	if in.Workdir != nil {
		a.Added = append(a.Added, Added{From: in.Workdir.From, Why: "the docker plugin runs in the checkout's mount"})
	}
	a.Added = append(a.Added, Added{From: label, Why: "the docker plugin labels every container with its job"})
	return a
}
