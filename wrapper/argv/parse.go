package argv

import (
	"fmt"
	"strconv"
	"strings"
)

// Occurrence is one flag as it appeared on the command line.
type Occurrence struct {
	Flag  Flag
	Value string // "true"/"false"-style text for Bool flags
	// Typed is the flag as the user wrote it ("--cap-add=sys_admin", "-v /:/host", "-itd" for a
	// combined shorthand).
	Typed string
	// Start and End delimit the argv tokens that carried it: argv[Start:End].
	Start, End int
}

// Invocation is a parsed docker command line.
type Invocation struct {
	// Argv is the command line without the program name, exactly as given.
	Argv []string
	// Globals are docker's global flags, before the command.
	Globals []Occurrence
	// Command is run, create, exec, update or pull when sdocker decides it, else "".
	Command string
	// CommandEnd is the index in Argv just after the command words ("container run").
	CommandEnd int
	// Flags are the command's flags in order.
	Flags []Occurrence
	// ArgsStart is the index in Argv of the first positional argument (IMAGE for run and
	// create, CONTAINER for exec and update, NAME for pull); len(Argv) when there is none.
	ArgsStart int
	// Args are the positional arguments: IMAGE [COMMAND] [ARG...] for run and create.
	Args []string
	// Help is set when the command asks for its help text.
	Help bool
}

// UsageError is a command line docker would refuse. The CLI reports it as one line, exit 125.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

func usagef(format string, args ...any) error { return &UsageError{Msg: fmt.Sprintf(format, args...)} }

// decided are the commands sdocker decides, by their docker command path.
var decided = map[string]string{
	"run": "run", "container run": "run",
	"create": "create", "container create": "create",
	"exec": "exec", "container exec": "exec",
	"update": "update", "container update": "update",
	"pull": "pull", "image pull": "pull",
	// They change what a container may do: mounts are made at start, a network joined, a
	// build's RUN steps and a plugin are containers, a service's tasks are too.
	"start": "start", "container start": "start",
	"restart": "restart", "container restart": "restart",
	"network connect": "network connect",
	"network create":  "network create",
	"volume create":   "volume create",
	"cp":              "cp", "container cp": "cp",
	"build": "build", "builder build": "build", "image build": "build",
	"plugin install": "plugin install", "plugin create": "plugin create", "plugin enable": "plugin enable",
	"plugin set": "plugin set", "plugin upgrade": "plugin upgrade",
	"service create": "service create", "service update": "service update",
	"stack deploy": "stack deploy", "stack up": "stack deploy",
	// BuildKit through buildx: buildx build's flags say its entitlements and network; bake
	// reads them from files, buildx create starts a privileged builder container, dial-stdio
	// and debug reach a builder directly. Those are decided without parsing.
	"buildx build": "buildx build", "buildx b": "buildx build", "buildx bake": "buildx", "buildx create": "buildx",
	"buildx dial-stdio": "buildx", "buildx debug": "buildx",
	"builder bake": "buildx",
}

// parents are the command groups whose subcommands sdocker decides, with their own flags.
var parents = map[string][]Flag{
	"container": parentFlags, "image": parentFlags, "network": parentFlags, "builder": parentFlags, "volume": parentFlags,
	"plugin": parentFlags, "service": parentFlags, "stack": stackFlags, "buildx": nil,
}

// Parse parses a docker command line (without the program name). A command sdocker does not
// decide comes back with Command "" and only Globals filled; docker will parse the rest.
func Parse(argv []string) (*Invocation, error) {
	inv := &Invocation{Argv: argv}
	globals, rest, err := parseFlags(globalFlags, argv, 0, "docker")
	if err != nil {
		return nil, err
	}
	inv.Globals = globals
	// A help or version flag before the command does not stop docker from running it: cobra
	// reads it as the root command's and executes the subcommand all the same.
	if rest >= len(argv) {
		return inv, nil
	}
	words := argv[rest]
	end := rest + 1
	if pf, ok := parents[words]; ok {
		// Likewise the parent command's own flags (--help) may stand before the subcommand.
		next := end
		if words == "buildx" {
			next = buildxSubcommand(argv, end)
		} else if _, next, err = parseFlags(pf, argv, end, "docker "+words); err != nil {
			return nil, err
		}
		if next < len(argv) {
			words += " " + argv[next]
			end = next + 1
		}
	}
	cmd, ok := decided[words]
	if !ok {
		return inv, nil
	}
	inv.Command, inv.CommandEnd = cmd, end
	if cmd == "buildx" {
		inv.ArgsStart, inv.Args = end, argv[end:]
		return inv, nil
	}
	flags, args, err := parseCommandFlags(CommandFlags(cmd), argv, end, "docker "+words, interspersed(cmd))
	if err != nil {
		return nil, err
	}
	inv.Flags, inv.ArgsStart, inv.Args = flags, len(argv), nil
	for _, i := range args {
		inv.Args = append(inv.Args, argv[i])
	}
	if len(args) > 0 {
		inv.ArgsStart = args[0]
	}
	// docker prints the help and runs nothing only when the last --help says true.
	for _, f := range flags {
		if f.Flag.Name == "help" {
			inv.Help = IsTrue(f.Value)
		}
	}
	return inv, nil
}

