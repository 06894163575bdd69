package argv

// The flags of the commands beyond run, create, exec, update and pull that sdocker decides,
// because each creates a container or changes what one may do: start and restart (the mounts
// are made then), network connect, the legacy builder's build (its RUN steps are containers),
// the plugin commands (a plugin is a root container with the privileges its config asks for),
// and swarm's service create/update and stack deploy (docker CLI 28). A test checks each table
// against the installed docker's --help.

// cpFlags are docker cp's: a copy mounts the container's binds and volumes, with no start.
var cpFlags = []Flag{
	b("archive", "a"),
	b("follow-link", "L"),
	b("help", "h"),
	b("quiet", "q"),
}

var startFlags = []Flag{
	b("attach", "a"),
	v("checkpoint", "", "string"),
	v("checkpoint-dir", "", "string"),
	v("detach-keys", "", "string"),
	b("help", "h"),
	b("interactive", "i"),
}

var restartFlags = []Flag{
	b("help", "h"),
	v("signal", "s", "string"),
	v("timeout", "t", "int"),
	{Name: "time", Kind: Value, Type: "int", Deprecated: true},
}

// volumeCreateFlags are docker volume create's (docker CLI 28): a local volume's options can
// bind or mount the host, and a volume made after run or create was checked would be used
// unchecked.
var volumeCreateFlags = []Flag{
	v("availability", "", "string"),
	v("driver", "d", "string"),
	v("group", "", "string"),
	b("help", "h"),
	l("label", "", "list"),
	v("limit-bytes", "", "bytes"),
	l("opt", "o", "map"),
	v("required-bytes", "", "bytes"),
	v("scope", "", "string"),
	l("secret", "", "map"),
	v("sharing", "", "string"),
	l("topology-preferred", "", "list"),
	l("topology-required", "", "list"),
	v("type", "", "string"),
}

// networkCreateFlags are docker network create's (docker CLI 28): the driver and its options
// can put containers on the host's own network segment.
var networkCreateFlags = []Flag{
	b("attachable", ""),
	l("aux-address", "", "map"),
	v("config-from", "", "string"),
	b("config-only", ""),
	v("driver", "d", "string"),
	l("gateway", "", "strings"),
	b("help", "h"),
	b("ingress", ""),
	b("internal", ""),
	l("ip-range", "", "strings"),
	v("ipam-driver", "", "string"),
	l("ipam-opt", "", "map"),
	b("ipv4", ""),
	b("ipv6", ""),
	l("label", "", "list"),
	l("opt", "o", "map"),
	v("scope", "", "string"),
	l("subnet", "", "strings"),
}

var networkConnectFlags = []Flag{
	l("alias", "", "strings"),
	l("driver-opt", "", "strings"),
	v("gw-priority", "", "int"),
	b("help", "h"),
	v("ip", "", "string"),
	v("ip6", "", "string"),
	l("link", "", "list"),
	l("link-local-ip", "", "strings"),
}

var pluginInstallFlags = []Flag{
	v("alias", "", "string"),
	b("disable", ""),
	b("disable-content-trust", ""),
	b("grant-all-permissions", ""),
	b("help", "h"),
}

var pluginCreateFlags = []Flag{b("compress", ""), b("help", "h")}

var pluginEnableFlags = []Flag{b("help", "h"), v("timeout", "", "int")}

var pluginSetFlags = []Flag{b("help", "h")}

var pluginUpgradeFlags = []Flag{
	b("disable-content-trust", ""),
	b("grant-all-permissions", ""),
	b("help", "h"),
	b("skip-remote-check", ""),
}

var stackDeployFlags = []Flag{
	l("compose-file", "c", "strings"),
	b("detach", "d"),
	b("help", "h"),
	b("prune", ""),
	b("quiet", "q"),
	v("resolve-image", "", "string"),
	b("with-registry-auth", ""),
}

// stackFlags are the stack parent command's own flags.
var stackFlags = []Flag{b("help", "h"), {Name: "orchestrator", Kind: Value, Type: "string", Deprecated: true}}

