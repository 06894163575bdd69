package argv

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

type occ struct{ name, value, typed string }

func occs(os []Occurrence) []occ {
	out := []occ{}
	for _, o := range os {
		out = append(out, occ{o.Flag.Canonical(), o.Value, o.Typed})
	}
	return out
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name    string
		argv    string
		command string
		flags   []occ
		args    []string
		err     string
	}{
		{name: "pass-through", argv: "ps -a", command: ""},
		{name: "plugin", argv: "compose up -d", command: ""},
		{name: "global flags before run", argv: "-H unix:///x.sock --debug run busybox", command: "run",
			flags: []occ{}, args: []string{"busybox"}},
		{name: "combined shorthands", argv: "run -itd busybox sh", command: "run",
			flags: []occ{{"interactive", "true", "-itd"}, {"tty", "true", "-itd"}, {"detach", "true", "-itd"}}, args: []string{"busybox", "sh"}},
		{name: "attached shorthand value", argv: "run -v/a:/b busybox", command: "run",
			flags: []occ{{"volume", "/a:/b", "-v/a:/b"}}, args: []string{"busybox"}},
		{name: "shorthand with equals", argv: "run -m=1g busybox", command: "run",
			flags: []occ{{"memory", "1g", "-m=1g"}}, args: []string{"busybox"}},
		{name: "bool shorthand then value shorthand", argv: "run -itv /a:/b busybox", command: "run",
			flags: []occ{{"interactive", "true", "-itv"}, {"tty", "true", "-itv"}, {"volume", "/a:/b", "-itv /a:/b"}}, args: []string{"busybox"}},
		{name: "long with equals", argv: "run --cap-add=SYS_ADMIN busybox", command: "run",
			flags: []occ{{"cap-add", "SYS_ADMIN", "--cap-add=SYS_ADMIN"}}, args: []string{"busybox"}},
		{name: "long with separate value", argv: "run --pid host busybox", command: "run",
			flags: []occ{{"pid", "host", "--pid host"}}, args: []string{"busybox"}},
		{name: "value that looks like a flag", argv: "run --name --privileged busybox", command: "run",
			flags: []occ{{"name", "--privileged", "--name --privileged"}}, args: []string{"busybox"}},
		{name: "bool with value", argv: "run --privileged=false busybox", command: "run",
			flags: []occ{{"privileged", "false", "--privileged=false"}}, args: []string{"busybox"}},
		{name: "hidden alias", argv: "run --net=host busybox", command: "run",
			flags: []occ{{"network", "host", "--net=host"}}, args: []string{"busybox"}},
		{name: "parsing stops at image", argv: "run busybox --privileged -v /:/host", command: "run",
			flags: []occ{}, args: []string{"busybox", "--privileged", "-v", "/:/host"}},
		{name: "double dash", argv: "run -t -- busybox --privileged", command: "run",
			flags: []occ{{"tty", "true", "-t"}}, args: []string{"busybox", "--privileged"}},
		{name: "container run", argv: "container run --rm busybox", command: "run",
			flags: []occ{{"rm", "true", "--rm"}}, args: []string{"busybox"}},
		{name: "container create", argv: "container create busybox", command: "create", flags: []occ{}, args: []string{"busybox"}},
		{name: "exec privileged", argv: "exec --privileged -it c1 sh", command: "exec",
			flags: []occ{{"privileged", "true", "--privileged"}, {"interactive", "true", "-it"}, {"tty", "true", "-it"}}, args: []string{"c1", "sh"}},
		{name: "image pull", argv: "image pull -q busybox", command: "pull",
			flags: []occ{{"quiet", "true", "-q"}}, args: []string{"busybox"}},
		{name: "global help does not stop the command", argv: "--help create --privileged img", command: "create",
			flags: []occ{{"privileged", "true", "--privileged"}}, args: []string{"img"}},
		{name: "parent help does not stop the command", argv: "container -h run img", command: "run", flags: []occ{}, args: []string{"img"}},
		{name: "help=false is no help", argv: "exec --help=false c sh", command: "exec",
			flags: []occ{{"help", "false", "--help=false"}}, args: []string{"c", "sh"}},
		{name: "update reads flags after the container", argv: "update c1 --memory 0 c2", command: "update",
			flags: []occ{{"memory", "0", "--memory 0"}}, args: []string{"c1", "c2"}},
		{name: "interspersed stops at double dash", argv: "start c1 -- -a", command: "start", flags: []occ{}, args: []string{"c1", "-a"}},
		{name: "a double dash as a value is a value", argv: "restart c1 -s -- c2", command: "restart",
			flags: []occ{{"signal", "--", "-s --"}}, args: []string{"c1", "c2"}},
		{name: "container start", argv: "container start -ai c1", command: "start",
			flags: []occ{{"attach", "true", "-ai"}, {"interactive", "true", "-ai"}}, args: []string{"c1"}},
		{name: "network connect after the names", argv: "network connect bridge c1 --alias x", command: "network connect",
			flags: []occ{{"alias", "x", "--alias x"}}, args: []string{"bridge", "c1"}},
		{name: "network help before connect", argv: "network -h connect host c1", command: "network connect", flags: []occ{}, args: []string{"host", "c1"}},
		{name: "build with the network after the context", argv: "build . --network host", command: "build",
			flags: []occ{{"network", "host", "--network host"}}, args: []string{"."}},
		{name: "image build", argv: "image build -m 0 .", command: "build", flags: []occ{{"memory", "0", "-m 0"}}, args: []string{"."}},
		{name: "builder build", argv: "builder build --security-opt seccomp=unconfined .", command: "build",
			flags: []occ{{"security-opt", "seccomp=unconfined", "--security-opt seccomp=unconfined"}}, args: []string{"."}},
		{name: "plugin install", argv: "plugin install --grant-all-permissions r/p:1 DEBUG=1", command: "plugin install",
			flags: []occ{{"grant-all-permissions", "true", "--grant-all-permissions"}}, args: []string{"r/p:1", "DEBUG=1"}},
		{name: "plugin set", argv: "plugin set p data.source=/etc", command: "plugin set", flags: []occ{}, args: []string{"p", "data.source=/etc"}},
		{name: "service create stops at the image", argv: "service create --mount type=bind,src=/,dst=/h img --cap-add ALL", command: "service create",
			flags: []occ{{"mount", "type=bind,src=/,dst=/h", "--mount type=bind,src=/,dst=/h"}}, args: []string{"img", "--cap-add", "ALL"}},
		{name: "service update is interspersed", argv: "service update s1 --cap-add ALL", command: "service update",
			flags: []occ{{"cap-add", "ALL", "--cap-add ALL"}}, args: []string{"s1"}},
		{name: "stack up", argv: "stack up -c a.yml s", command: "stack deploy",
			flags: []occ{{"compose-file", "a.yml", "-c a.yml"}}, args: []string{"s"}},
		{name: "stack orchestrator before deploy", argv: "stack --orchestrator swarm deploy s", command: "stack deploy", flags: []occ{}, args: []string{"s"}},
		{name: "buildx build", argv: "buildx --builder b build . --allow security.insecure", command: "buildx build",
			flags: []occ{{"allow", "security.insecure", "--allow security.insecure"}}, args: []string{"."}},
		{name: "buildx b", argv: "buildx b --network=host .", command: "buildx build",
			flags: []occ{{"network", "host", "--network=host"}}, args: []string{"."}},
		{name: "buildx bake is not parsed", argv: "buildx bake --allow security.insecure", command: "buildx",
			flags: []occ{}, args: []string{"--allow", "security.insecure"}},
		{name: "builder bake", argv: "builder bake t", command: "buildx", flags: []occ{}, args: []string{"t"}},
		{name: "buildx ls passes", argv: "buildx ls", command: ""},
		{name: "buildx dial-stdio", argv: "buildx -D dial-stdio", command: "buildx", flags: []occ{}, args: []string{}},
		{name: "network ls passes", argv: "network ls", command: ""},
		{name: "detach is run only", argv: "create -d busybox", err: "unknown shorthand flag: 'd' in -d"},
		{name: "unknown flag", argv: "run --priviledged busybox", err: "unknown flag: --priviledged"},
		{name: "missing value", argv: "run --memory", err: "flag needs an argument: --memory"},
		{name: "bad bool", argv: "run --privileged=yes busybox", err: `invalid argument "yes" for --privileged=yes`},
		{name: "bad global", argv: "--hots x run busybox", err: "unknown flag: --hots"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inv, err := Parse(strings.Fields(tc.argv))
			if tc.err != "" {
				var ue *UsageError
				if err == nil || !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want usage error containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if inv.Command != tc.command {
				t.Fatalf("command = %q, want %q", inv.Command, tc.command)
			}
			if tc.command == "" {
				return
			}
			if got := occs(inv.Flags); !reflect.DeepEqual(got, tc.flags) && (len(got) > 0 || len(tc.flags) > 0) {
				t.Errorf("flags = %v, want %v", got, tc.flags)
			}
			if !reflect.DeepEqual(inv.Args, tc.args) {
				t.Errorf("args = %q, want %q", inv.Args, tc.args)
			}
		})
	}
}

