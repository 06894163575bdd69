package audit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// DefaultDaemonJSON is where dockerd reads its configuration unless told otherwise.
const DefaultDaemonJSON = "/etc/docker/daemon.json"

// dockerdBool are dockerd's boolean flags: they take no separate value argument.
var dockerdBool = map[string]bool{
	"D": true, "debug": true, "experimental": true, "icc": true, "ip-forward": true, "ip-forward-no-drop": true,
	"ip-masq": true, "iptables": true, "ip6tables": true, "ipv6": true, "live-restore": true, "no-new-privileges": true,
	"selinux-enabled": true, "tls": true, "tlsverify": true, "userland-proxy": true, "raw-logs": true,
	"init": true, "rootless": true, "validate": true, "cri-containerd": true, "allow-direct-routing": true,
	"v": true, "version": true, "h": true, "help": true,
}

// dockerdShort maps dockerd's one-letter flags to their long names.
var dockerdShort = map[string]string{
	"H": "host", "b": "bridge", "l": "log-level", "G": "group", "p": "pidfile", "g": "graph", "s": "storage-driver",
	"D": "debug", "v": "version", "h": "help",
}

// dockerdArg is one flag of dockerd's command line and its value.
type dockerdArg struct{ name, val string }

// splitDockerdArgs reads dockerd's argv the way its flag parser (pflag) does: --name=value,
// --name value, boolean --name, and clusters of one-letter flags whose last may carry its
// value attached (-Htcp://…) or in the next argument. A flag the table does not know takes
// the next argument as its value unless that starts with "-" (dockerd takes no positional
// arguments, so a bare word after a flag can only be its value).
func splitDockerdArgs(args []string) []dockerdArg {
	var out []dockerdArg
	next := func(i *int) (string, bool) {
		if *i+1 < len(args) {
			*i++
			return args[*i], true
		}
		return "", false
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return out
		case strings.HasPrefix(a, "--"):
			name, val, hasVal := strings.Cut(a[2:], "=")
			switch {
			case hasVal:
			case dockerdBool[name]:
				val = "true"
			case i+1 < len(args) && strings.HasPrefix(args[i+1], "-") && args[i+1] != "-":
				val = "true" // an unknown flag followed by another: a boolean
			default:
				val, _ = next(&i)
			}
			out = append(out, dockerdArg{name, val})
		case strings.HasPrefix(a, "-") && len(a) > 1:
			for j := 1; j < len(a); j++ {
				c := a[j : j+1]
				name := dockerdShort[c]
				if name == "" {
					name = c
				}
				if dockerdBool[c] {
					out = append(out, dockerdArg{name, "true"})
					continue
				}
				val := strings.TrimPrefix(a[j+1:], "=")
				if val == "" {
					val, _ = next(&i)
				}
				out = append(out, dockerdArg{name, val})
				break
			}
		}
	}
	return out
}

// ParseDockerdArgs reads the settings the checks need from dockerd's argv (without argv[0]),
// and the configuration file it names (--config-file), if any.
func ParseDockerdArgs(args []string) (cfg DaemonConfig, configFile string, err error) {
	for _, a := range splitDockerdArgs(args) {
		name, val := a.name, a.val
		b := func() (*bool, error) {
			v, err := strconv.ParseBool(val)
			if err != nil {
				return nil, fmt.Errorf("dockerd flag --%s=%s: %w", name, val, err)
			}
			return &v, nil
		}
		switch name {
		case "host":
			cfg.Hosts = append(cfg.Hosts, val)
		case "tls":
			cfg.TLS, err = b()
		case "tlsverify":
			cfg.TLSVerify, err = b()
		case "icc":
			cfg.ICC, err = b()
		case "live-restore":
			cfg.LiveRestore, err = b()
		case "no-new-privileges":
			cfg.NoNewPrivileges, err = b()
		case "experimental":
			cfg.Experimental, err = b()
		case "userns-remap":
			cfg.UsernsRemap = val
		case "log-driver":
			cfg.LogDriver = val
		case "log-opt":
			k, v, _ := strings.Cut(val, "=")
			if cfg.LogOpts == nil {
				cfg.LogOpts = map[string]string{}
			}
			cfg.LogOpts[k] = v
		case "seccomp-profile":
			cfg.SeccompProfile = val
		case "authorization-plugin":
			cfg.AuthorizationPlugins = append(cfg.AuthorizationPlugins, val)
		case "insecure-registry":
			cfg.InsecureRegistries = append(cfg.InsecureRegistries, val)
		case "bridge":
			cfg.Bridge = val
		case "log-level":
			cfg.LogLevel = val
		case "debug":
			cfg.Debug, err = b()
		case "iptables":
			cfg.IPTables, err = b()
		case "userland-proxy":
			cfg.UserlandProxy, err = b()
		case "default-ulimit":
			// name=soft[:hard], as docker's ulimit parser reads it
			name, limits, _ := strings.Cut(val, "=")
			soft, hard, hasHard := strings.Cut(limits, ":")
			if !hasHard {
				hard = soft
			}
			u := Ulimit{Name: name}
			u.Soft, err = strconv.ParseInt(soft, 10, 64)
			if err == nil {
				u.Hard, err = strconv.ParseInt(hard, 10, 64)
			}
			if err != nil {
				err = fmt.Errorf("dockerd flag --default-ulimit=%s: %w", val, err)
				break
			}
			if cfg.DefaultUlimits == nil {
				cfg.DefaultUlimits = map[string]Ulimit{}
			}
			cfg.DefaultUlimits[name] = u
		case "cgroup-parent":
			cfg.CgroupParent = val
		case "storage-opt":
			cfg.StorageOpts = append(cfg.StorageOpts, val)
		case "config-file":
			configFile = val
		}
		if err != nil {
			return cfg, "", err
		}
	}
	return cfg, configFile, nil
}