// serviceCreateFlags are docker service create's.
var serviceCreateFlags = []Flag{
	l("cap-add", "", "list"),
	l("cap-drop", "", "list"),
	l("config", "", "config"),
	l("constraint", "", "list"),
	l("container-label", "", "list"),
	v("credential-spec", "", "credential-spec"),
	b("detach", "d"),
	l("dns", "", "list"),
	l("dns-option", "", "list"),
	l("dns-search", "", "list"),
	v("endpoint-mode", "", "string"),
	v("entrypoint", "", "command"),
	l("env", "e", "list"),
	l("env-file", "", "list"),
	l("generic-resource", "", "list"),
	l("group", "", "list"),
	v("health-cmd", "", "string"),
	v("health-interval", "", "duration"),
	v("health-retries", "", "int"),
	v("health-start-interval", "", "duration"),
	v("health-start-period", "", "duration"),
	v("health-timeout", "", "duration"),
	l("host", "", "list"),
	v("hostname", "", "string"),
	b("init", ""),
	v("isolation", "", "string"),
	l("label", "l", "list"),
	v("limit-cpu", "", "decimal"),
	v("limit-memory", "", "bytes"),
	v("limit-pids", "", "int"),
	v("log-driver", "", "string"),
	l("log-opt", "", "list"),
	v("max-concurrent", "", "uint"),
	v("mode", "", "string"),
	l("mount", "", "mount"),
	v("name", "", "string"),
	l("network", "", "network"),
	b("no-healthcheck", ""),
	b("no-resolve-image", ""),
	v("oom-score-adj", "", "int"),
	l("placement-pref", "", "pref"),
	l("publish", "p", "port"),
	b("quiet", "q"),
	b("read-only", ""),
	v("replicas", "", "uint"),
	v("replicas-max-per-node", "", "uint"),
	v("reserve-cpu", "", "decimal"),
	v("reserve-memory", "", "bytes"),
	v("restart-condition", "", "string"),
	v("restart-delay", "", "duration"),
	v("restart-max-attempts", "", "uint"),
	v("restart-window", "", "duration"),
	v("rollback-delay", "", "duration"),
	v("rollback-failure-action", "", "string"),
	v("rollback-max-failure-ratio", "", "float"),
	v("rollback-monitor", "", "duration"),
	v("rollback-order", "", "string"),
	v("rollback-parallelism", "", "uint"),
	l("secret", "", "secret"),
	v("stop-grace-period", "", "duration"),
	v("stop-signal", "", "string"),
	l("sysctl", "", "list"),
	b("tty", "t"),
	l("ulimit", "", "ulimit"),
	v("update-delay", "", "duration"),
	v("update-failure-action", "", "string"),
	v("update-max-failure-ratio", "", "float"),
	v("update-monitor", "", "duration"),
	v("update-order", "", "string"),
	v("update-parallelism", "", "uint"),
	v("user", "u", "string"),
	b("with-registry-auth", ""),
	v("workdir", "w", "string"),
	b("help", "h"),
}

