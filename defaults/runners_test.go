package defaults

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

func bind(src, dst, from string) Mount {
	return Mount{Type: "bind", Source: src, Target: dst, From: from}
}

func vals(froms ...string) []Val[string] {
	var out []Val[string]
	for _, f := range froms {
		_, value, _ := strings.Cut(f, " ")
		out = append(out, Val[string]{Value: value, From: f})
	}
	return out
}

func val(from string) *Val[string] {
	_, value, _ := strings.Cut(from, " ")
	return &Val[string]{Value: value, From: from}
}

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for _, s := range kv {
		k, v, _ := strings.Cut(s, "=")
		m[k] = v
	}
	return func(k string) string { return m[k] }
}

const ghSocket = "-v /var/run/docker.sock:/var/run/docker.sock"

// ghJob is the GitHub runner's job container (DockerCreate after MountWellKnownDirectories).
func ghJob(getenv func(string) string, extra ...Mount) RunnerInput {
	mounts := []Mount{bind("/var/run/docker.sock", "/var/run/docker.sock", ghSocket)}
	mounts = append(mounts, extra...)
	mounts = append(mounts,
		bind("/r/_work", "/__w", "-v /r/_work:/__w"),
		bind("/r/externals", "/__e", "-v /r/externals:/__e:ro"),
		bind("/r/_work/_temp", "/__w/_temp", "-v /r/_work/_temp:/__w/_temp"),
		bind("/opt/hostedtoolcache", "/__t", "-v /opt/hostedtoolcache:/__t"))
	return RunnerInput{
		Request: Request{Kind: KindCreate, Image: "node:20", Mounts: mounts,
			Networks: vals("--network github_network_5d41402abc4b2a76b9719d911017c592")},
		Env:        vals("-e HOME=/github/home", "-e GITHUB_ACTIONS=true", "-e CI=true"),
		Labels:     vals("--label 9f86d0"),
		Workdir:    val("--workdir /__w/app/app"),
		Entrypoint: val("--entrypoint tail"),
		Cmd:        []string{"-f", "/dev/null"},
		Getenv:     getenv,
	}
}

