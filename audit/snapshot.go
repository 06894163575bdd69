package audit

import (
	"os"

	"github.com/moby/moby/api/types/container"

	"sdocker/wrapper"
)

// Snapshot is everything the checks look at. Gather fills it from a daemon and the host;
// tests build it by hand. Check turns it into findings without further I/O.
type Snapshot struct {
	Endpoint wrapper.Endpoint
	Info     DaemonInfo
	Version  Version
	// Config is the daemon's effective configuration (daemon.json and dockerd's command line);
	// nil when neither could be read, ConfigNote then says why.
	Config     *DaemonConfig
	ConfigNote string
	// ConfigFile is daemon.json as found on disk, for its owner and mode; nil when absent.
	ConfigFile *FileInfo
	// BridgeICC is the default bridge's enable_icc option ("true" or "false"), or "" when the
	// daemon has no default bridge.
	BridgeICC  string
	Host       Host
	Containers []Container
	// Volumes are the daemon's answers to GET /volumes/{name} for the named volumes the
	// containers mount that were created with driver options (a local volume with o=bind is a
	// bind of its device).
	Volumes map[string]Volume `json:",omitempty"`
}

// Volume is the part of GET /volumes/{name} the checks read.
type Volume struct {
	Driver  string
	Options map[string]string
}

// DaemonInfo is the part of GET /info the checks read.
type DaemonInfo struct {
	ServerVersion      string
	SecurityOptions    []string
	LoggingDriver      string
	LiveRestoreEnabled bool
	ExperimentalBuild  bool
	CgroupVersion      string
	Plugins            struct{ Authorization []string }
	RegistryConfig     struct {
		InsecureRegistryCIDRs []string
		IndexConfigs          map[string]struct {
			Name   string
			Secure bool
		}
	}
	ContainerdCommit, RuncCommit struct{ ID string }
}

// securityOption returns the settings of one of the daemon's security options, e.g.
// "seccomp" → {"name": "seccomp", "profile": "default"}.
func (i DaemonInfo) securityOption(name string) (map[string]string, bool) {
	return wrapper.Info{SecurityOptions: i.SecurityOptions}.SecurityOption(name)
}

// Version is GET /version: the engine and the components it reports.
type Version struct {
	Version    string
	Components []struct {
		Name    string
		Version string
		Details struct{ GitCommit string }
	}
}

// component returns the version and commit of a component ("Engine", "containerd", "runc").
func (v Version) component(name string) (version, commit string, ok bool) {
	for _, c := range v.Components {
		if c.Name == name {
			return c.Version, c.Details.GitCommit, true
		}
	}
	if name == "Engine" && v.Version != "" {
		return v.Version, "", true
	}
	return "", "", false
}

// DaemonConfig is the part of dockerd's configuration the checks read, with daemon.json's
// keys. Pointers are nil where the setting was not given (dockerd's default applies).
type DaemonConfig struct {
	// Sources say where the configuration came from (files, "dockerd command line (pid N)").
	Sources              []string          `json:"-"`
	Hosts                []string          `json:"hosts"`
	TLS                  *bool             `json:"tls"`
	TLSVerify            *bool             `json:"tlsverify"`
	ICC                  *bool             `json:"icc"`
	UsernsRemap          string            `json:"userns-remap"`
	LiveRestore          *bool             `json:"live-restore"`
	NoNewPrivileges      *bool             `json:"no-new-privileges"`
	LogDriver            string            `json:"log-driver"`
	LogOpts              map[string]string `json:"log-opts"`
	SeccompProfile       string            `json:"seccomp-profile"`
	AuthorizationPlugins []string          `json:"authorization-plugins"`
	InsecureRegistries   []string          `json:"insecure-registries"`
	Experimental         *bool             `json:"experimental"`
	Bridge               string            `json:"bridge"`
}

// FileInfo is a file's owner and mode.
type FileInfo struct {
	Path  string      `json:"path"`
	UID   int         `json:"uid"`
	GID   int         `json:"gid"`
	Owner string      `json:"owner"`
	Group string      `json:"group"`
	Mode  os.FileMode `json:"mode"`
}

// Host is what the audit sees of the machine it runs on.
type Host struct {
	// Local is set when the daemon listens on a unix socket of this machine.
	Local bool
	// Socket is the daemon's socket (when Local).
	Socket *FileInfo
	// DockerGroup is the docker group and the users in it (members, and users whose primary
	// group it is); nil when the host has no docker group.
	DockerGroup *Group
	// DockerHost and DockerTLSVerify are the environment variables of the same names.
	DockerHost, DockerTLSVerify string
}

// Group is a group of /etc/group.
type Group struct {
	Name    string
	GID     int
	Members []string
}

// Container is the part of GET /containers/{id}/json the checks read.
type Container struct {
	ID              string `json:"Id"`
	Name            string
	State           struct{ Status string }
	Config          struct{ Image, User string }
	AppArmorProfile string
	HostConfig      HostConfig
	Mounts          []struct {
		Type        string
		Name        string // a volume's name
		Source      string
		Destination string
		Propagation string
	}
}

// HostConfig is a container's HostConfig, in the Engine API's own types.
type HostConfig = container.HostConfig