// serviceUpdateFlags are docker service update's.
var serviceUpdateFlags = []Flag{
	v("args", "", "command"),
	l("cap-add", "", "list"),
	l("cap-drop", "", "list"),
	l("config-add", "", "config"),
	l("config-rm", "", "list"),
	l("constraint-add", "", "list"),
	l("constraint-rm", "", "list"),
	l("container-label-add", "", "list"),
	l("container-label-rm", "", "list"),
	v("credential-spec", "", "credential-spec"),
	b("detach", "d"),
	l("dns-add", "", "list"),
	l("dns-option-add", "", "list"),
	l("dns-option-rm", "", "list"),
	l("dns-rm", "", "list"),
	l("dns-search-add", "", "list"),
	l("dns-search-rm", "", "list"),
	v("endpoint-mode", "", "string"),
	v("entrypoint", "", "command"),
	l("env-add", "", "list"),
	l("env-rm", "", "list"),
	b("force", ""),
	l("generic-resource-add", "", "list"),
	l("generic-resource-rm", "", "list"),
	l("group-add", "", "list"),
	l("group-rm", "", "list"),
	v("health-cmd", "", "string"),
	v("health-interval", "", "duration"),
	v("health-retries", "", "int"),
	v("health-start-interval", "", "duration"),
	v("health-start-period", "", "duration"),
	v("health-timeout", "", "duration"),
	l("host-add", "", "list"),
	l("host-rm", "", "list"),
	v("hostname", "", "string"),
	v("image", "", "string"),
	b("init", ""),
	v("isolation", "", "string"),
	l("label-add", "", "list"),
	l("label-rm", "", "list"),
	v("limit-cpu", "", "decimal"),
	v("limit-memory", "", "bytes"),
	v("limit-pids", "", "int"),
	v("log-driver", "", "string"),
	l("log-opt", "", "list"),
	v("max-concurrent", "", "uint"),
	l("mount-add", "", "mount"),
	l("mount-rm", "", "list"),
	l("network-add", "", "network"),
	l("network-rm", "", "list"),
	b("no-healthcheck", ""),
	b("no-resolve-image", ""),
	v("oom-score-adj", "", "int"),
	l("placement-pref-add", "", "pref"),
	l("placement-pref-rm", "", "pref"),
	l("publish-add", "", "port"),
	l("publish-rm", "", "port"),
	b("quiet", "q"),
	b("read-only", ""),
	v("replicas", "", "uint"),
	v("replicas-max-per-node", "", "uint"),
	v("reserve-cpu", "", "decimal"),
	v("reserve-memory", "", "bytes"),
	v("restart-condition", "", "string"),
	v("restart-delay", "", "duration"),
	v("restart-max-attempts", "", "uint"),
	v("restart-window", "", "duration"),
	b("rollback", ""),
	v("rollback-delay", "", "duration"),
	v("rollback-failure-action", "", "string"),
	v("rollback-max-failure-ratio", "", "float"),
	v("rollback-monitor", "", "duration"),
	v("rollback-order", "", "string"),
	v("rollback-parallelism", "", "uint"),
	l("secret-add", "", "secret"),
	l("secret-rm", "", "list"),
	v("stop-grace-period", "", "duration"),
	v("stop-signal", "", "string"),
	l("sysctl-add", "", "list"),
	l("sysctl-rm", "", "list"),
	b("tty", "t"),
	l("ulimit-add", "", "ulimit"),
	l("ulimit-rm", "", "list"),
	v("update-delay", "", "duration"),
	v("update-failure-action", "", "string"),
	v("update-max-failure-ratio", "", "float"),
	v("update-monitor", "", "duration"),
	v("update-order", "", "string"),
	v("update-parallelism", "", "uint"),
	v("user", "u", "string"),
	b("with-registry-auth", ""),
	v("workdir", "w", "string"),
	b("help", "h"),
}

// buildFlags are the legacy builder's (docker build, builder build, image build without buildx).
var buildFlags = []Flag{
	l("add-host", "", "list"),
	l("build-arg", "", "list"),
	l("cache-from", "", "strings"),
	v("cgroup-parent", "", "string"),
	b("compress", ""),
	v("cpu-period", "", "int"),
	v("cpu-quota", "", "int"),
	v("cpu-shares", "c", "int"),
	v("cpuset-cpus", "", "string"),
	v("cpuset-mems", "", "string"),
	b("disable-content-trust", ""),
	v("file", "f", "string"),
	b("force-rm", ""),
	v("iidfile", "", "string"),
	v("isolation", "", "string"),
	l("label", "", "list"),
	v("memory", "m", "bytes"),
	v("memory-swap", "", "bytes"),
	v("network", "", "string"),
	b("no-cache", ""),
	v("platform", "", "string"),
	b("pull", ""),
	b("quiet", "q"),
	b("rm", ""),
	l("security-opt", "", "strings"),
	v("shm-size", "", "bytes"),
	b("squash", ""),
	l("tag", "t", "list"),
	v("target", "", "string"),
	l("ulimit", "", "ulimit"),
	b("help", "h"),
}

// moreFlags are the tables of commands.go by the Invocation's Command.
var moreFlags = map[string][]Flag{
	"start": startFlags, "restart": restartFlags, "network connect": networkConnectFlags, "network create": networkCreateFlags, "build": anyBuildFlags(),
	"volume create": volumeCreateFlags, "cp": cpFlags,
	"plugin install": pluginInstallFlags, "plugin create": pluginCreateFlags, "plugin enable": pluginEnableFlags,
	"plugin set": pluginSetFlags, "plugin upgrade": pluginUpgradeFlags,
	"service create": serviceCreateFlags, "service update": serviceUpdateFlags, "stack deploy": stackDeployFlags,
	"buildx build": buildxBuildFlags,
}