func TestAttributeRunner(t *testing.T) {
	ghEnv := env("GITHUB_ACTIONS=true", "CI=true", "RUNNER_TRACKING_ID=github_0b7a5e0c")
	jenkinsWS := "/home/jenkins/agent/workspace/app"
	jenkinsInside := RunnerInput{
		Request: Request{Kind: KindCreate, Image: "maven:3", User: val("-u 1000:1000"), Mounts: []Mount{
			bind(jenkinsWS, jenkinsWS, "-v "+jenkinsWS+":"+jenkinsWS+":rw,z"),
			bind(jenkinsWS+"@tmp", jenkinsWS+"@tmp", "-v "+jenkinsWS+"@tmp:"+jenkinsWS+"@tmp:rw,z"),
		}},
		Workdir: val("-w " + jenkinsWS),
		Env:     vals("-e BUILD_TAG=jenkins-app-42"),
		Cmd:     []string{"cat"},
	}
	bkRun := func(getenv func(string) string, label string, extra ...Mount) RunnerInput {
		return RunnerInput{
			Request: Request{Kind: KindCreate, Image: "golang:1.26", Mounts: append([]Mount{
				bind("/var/lib/buildkite-agent/builds/a/app", "/workdir", "--volume /var/lib/buildkite-agent/builds/a/app:/workdir")}, extra...)},
			Workdir: val("--workdir /workdir"),
			Labels:  vals("--label " + label),
			Cmd:     []string{"/bin/sh", "-e", "-c", "go test ./..."},
			Getenv:  getenv,
		}
	}
	bkEnv := env("BUILDKITE=true", "BUILDKITE_JOB_ID=0189")

	for _, tc := range []struct {
		name   string
		in     RunnerInput
		runner Runner
		shape  string
		added  []string // exactly these, in order
	}{
		{"github job container", ghJob(ghEnv), RunnerGitHubActions, "job container", []string{ghSocket,
			"-v /r/_work:/__w", "-v /r/externals:/__e:ro", "-v /r/_work/_temp:/__w/_temp", "-v /opt/hostedtoolcache:/__t",
			"--network github_network_5d41402abc4b2a76b9719d911017c592", "--workdir /__w/app/app", "--entrypoint tail",
			"-e GITHUB_ACTIONS=true", "--label 9f86d0"}},
		{"github job container read from its command line alone", ghJob(nil), RunnerGitHubActions, "job container", nil},
		{"the workflow's own socket bind is the author's", ghJob(ghEnv, bind("/var/run/docker.sock", "/var/run/docker.sock", "-v /var/run/docker.sock:/var/run/docker.sock:ro")),
			RunnerGitHubActions, "job container", nil},
		{"a step's docker run in a GitHub job is the author's", RunnerInput{
			Request: Request{Kind: KindCreate, Image: "docker:cli", Mounts: []Mount{bind("/var/run/docker.sock", "/var/run/docker.sock", ghSocket)}},
			Getenv:  ghEnv}, RunnerGitHubActions, "", []string{}},
		{"a label of six hex digits alone names no runner", RunnerInput{
			Request: Request{Kind: KindCreate, Image: "busybox", Mounts: []Mount{bind("/var/run/docker.sock", "/var/run/docker.sock", ghSocket)}},
			Labels:  vals("--label abcdef")}, "", "", []string{}},
		{"github service container gets no socket from the runner", RunnerInput{
			Request: Request{Kind: KindCreate, Image: "postgres:16",
				Mounts:   []Mount{bind("/var/run/docker.sock", "/var/run/docker.sock", ghSocket)},
				Networks: vals("--network github_network_5d41402abc4b2a76b9719d911017c592")},
			Env: vals("-e GITHUB_ACTIONS=true"), Labels: vals("--label 9f86d0"), Getenv: ghEnv},
			RunnerGitHubActions, "service container", []string{"--network github_network_5d41402abc4b2a76b9719d911017c592", "-e GITHUB_ACTIONS=true", "--label 9f86d0"}},
		{"github container action", RunnerInput{
			Request: Request{Kind: KindCreate, Image: "9f86d0:4e07", Mounts: []Mount{
				bind("/var/run/docker.sock", "/var/run/docker.sock", ghSocket),
				bind("/r/_work/_temp", "/github/runner_temp", "-v /r/_work/_temp:/github/runner_temp"),
				bind("/r/_work/app/app", "/github/workspace", "-v /r/_work/app/app:/github/workspace")}},
			Env: vals("-e GITHUB_ACTIONS=true"), Labels: vals("--label 9f86d0"), Workdir: val("--workdir /github/workspace"), Getenv: ghEnv},
			RunnerGitHubActions, "container action", []string{ghSocket, "-v /r/_work/_temp:/github/runner_temp",
				"-v /r/_work/app/app:/github/workspace", "--workdir /github/workspace", "-e GITHUB_ACTIONS=true", "--label 9f86d0"}},
		{"jenkins docker.inside", func() RunnerInput {
			in := jenkinsInside
			in.Getenv = env("BUILD_TAG=jenkins-app-42", "JENKINS_URL=http://j/")
			return in
		}(),
			RunnerJenkins, "docker.inside", []string{"-v " + jenkinsWS + ":" + jenkinsWS + ":rw,z", "-v " + jenkinsWS + "@tmp:" + jenkinsWS + "@tmp:rw,z", "-w " + jenkinsWS}},
		{"jenkins docker.inside read from its command line alone", jenkinsInside, RunnerJenkins, "docker.inside", nil},
		{"a jenkins sh step's docker run is the author's", RunnerInput{
			Request: Request{Kind: KindCreate, Image: "postgres:16"}, Getenv: env("BUILD_TAG=jenkins-app-42")},
			RunnerJenkins, "", []string{}},
		{"BUILD_TAG of another tool names no runner", RunnerInput{
			Request: Request{Kind: KindCreate, Image: "postgres:16"}, Getenv: env("BUILD_TAG=nightly")}, "", "", []string{}},
		{"buildkite docker plugin", bkRun(bkEnv, "com.buildkite.job-id=0189",
			bind("/usr/bin/buildkite-agent", "/usr/bin/buildkite-agent", "--volume /usr/bin/buildkite-agent:/usr/bin/buildkite-agent")),
			RunnerBuildkite, "plugin run", []string{"--volume /var/lib/buildkite-agent/builds/a/app:/workdir",
				"--volume /usr/bin/buildkite-agent:/usr/bin/buildkite-agent", "--workdir /workdir", "--label com.buildkite.job-id=0189"}},
		{"buildkite label of another job", bkRun(bkEnv, "com.buildkite.job-id=4242"), RunnerBuildkite, "", []string{}},
		{"buildkite docker plugin read from its command line alone", bkRun(nil, "com.buildkite.job-id=4242"), RunnerBuildkite, "plugin run", nil},
		{"plain docker run", RunnerInput{Request: Request{Kind: KindCreate, Image: "busybox"}}, "", "", []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := AttributeRunner(tc.in)
			if a.Runner != tc.runner || a.Shape != tc.shape {
				t.Fatalf("runner %q shape %q (evidence %q), want %q %q", a.Runner, a.Shape, a.Evidence, tc.runner, tc.shape)
			}
			if tc.runner != "" && len(a.Evidence) == 0 {
				t.Errorf("no evidence given")
			}
			var got []string
			for _, v := range a.Added {
				got = append(got, v.From)
				if v.Why == "" {
					t.Errorf("%s: no reason", v.From)
				}
			}
			switch {
			case tc.added == nil && tc.name == "the workflow's own socket bind is the author's":
				if slices.Contains(got, "-v /var/run/docker.sock:/var/run/docker.sock:ro") || !slices.Contains(got, ghSocket) {
					t.Errorf("added %q: want the runner's socket bind and not the workflow's", got)
				}
			case tc.added == nil:
				if len(got) == 0 {
					t.Errorf("nothing attributed to the runner")
				}
			case len(tc.added) == 0:
				if len(got) != 0 {
					t.Errorf("added %q, want nothing", got)
				}
			case !reflect.DeepEqual(got, tc.added):
				t.Errorf("added\n %q\nwant\n %q", got, tc.added)
			}
		})
	}
}

