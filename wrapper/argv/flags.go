// Package argv is docker's command-line grammar: the global flags, the flags of run, create,
// exec, update and pull, how docker parses them (pflag, parsing stops at IMAGE), how to render an
// argv back, which daemon it addresses, and how to find and exec the real docker CLI.
//
// It is all that the sdocker front links, so that pass-through commands cost no more than an
// exec: it imports nothing beyond a few standard packages (a test enforces it).
package argv

// Kind says what a flag's value is, which is all the parser needs to know.
type Kind int

const (
	// Bool flags take no separate value (but accept --flag=false).
	Bool Kind = iota
	// Value flags take one value, in the next argument or after '='.
	Value
	// List flags take one value per occurrence and may repeat.
	List
)

// Flag is one flag of a docker command, as docker declares it.
type Flag struct {
	Name   string
	Short  string
	Kind   Kind
	Type   string // the type word docker's --help prints ("list", "bytes", "string"…); "" for Bool
	Hidden bool   // declared but hidden from --help (aliases such as --net)
	// Deprecated flags are still accepted by docker but hidden from --help.
	Deprecated bool
	// Alias is the canonical flag this one is another spelling of (--net for --network).
	Alias string
}

// Canonical returns the flag's canonical name.
func (f Flag) Canonical() string {
	if f.Alias != "" {
		return f.Alias
	}
	return f.Name
}

func b(name, short string) Flag    { return Flag{Name: name, Short: short, Kind: Bool} }
func v(name, short, t string) Flag { return Flag{Name: name, Short: short, Kind: Value, Type: t} }
func l(name, short, t string) Flag { return Flag{Name: name, Short: short, Kind: List, Type: t} }
func hidden(f Flag, alias string) Flag {
	f.Hidden, f.Alias = true, alias
	return f
}

// containerFlags are the flags shared by docker run and docker create (docker CLI 28).
var containerFlags = []Flag{
	l("add-host", "", "list"),
	l("annotation", "", "map"),
	l("attach", "a", "list"),
	v("blkio-weight", "", "uint16"),
	l("blkio-weight-device", "", "list"),
	l("cap-add", "", "list"),
	l("cap-drop", "", "list"),
	v("cgroup-parent", "", "string"),
	v("cgroupns", "", "string"),
	v("cidfile", "", "string"),
	v("cpu-count", "", "int"),
	v("cpu-percent", "", "int"),
	v("cpu-period", "", "int"),
	v("cpu-quota", "", "int"),
	v("cpu-rt-period", "", "int"),
	v("cpu-rt-runtime", "", "int"),
	v("cpu-shares", "c", "int"),
	v("cpus", "", "decimal"),
	v("cpuset-cpus", "", "string"),
	v("cpuset-mems", "", "string"),
	l("device", "", "list"),
	l("device-cgroup-rule", "", "list"),
	l("device-read-bps", "", "list"),
	l("device-read-iops", "", "list"),
	l("device-write-bps", "", "list"),
	l("device-write-iops", "", "list"),
	b("disable-content-trust", ""),
	l("dns", "", "list"),
	hidden(l("dns-opt", "", "list"), "dns-option"),
	l("dns-option", "", "list"),
	l("dns-search", "", "list"),
	v("domainname", "", "string"),
	v("entrypoint", "", "string"),
	l("env", "e", "list"),
	l("env-file", "", "list"),
	l("expose", "", "list"),
	v("gpus", "", "gpu-request"),
	l("group-add", "", "list"),
	v("health-cmd", "", "string"),
	v("health-interval", "", "duration"),
	v("health-retries", "", "int"),
	v("health-start-interval", "", "duration"),
	v("health-start-period", "", "duration"),
	v("health-timeout", "", "duration"),
	b("help", ""),
	v("hostname", "h", "string"),
	b("init", ""),
	b("interactive", "i"),
	v("io-maxbandwidth", "", "bytes"),
	v("io-maxiops", "", "uint"),
	v("ip", "", "string"),
	v("ip6", "", "string"),
	v("ipc", "", "string"),
	v("isolation", "", "string"),
	v("kernel-memory", "", "bytes"),
	l("label", "l", "list"),
	l("label-file", "", "list"),
	l("link", "", "list"),
	l("link-local-ip", "", "list"),
	v("log-driver", "", "string"),
	l("log-opt", "", "list"),
	v("mac-address", "", "string"),
	v("memory", "m", "bytes"),
	v("memory-reservation", "", "bytes"),
	v("memory-swap", "", "bytes"),
	v("memory-swappiness", "", "int"),
	l("mount", "", "mount"),
	v("name", "", "string"),
	hidden(l("net", "", "network"), "network"),
	hidden(l("net-alias", "", "list"), "network-alias"),
	l("network", "", "network"),
	l("network-alias", "", "list"),
	b("no-healthcheck", ""),
	b("oom-kill-disable", ""),
	v("oom-score-adj", "", "int"),
	v("pid", "", "string"),
	v("pids-limit", "", "int"),
	v("platform", "", "string"),
	b("privileged", ""),
	l("publish", "p", "list"),
	b("publish-all", "P"),
	v("pull", "", "string"),
	b("quiet", "q"),
	b("read-only", ""),
	v("restart", "", "string"),
	b("rm", ""),
	v("runtime", "", "string"),
	l("security-opt", "", "list"),
	v("shm-size", "", "bytes"),
	v("stop-signal", "", "string"),
	v("stop-timeout", "", "int"),
	l("storage-opt", "", "list"),
	l("sysctl", "", "map"),
	l("tmpfs", "", "list"),
	b("tty", "t"),
	l("ulimit", "", "ulimit"),
	b("use-api-socket", ""),
	v("user", "u", "string"),
	v("userns", "", "string"),
	v("uts", "", "string"),
	l("volume", "v", "list"),
	v("volume-driver", "", "string"),
	l("volumes-from", "", "list"),
	v("workdir", "w", "string"),
}