// LoadDaemonJSON reads a daemon.json. A missing file is an empty configuration.
func LoadDaemonJSON(path string) (DaemonConfig, bool, error) {
	var cfg DaemonConfig
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return cfg, false, nil
	}
	if err != nil {
		return cfg, false, fmt.Errorf("reading daemon configuration: %w", err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return cfg, true, nil
	}
	if err := json.Unmarshal(data, &cfg); err != nil {
		return cfg, true, fmt.Errorf("reading daemon configuration %s: %w", path, err)
	}
	return cfg, true, nil
}

// merge lays the command line's settings over the file's (dockerd refuses a setting given in
// both, so either order gives the effective value).
func merge(file, flags DaemonConfig) DaemonConfig {
	out := file
	out.Hosts = append(append([]string(nil), file.Hosts...), flags.Hosts...)
	out.AuthorizationPlugins = append(append([]string(nil), file.AuthorizationPlugins...), flags.AuthorizationPlugins...)
	out.InsecureRegistries = append(append([]string(nil), file.InsecureRegistries...), flags.InsecureRegistries...)
	out.StorageOpts = append(append([]string(nil), file.StorageOpts...), flags.StorageOpts...)
	if len(flags.DefaultUlimits) > 0 {
		out.DefaultUlimits = map[string]Ulimit{}
		for k, v := range file.DefaultUlimits {
			out.DefaultUlimits[k] = v
		}
		for k, v := range flags.DefaultUlimits {
			out.DefaultUlimits[k] = v
		}
	}
	for _, p := range []struct{ dst, src **bool }{
		{&out.TLS, &flags.TLS}, {&out.TLSVerify, &flags.TLSVerify}, {&out.ICC, &flags.ICC},
		{&out.LiveRestore, &flags.LiveRestore}, {&out.NoNewPrivileges, &flags.NoNewPrivileges},
		{&out.Experimental, &flags.Experimental}, {&out.Debug, &flags.Debug}, {&out.IPTables, &flags.IPTables},
		{&out.UserlandProxy, &flags.UserlandProxy},
	} {
		if *p.src != nil {
			*p.dst = *p.src
		}
	}
	for _, p := range []struct{ dst, src *string }{
		{&out.UsernsRemap, &flags.UsernsRemap}, {&out.LogDriver, &flags.LogDriver},
		{&out.SeccompProfile, &flags.SeccompProfile}, {&out.Bridge, &flags.Bridge},
		{&out.LogLevel, &flags.LogLevel}, {&out.CgroupParent, &flags.CgroupParent},
	} {
		if *p.src != "" {
			*p.dst = *p.src
		}
	}
	if len(flags.LogOpts) > 0 {
		out.LogOpts = map[string]string{}
		for k, v := range file.LogOpts {
			out.LogOpts[k] = v
		}
		for k, v := range flags.LogOpts {
			out.LogOpts[k] = v
		}
	}
	return out
}

// dockerdConfig finds the configuration of the dockerd process pid: its command line and the
// daemon.json it reads. The second result is the daemon.json found on disk, if any.
func dockerdConfig(pid int) (*DaemonConfig, *FileInfo, error) {
	proc := filepath.Join("/proc", strconv.Itoa(pid))
	raw, err := os.ReadFile(filepath.Join(proc, "cmdline"))
	if err != nil {
		return nil, nil, fmt.Errorf("reading the daemon's command line: %w", err)
	}
	argv := strings.Split(strings.TrimRight(string(raw), "\x00"), "\x00")
	if len(argv) == 0 || filepath.Base(argv[0]) != "dockerd" {
		return nil, nil, fmt.Errorf("the process behind the socket (pid %d, %q) is not dockerd", pid, argv[0])
	}
	flags, file, err := ParseDockerdArgs(argv[1:])
	if err != nil {
		return nil, nil, err
	}
	if file == "" {
		file = DefaultDaemonJSON
	}
	fromFile, found, err := LoadDaemonJSON(file)
	if err != nil {
		return nil, nil, err
	}
	cfg := merge(fromFile, flags)
	cfg.Sources = []string{fmt.Sprintf("dockerd command line (pid %d)", pid)}
	var fi *FileInfo
	if found {
		cfg.Sources = append(cfg.Sources, file)
		fi = &FileInfo{Path: file}
	}
	return &cfg, fi, nil
}