func TestRenderKeepsUserArgvAndAddsAfterCommand(t *testing.T) {
	argv := []string{"-D", "container", "run", "--security-opt", "seccomp=default", "-it", "busybox", "sh", "-c", "--privileged"}
	inv, err := Parse(argv)
	if err != nil {
		t.Fatal(err)
	}
	got := Render(inv, Edit{Add: []string{"--cap-drop=ALL"}, Remove: inv.Flags[:1], Image: "busybox@sha256:abc"})
	want := []string{"-D", "container", "run", "--cap-drop=ALL", "-it", "busybox@sha256:abc", "sh", "-c", "--privileged"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Render = %q\nwant     %q", got, want)
	}
}

// pflagParse parses argv with spf13/pflag configured from the same table, the way docker does
// (interspersed arguments off for run, create, exec and service create), for the differential
// fuzz target.
func pflagParse(table []Flag, argv []string, inter bool) ([]occ, []string, error) {
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	fs.SetInterspersed(inter)
	fs.Usage = func() {}
	fs.SetOutput(new(strings.Builder))
	for _, f := range table {
		switch f.Kind {
		case Bool:
			fs.BoolP(f.Name, f.Short, false, "")
		default:
			fs.StringArrayP(f.Name, f.Short, nil, "")
		}
	}
	var got []occ
	err := fs.ParseAll(argv, func(fl *pflag.Flag, value string) error {
		if err := fl.Value.Set(value); err != nil {
			return err
		}
		name := fl.Name
		for _, f := range table {
			if f.Name == name {
				name = f.Canonical()
			}
		}
		got = append(got, occ{name: name, value: value})
		return nil
	})
	return got, fs.Args(), err
}