// runOnlyFlags are accepted by docker run and not by docker create.
var runOnlyFlags = []Flag{
	b("detach", "d"),
	v("detach-keys", "", "string"),
	b("sig-proxy", ""),
}

// execFlags are docker exec's flags.
var execFlags = []Flag{
	b("detach", "d"),
	v("detach-keys", "", "string"),
	l("env", "e", "list"),
	l("env-file", "", "list"),
	b("help", "h"),
	b("interactive", "i"),
	b("privileged", ""),
	b("tty", "t"),
	v("user", "u", "string"),
	v("workdir", "w", "string"),
}

// updateFlags are docker update's flags.
var updateFlags = []Flag{
	v("blkio-weight", "", "uint16"),
	v("cpu-period", "", "int"),
	v("cpu-quota", "", "int"),
	v("cpu-rt-period", "", "int"),
	v("cpu-rt-runtime", "", "int"),
	v("cpu-shares", "c", "int"),
	v("cpus", "", "decimal"),
	v("cpuset-cpus", "", "string"),
	v("cpuset-mems", "", "string"),
	b("help", "h"),
	v("memory", "m", "bytes"),
	v("memory-reservation", "", "bytes"),
	v("memory-swap", "", "bytes"),
	v("pids-limit", "", "int"),
	v("restart", "", "string"),
	{Name: "kernel-memory", Kind: Value, Type: "bytes", Deprecated: true},
}

// pullFlags are docker pull's flags.
var pullFlags = []Flag{
	b("all-tags", "a"),
	b("disable-content-trust", ""),
	b("help", "h"),
	v("platform", "", "string"),
	b("quiet", "q"),
}

// globalFlags are docker's top-level flags, given before the command.
var globalFlags = []Flag{
	v("config", "", "string"),
	v("context", "c", "string"),
	b("debug", "D"),
	b("help", "h"),
	l("host", "H", "list"),
	v("log-level", "l", "string"),
	b("tls", ""),
	v("tlscacert", "", "string"),
	v("tlscert", "", "string"),
	v("tlskey", "", "string"),
	b("tlsverify", ""),
	b("version", "v"),
}

// parentFlags are the flags of the "container" and "image" parent commands: cobra's help.
var parentFlags = []Flag{b("help", "h")}

// CommandFlags returns the flag table of a command sdocker decides (run, create, exec, update,
// pull, and those in commands.go), nil for buildx's, which are not parsed.
func CommandFlags(cmd string) []Flag {
	switch cmd {
	case "run":
		return append(append([]Flag{}, containerFlags...), runOnlyFlags...)
	case "create":
		return containerFlags
	case "exec":
		return execFlags
	case "update":
		return updateFlags
	case "pull":
		return pullFlags
	}
	return moreFlags[cmd]
}