// anyBuildFlags are the flags of docker build whichever builder runs it: the legacy builder's
// and buildx build's (the same name means the same kind of value in both). docker build is
// first read with these; the core then reads it again with the builder's own (AsBuilder).
func anyBuildFlags() []Flag {
	out := append([]Flag{}, buildFlags...)
	have := map[string]bool{}
	for _, f := range buildFlags {
		have[f.Name] = true
	}
	for _, f := range buildxBuildFlags {
		if !have[f.Name] {
			out = append(out, f)
		}
	}
	return out
}

// AsBuilder reads a docker build command line as the builder that will run it reads it: the
// legacy builder, or, where BuildKit builds (buildx installed, DOCKER_BUILDKIT not 0), buildx
// build, to which docker hands "docker build ARGS"; its Command is then "buildx build". A flag
// the builder does not know is a usage error, as docker would say.
func (inv *Invocation) AsBuilder(buildkit bool) (*Invocation, error) {
	out := *inv
	table, cmd, name := buildFlags, "build", "docker build (the legacy builder)"
	if buildkit {
		table, cmd, name = buildxBuildFlags, "buildx build", "docker build (buildx)"
	}
	flags, args, err := parseCommandFlags(table, inv.Argv, inv.CommandEnd, name, true)
	if err != nil {
		return nil, err
	}
	out.Command, out.Flags, out.Args, out.ArgsStart = cmd, flags, nil, len(inv.Argv)
	for _, i := range args {
		out.Args = append(out.Args, inv.Argv[i])
	}
	if len(args) > 0 {
		out.ArgsStart = args[0]
	}
	return &out, nil
}

// buildxBuildFlags are buildx build's (buildx v0.38), which docker build is where BuildKit
// builds (buildx installed, DOCKER_BUILDKIT not 0): the visible ones, then the hidden ones
// buildx still accepts (the legacy builder's limits, applied as --resource, and flags it
// ignores).
var buildxBuildFlags = []Flag{
	l("add-host", "", "strings"),
	l("allow", "", "stringArray"),
	l("annotation", "", "stringArray"),
	l("attest", "", "stringArray"),
	l("build-arg", "", "stringArray"),
	l("build-context", "", "stringArray"),
	v("builder", "", "string"),
	l("cache-from", "", "stringArray"),
	l("cache-to", "", "stringArray"),
	v("call", "", "string"),
	v("cgroup-parent", "", "string"),
	b("check", ""),
	b("debug", "D"),
	v("file", "f", "string"),
	v("iidfile", "", "string"),
	l("label", "", "stringArray"),
	b("load", ""),
	v("metadata-file", "", "string"),
	v("network", "", "string"),
	b("no-cache", ""),
	l("no-cache-filter", "", "stringArray"),
	l("output", "o", "stringArray"),
	l("platform", "", "stringArray"),
	l("policy", "", "stringArray"),
	v("progress", "", "string"),
	v("provenance", "", "string"),
	b("pull", ""),
	b("push", ""),
	b("quiet", "q"),
	l("resource", "", "stringArray"),
	v("sbom", "", "string"),
	l("secret", "", "stringArray"),
	v("shm-size", "", "bytes"),
	l("ssh", "", "stringArray"),
	l("tag", "t", "stringArray"),
	v("target", "", "string"),
	l("ulimit", "", "ulimit"),
	b("help", "h"),
	{Name: "print", Kind: Value, Type: "string", Hidden: true},
	{Name: "memory", Short: "m", Kind: Value, Type: "bytes", Hidden: true},
	{Name: "memory-swap", Kind: Value, Type: "bytes", Hidden: true},
	{Name: "cpu-shares", Short: "c", Kind: Value, Type: "int", Hidden: true},
	{Name: "cpu-period", Kind: Value, Type: "int", Hidden: true},
	{Name: "cpu-quota", Kind: Value, Type: "int", Hidden: true},
	{Name: "cpuset-cpus", Kind: Value, Type: "string", Hidden: true},
	{Name: "cpuset-mems", Kind: Value, Type: "string", Hidden: true},
	{Name: "compress", Kind: Bool, Hidden: true},
	{Name: "isolation", Kind: Value, Type: "string", Hidden: true},
	{Name: "security-opt", Kind: List, Type: "strings", Hidden: true},
	{Name: "squash", Kind: Bool, Hidden: true},
	{Name: "rm", Kind: Bool, Hidden: true},
	{Name: "force-rm", Kind: Bool, Hidden: true},
}