func FuzzParseMatchesPflag(f *testing.F) {
	for _, s := range []string{
		"run -itd busybox sh", "run -v/a:/b --cap-add=ALL -m=1g img", "run --name -- img", "run -- img -x",
		"create --privileged=0 -p 80:80 img a b", "run -", "run --net host img", "exec -u0 c sh", "run ---x img",
		"run -t= img", "run --=x img", "run -e A=B -eC=D img", "pull -aq img", "update -m 2g c",
		"update c -m 2g", "start c -- -a", "restart -s -- c", "build . --network host", "network connect n c --alias a",
		"plugin set p a.source=/x", "service update s --cap-add A", "service create img --cap-add A", "stack up -c f s",
		"buildx build . --allow x", "plugin install r -- k=v",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		argv := strings.Split(line, " ")
		inv, err := Parse(argv)
		if err != nil || inv.Command == "" || inv.Command == "buildx" {
			return // buildx's bake, create, dial-stdio and debug are not parsed
		}
		table := CommandFlags(inv.Command)
		want, wantArgs, perr := pflagParse(table, argv[inv.CommandEnd:], interspersed(inv.Command))
		if perr != nil {
			if !strings.Contains(perr.Error(), "help requested") {
				t.Fatalf("sdocker accepted %q, pflag refused it: %v", line, perr)
			}
			return
		}
		got := occs(inv.Flags)
		for i := range got {
			got[i].typed = ""
		}
		if len(got) != len(want) || (len(got) > 0 && !reflect.DeepEqual(got, want)) {
			t.Fatalf("%q: flags %v, pflag %v", line, got, want)
		}
		if len(wantArgs) == 0 {
			wantArgs = nil
		}
		gotArgs := inv.Args
		if len(gotArgs) == 0 {
			gotArgs = nil
		}
		if !reflect.DeepEqual(gotArgs, wantArgs) {
			t.Fatalf("%q: args %q, pflag %q", line, gotArgs, wantArgs)
		}
		// Rendering with additions keeps the user's argv as a subsequence and the image and
		// command as the exact tail.
		out := Render(inv, Edit{Add: []string{"--cap-drop=ALL", "--pids-limit=512"}})
		if len(out) != len(argv)+2 {
			t.Fatalf("render changed the user's argv: %q -> %q", argv, out)
		}
		if !interspersed(inv.Command) {
			tail := out[len(out)-len(inv.Args):]
			if !reflect.DeepEqual(tail, inv.Args) && len(inv.Args) > 0 {
				t.Fatalf("render moved the image or command: %q -> %q", argv, out)
			}
		} else if !reflect.DeepEqual(out[inv.CommandEnd+2:], argv[inv.CommandEnd:]) {
			// Interspersed: the additions go right after the command words, the rest as typed.
			t.Fatalf("render changed what follows the command: %q -> %q", argv, out)
		}
	})
}