func TestRunnerHints(t *testing.T) {
	a := AttributeRunner(ghJob(env("GITHUB_ACTIONS=true")))
	socket := Violation{Rule: RuleMounts, Field: FieldMounts, From: ghSocket, Message: "host path /var/run/docker.sock is on the policy's deny list", Hint: "add a policy exception"}
	tools := Violation{Rule: RuleMounts, Field: FieldMounts, From: "-v /opt/hostedtoolcache:/__t", Message: "a writable bind of /opt", Hint: "end -v with :ro"}
	own := Violation{Rule: RulePrivileged, Field: FieldPrivileged, From: "--privileged", Message: "privileged mode", Hint: "grant only the capabilities it needs"}
	d := Decision{Violations: []Violation{socket, tools, own}}
	before := slices.Clone(d.Violations)

	for _, tc := range []struct {
		name   string
		preset *Decision
		hints  []string // substrings of each violation's hint, in order
	}{
		{"no preset decision", nil, []string{"try the policy made for hosts that run the GitHub Actions runner (sdocker policy preset github-actions); or add a policy exception",
			"sdocker policy preset github-actions", "grant only the capabilities it needs"}},
		{"the preset lifts the socket, not the tool cache", &Decision{Violations: []Violation{tools, own}},
			[]string{"use the policy made for hosts that run the GitHub Actions runner, which allows what the runner adds: sdocker policy preset github-actions",
				"end -v with :ro (the runner adds it, and even its preset, sdocker policy preset github-actions, refuses it)", "grant only"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := RunnerHints(d, a, tc.preset)
			if !reflect.DeepEqual(d.Violations, before) {
				t.Fatalf("the decision given was changed")
			}
			for i, v := range out.Violations {
				if !strings.Contains(v.Hint, tc.hints[i]) {
					t.Errorf("violation %s: hint %q lacks %q", v.From, v.Hint, tc.hints[i])
				}
			}
			if !strings.Contains(out.Violations[0].Message, "the GitHub Actions runner added "+ghSocket+", not the job's author") {
				t.Errorf("message %q does not say the runner added it", out.Violations[0].Message)
			}
			if out.Violations[2] != own {
				t.Errorf("the author's own violation was rewritten: %+v", out.Violations[2])
			}
		})
	}

	bk := AttributeRunner(RunnerInput{
		Request: Request{Kind: KindCreate, Image: "golang", Mounts: []Mount{
			bind("/b", "/workdir", "--volume /b:/workdir"),
			bind("/usr/bin/buildkite-agent", "/usr/bin/buildkite-agent", "--volume /usr/bin/buildkite-agent:/usr/bin/buildkite-agent")}},
		Workdir: val("--workdir /workdir"), Labels: vals("--label com.buildkite.job-id=1")})
	agent := Violation{Rule: RuleMounts, From: "--volume /usr/bin/buildkite-agent:/usr/bin/buildkite-agent", Message: "a writable bind of /usr", Hint: "end the volume with :ro"}
	out := RunnerHints(Decision{Violations: []Violation{agent}}, bk, &Decision{Violations: []Violation{agent}})
	if want := "set mount-buildkite-agent: false in the step's docker plugin and install the agent in the image (even the runner's preset, sdocker policy preset buildkite, refuses it); or end the volume with :ro"; out.Violations[0].Hint != want {
		t.Errorf("hint %q, want %q", out.Violations[0].Hint, want)
	}
	if got := RunnerHints(d, Attribution{}, nil); !reflect.DeepEqual(got, d) {
		t.Errorf("no runner: the decision changed")
	}
}
