package defaults

// Setting is one security-relevant setting of a request, with the argument that carried it as
// the user typed it (for messages), e.g. Value "host", Typed "--pid=host".
type Setting struct {
	Value string
	Typed string
}

// Mount is a filesystem the container would get. Source is a host path for binds (and for
// local volumes that bind a host directory), else a volume name or empty.
type Mount struct {
	Type   string // bind, volume, tmpfs, api-socket
	Source string
	Target string
	Typed  string
	// Driver and Options are a volume's driver and driver options where known (from
	// --mount volume-opt=…, or from the daemon for a named volume). The local driver mounts
	// whatever its options say on the daemon's host: a bind, proc, an overlay of /etc…
	Driver  string
	Options map[string]string
	// Subpath is the part of the volume mounted (volume-subpath).
	Subpath string
	// ReadOnly: the container cannot write through the mount (-v …:ro, --mount readonly).
	ReadOnly bool
}

// Request is the door-independent description of a container request: what the CLI parses from
// argv, and what the API door reads from a create body.
type Request struct {
	// Command is run, create, exec or update: exec and update are checked, never injected into.
	Command string
	Image   string

	Privileged  *Setting
	CapAdd      []Setting
	CapDrop     []Setting
	SecurityOpt []Setting

	PID, IPC, UTS, UserNS, CgroupNS, Network *Setting
	// Networks are every network asked for, in order, where there may be several (--network
	// repeated); when it is empty, Network alone is.
	Networks []Setting

	Mounts      []Mount
	VolumesFrom []Setting
	Devices     []Setting // --device, --device-cgroup-rule, --gpus

	Memory, MemorySwap, CPUs, CPUQuota, CPUPeriod, PidsLimit *Setting

	LogDriver *Setting
	LogOpts   []Setting
}

// Facts are what the daemon told us. Known is false where no daemon was asked (explain): the
// decision then assumes docker's defaults and says so.
type Facts struct {
	Known bool
	// AppArmor: the daemon lists apparmor in its security options.
	AppArmor bool
	// SeccompBuiltin: the daemon's default seccomp profile is its built-in one.
	SeccompBuiltin bool
	// LogDriver is the daemon's default logging driver.
	LogDriver string
	// SeccompFile is where the caller has put sdocker's copy of Moby's default profile, used
	// when the daemon's default is not the built-in profile.
	SeccompFile string
}

// AssumedFacts are docker's defaults, used when no daemon was asked.
func AssumedFacts() Facts {
	return Facts{SeccompBuiltin: true, LogDriver: "json-file"}
}

// AllNetworks returns every network the request asks for.
func (r *Request) AllNetworks() []Setting {
	if len(r.Networks) > 0 {
		return r.Networks
	}
	if r.Network != nil {
		return []Setting{*r.Network}
	}
	return nil
}
