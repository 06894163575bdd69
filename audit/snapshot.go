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
	// Networks are the daemon's networks (GET /networks) by ID, for containers that name one by
	// ID or name: the host's network or the default bridge by another name.
	Networks []Network `json:",omitempty"`
}

// Network is the part of GET /networks the checks read.
type Network struct {
	ID      string `json:"Id"`
	Name    string
	Driver  string
	Options map[string]string `json:",omitempty"`
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
	// LogLevel is dockerd's own log level (debug, info, warn, error, fatal); Debug (-D) is
	// debug whatever LogLevel says.
	LogLevel string `json:"log-level"`
	Debug    *bool  `json:"debug"`
	// IPTables and UserlandProxy default to true in dockerd.
	IPTables      *bool `json:"iptables"`
	UserlandProxy *bool `json:"userland-proxy"`
	// DefaultUlimits are the ulimits every container gets unless it sets its own, by name.
	DefaultUlimits map[string]Ulimit `json:"default-ulimits"`
	// CgroupParent is the parent cgroup of every container that names none.
	CgroupParent string `json:"cgroup-parent"`
	// StorageOpts are the storage driver's options ("dm.basesize=20G").
	StorageOpts []string `json:"storage-opts"`
}

// Ulimit is one resource limit as daemon.json spells it.
type Ulimit struct {
	Name string `json:"Name"`
	Soft int64  `json:"Soft"`
	Hard int64  `json:"Hard"`
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
	Config          ContainerConfig
	AppArmorProfile string
	HostConfig      HostConfig
	Mounts          []struct {
		Type        string
		Name        string // a volume's name
		Source      string
		Destination string
		Propagation string
	}
	// Processes are the command lines of the container's processes (GET
	// /containers/{id}/top, which the daemon answers from the host: nothing runs in the
	// container); nil for a container that is not running.
	Processes []string `json:",omitempty"`
}

// ContainerConfig is the part of a container's Config the checks read (the image's settings
// merged with the container's own, as the daemon stores them).
type ContainerConfig struct {
	Image, User     string
	Entrypoint, Cmd []string                `json:",omitempty"`
	Healthcheck     *container.HealthConfig `json:",omitempty"`
	Labels          map[string]string       `json:",omitempty"`
	// ExposedPorts are the ports the image (or --expose) exposes, as "80/tcp".
	ExposedPorts map[string]struct{} `json:",omitempty"`
}

// HostConfig is a container's HostConfig, in the Engine API's own types.
type HostConfig = container.HostConfig