// buildxSubcommand finds buildx's subcommand after its own flags (--builder NAME, -D, --debug):
// the index of the first word that is not one of them.
func buildxSubcommand(argv []string, i int) int {
	for i < len(argv) {
		switch s := argv[i]; {
		case s == "--builder":
			i += 2
		case strings.HasPrefix(s, "--builder="), s == "-D", s == "--debug", strings.HasPrefix(s, "--debug="):
			i++
		default:
			return i
		}
	}
	return i
}

// Has reports whether a flag (by canonical name) was given.
func (inv *Invocation) Has(name string) bool {
	for _, f := range inv.Flags {
		if f.Flag.Canonical() == name {
			return true
		}
	}
	return false
}

// Image returns IMAGE for run and create, the image name for pull, "" otherwise.
func (inv *Invocation) Image() string {
	switch inv.Command {
	case "run", "create", "pull":
		if len(inv.Args) > 0 {
			return inv.Args[0]
		}
	}
	return ""
}

// interspersed reports whether docker reads a command's flags after its positional arguments
// too, as cobra does unless a command says otherwise: "docker update c1 --memory 0" sets the
// memory. Only run, create, exec and service create stop at their first argument (IMAGE,
// CONTAINER), so that what follows belongs to the container.
func interspersed(cmd string) bool {
	switch cmd {
	case "run", "create", "exec", "service create":
		return false
	}
	return true
}

// parseCommandFlags parses a command's flags and returns the indexes in argv of its positional
// arguments: those after the flags, or, interspersed, every argument that is not a flag or a
// flag's value, up to "--" (after which all are positional).
func parseCommandFlags(table []Flag, argv []string, start int, cmd string, inter bool) ([]Occurrence, []int, error) {
	var out []Occurrence
	var args []int
	for i := start; ; {
		flags, next, err := parseFlags(table, argv, i, cmd)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, flags...)
		if next >= len(argv) {
			return out, args, nil
		}
		dashes := next > 0 && argv[next-1] == "--" && (len(flags) == 0 || flags[len(flags)-1].End < next)
		if !inter || dashes {
			for j := next; j < len(argv); j++ {
				args = append(args, j)
			}
			return out, args, nil
		}
		args = append(args, next)
		i = next + 1
	}
}

// parseFlags parses argv[start:] against a flag table the way pflag does with interspersed
// arguments off: it stops at the first positional argument or after "--", and returns the
// index of the first positional argument.
func parseFlags(table []Flag, argv []string, start int, cmd string) ([]Occurrence, int, error) {
	long := map[string]Flag{}
	short := map[byte]Flag{}
	for _, f := range table {
		long[f.Name] = f
		if f.Short != "" {
			short[f.Short[0]] = f
		}
	}
	var out []Occurrence
	i := start
	for i < len(argv) {
		s := argv[i]
		if len(s) < 2 || s[0] != '-' {
			return out, i, nil
		}
		if s == "--" {
			return out, i + 1, nil
		}
		tokStart := i
		i++
		if s[1] == '-' {
			name, value, hasValue := strings.Cut(s[2:], "=")
			if name == "" || name[0] == '-' || name[0] == '=' {
				return nil, 0, usagef("bad flag syntax: %s", s)
			}
			f, ok := long[name]
			if !ok {
				return nil, 0, usagef("unknown flag: --%s (not a flag of %s)", name, cmd)
			}
			typed := s
			switch {
			case hasValue:
			case f.Kind == Bool:
				value = "true"
			case i < len(argv):
				value = argv[i]
				typed = s + " " + value
				i++
			default:
				return nil, 0, usagef("flag needs an argument: %s", s)
			}
			if err := checkValue(f, value, typed); err != nil {
				return nil, 0, err
			}
			out = append(out, Occurrence{Flag: f, Value: value, Typed: typed, Start: tokStart, End: i})
			continue
		}
		// Shorthands: "-itd", "-v/a:/b", "-m=1g", "-v" "/a:/b".
		shorts := s[1:]
		for len(shorts) > 0 {
			c := shorts[0]
			f, ok := short[c]
			if !ok {
				return nil, 0, usagef("unknown shorthand flag: %q in %s (not a flag of %s)", c, s, cmd)
			}
			var value, typed string
			switch {
			case len(shorts) > 2 && shorts[1] == '=':
				value, shorts, typed = shorts[2:], "", s
			case f.Kind == Bool:
				value, shorts, typed = "true", shorts[1:], s
			case len(shorts) > 1:
				value, shorts, typed = shorts[1:], "", s
			case i < len(argv):
				value, shorts, typed = argv[i], "", s+" "+argv[i]
				i++
			default:
				return nil, 0, usagef("flag needs an argument: %q in %s", c, s)
			}
			if err := checkValue(f, value, typed); err != nil {
				return nil, 0, err
			}
			out = append(out, Occurrence{Flag: f, Value: value, Typed: typed, Start: tokStart, End: i})
		}
	}
	return out, i, nil
}

// checkValue refuses values that docker's flag types would refuse, where the decision depends
// on reading them: a bool that is not a bool must not be read as false.
func checkValue(f Flag, value, typed string) error {
	if f.Kind == Bool {
		if _, err := strconv.ParseBool(value); err != nil {
			return usagef("invalid argument %q for %s: not a boolean", value, typed)
		}
	}
	return nil
}
