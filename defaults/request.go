package defaults

// Kind is what a request asks of the daemon: a container to create (docker run and create, the
// API's POST /containers/create), a process in a running one, or new limits for one.
type Kind string

const (
	KindCreate Kind = "create"
	KindExec   Kind = "exec"
	KindUpdate Kind = "update"
)

// Field names a setting in the daemon's own terms: the Engine API's HostConfig (and Config)
// members. Violations and changes carry one, so every door maps them to its own words (a flag,
// a JSON path, a CIS check) by field, never by message text.
type Field string

const (
	FieldImage          Field = "Image"
	FieldUser           Field = "User"
	FieldPrivileged     Field = "Privileged"
	FieldCapAdd         Field = "CapAdd"
	FieldCapDrop        Field = "CapDrop"
	FieldSecurityOpt    Field = "SecurityOpt"
	FieldPidMode        Field = "PidMode"
	FieldIpcMode        Field = "IpcMode"
	FieldUTSMode        Field = "UTSMode"
	FieldUsernsMode     Field = "UsernsMode"
	FieldCgroupnsMode   Field = "CgroupnsMode"
	FieldNetworkMode    Field = "NetworkMode"
	FieldMounts         Field = "Mounts"
	FieldVolumesFrom    Field = "VolumesFrom"
	FieldDevices        Field = "Devices"
	FieldMemory         Field = "Memory"
	FieldMemorySwap     Field = "MemorySwap"
	FieldNanoCPUs       Field = "NanoCpus"
	FieldCPUQuota       Field = "CpuQuota"
	FieldCPUPeriod      Field = "CpuPeriod"
	FieldPidsLimit      Field = "PidsLimit"
	FieldShmSize        Field = "ShmSize"
	FieldOomScoreAdj    Field = "OomScoreAdj"
	FieldLogConfig      Field = "LogConfig"
	FieldReadonlyRootfs Field = "ReadonlyRootfs"
	FieldRuntime        Field = "Runtime"
	FieldCgroupParent   Field = "CgroupParent"
	// FieldMountReadOnly is a mount's read-only flag, FieldMountPropagation its propagation.
	FieldMountReadOnly    Field = "ReadOnly"
	FieldMountPropagation Field = "Propagation"
	// FieldPortBindings are the published ports; FieldPublishAllPorts publishes every exposed one.
	FieldPortBindings    Field = "PortBindings"
	FieldPublishAllPorts Field = "PublishAllPorts"
)

func (f Field) known() bool {
	switch f {
	case FieldImage, FieldUser, FieldPrivileged, FieldCapAdd, FieldCapDrop, FieldSecurityOpt, FieldPidMode,
		FieldIpcMode, FieldUTSMode, FieldUsernsMode, FieldCgroupnsMode, FieldNetworkMode, FieldMounts,
		FieldVolumesFrom, FieldDevices, FieldMemory, FieldMemorySwap, FieldNanoCPUs, FieldCPUQuota, FieldCPUPeriod,
		FieldPidsLimit, FieldShmSize, FieldOomScoreAdj, FieldLogConfig, FieldReadonlyRootfs, FieldRuntime, FieldCgroupParent, FieldMountReadOnly,
		FieldMountPropagation, FieldPortBindings, FieldPublishAllPorts:
		return true
	}
	return false
}

// Val is one typed value of a request with where it came from, for messages: the argument as
// the user typed it ("--pid=host") or the API field ("HostConfig.PidMode=host").
type Val[T any] struct {
	Value T
	From  string
}

// SecurityOpt is one security option, split the way the daemon splits it (key=value, or
// key:value). For seccomp, Profile holds the profile's bytes wherever it came from (a file the
// CLI read, inline JSON in a create body); it is nil for "unconfined" and for the names of the
// default profile ("default", "builtin").
type SecurityOpt struct {
	Key, Value string
	Profile    []byte
	From       string
}

// Device is a host device given to the container: a device node, a cgroup rule or a device
// request (GPUs).
type Device struct {
	Field Field // FieldDevices for all three; What says which
	What  string
	From  string
}

// Mount is a filesystem the container would get. Source is a host path for binds (and for
// local volumes that bind a host directory), else a volume name or empty.
type Mount struct {
	Type   string // bind, volume, tmpfs, api-socket
	Source string
	Target string
	From   string
	// Driver and Options are a volume's driver and driver options where known (from the
	// request, or from the daemon for a named volume). The local driver mounts whatever its
	// options say on the daemon's host: a bind, proc, an overlay of /etc…
	Driver  string
	Options map[string]string
	// Subpath is the part of the volume mounted.
	Subpath string
	// ReadOnly: the container cannot write through the mount.
	ReadOnly bool
	// Propagation is the bind's mount propagation (private, rprivate, shared, rshared, slave,
	// rslave), where given.
	Propagation string
	// Swappable says who other than root can replace the host source (a bind's, a local
	// volume's device) on its way from / ("/home/u is owned by uid 1000"), where the door
	// looked; "" when only root can.
	Swappable string
	// Inherited: the mount comes from another container (--volumes-from, VolumesFrom), not
	// from an argument or field of its own.
	Inherited bool
}

// Port is one published port as the daemon holds it (a PortBindings entry): the container
// port ("5432/tcp", or a range the CLI expands) and the host address and port it is published
// on. HostIP "" is every address of the host.
type Port struct {
	ContainerPort string
	HostIP        string
	HostPort      string
	From          string
}

// LogOpt is one option of the log driver.
type LogOpt struct {
	Key, Value string
	From       string
}

// Request is the door-neutral description of a request, in the Engine API's terms and units:
// what the CLI door reads from argv, the API door from a create body, and the audit from an
// existing container. Pointers are nil where the request leaves a setting to the daemon.
type Request struct {
	Kind  Kind
	Image string

	Privileged  *Val[bool]
	CapAdd      []Val[string]
	CapDrop     []Val[string]
	SecurityOpt []SecurityOpt

	PID, IPC, UTS, UserNS, CgroupNS *Val[string]
	// Networks are the network mode and every network asked for, in order.
	Networks []Val[string]
	// Ports are the published ports; PublishAll publishes every exposed port (the image's and
	// ExposedPorts) that has no binding, on every address; ExposedPorts are the container's own
	// (--expose, Config.ExposedPorts) beside the image's, as "80/tcp".
	Ports        []Port
	PublishAll   *Val[bool]
	ExposedPorts []string

	Mounts      []Mount
	VolumesFrom []Val[string]
	Devices     []Device

	// NetworkCreate is the network a network create makes (KindNetwork).
	NetworkCreate *NetworkSpec
	// JoinedNetworks are the networks of Networks as the daemon knows them (driver, options),
	// where a door asked it: one on the host's own segment (macvlan, ipvlan, a host bridge by
	// name) is refused to join as it is to create, its containers being reachable from the
	// network around the published ports' address.
	JoinedNetworks []NetworkSpec

	// Memory and MemorySwap in bytes; NanoCPUs in billionths of a CPU; CPUQuota and CPUPeriod
	// in microseconds; PidsLimit in processes.
	Memory, MemorySwap, NanoCPUs, CPUQuota, CPUPeriod, PidsLimit *Val[int64]
	// ShmSize in bytes; OomScoreAdj as the kernel reads it (-1000…1000).
	ShmSize, OomScoreAdj *Val[int64]

	LogDriver *Val[string]
	LogOpts   []LogOpt

	User           *Val[string]
	ReadonlyRootfs *Val[bool]
	Runtime        *Val[string]
	CgroupParent   *Val[string]
	// RestartPolicy is the container's restart policy name (no, always, unless-stopped,
	// on-failure), where given.
	RestartPolicy *Val[string]
	// BuildKit is the command line of a build sdocker cannot see into (KindBuildKit).
	BuildKit string
}

// RestartsOnItsOwn reports whether a restart policy of this name has the daemon restart the
// container on its own, after a crash or at its own start: any but no ("" is no).
func RestartsOnItsOwn(policy string) bool { return policy != "" && policy != "no" }

// RestartsOnItsOwn reports whether the request gives the container such a restart policy.
func (r *Request) RestartsOnItsOwn() bool {
	return r.RestartPolicy != nil && RestartsOnItsOwn(r.RestartPolicy.Value)
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
	// DefaultRuntime is the daemon's default OCI runtime ("runc").
	DefaultRuntime string
	// DataRoot is the daemon's data root (DockerRootDir); DaemonSockets are the unix sockets
	// the daemon is reached by. Both are denied mounts wherever they are.
	DataRoot      string
	DaemonSockets []string
	// RecursiveReadOnly: the daemon makes read-only binds read-only all the way down (Docker
	// 25 and later); before it, what is mounted below a read-only bind stays writable.
	RecursiveReadOnly bool
	// PolicedSocket is a policed Docker API socket the door can give a container in place of the
	// daemon's (runtime.docker_socket): the proxy's own, or the policy's policed path where the
	// CLI door found it served; "" where there is none.
	PolicedSocket string
	// Image is what the daemon knows of the request's image (its USER); nil where it was not
	// asked or does not have the image yet.
	Image *ImageFacts `json:"-"`
}

// AssumedFacts are docker's defaults, used when no daemon was asked.
func AssumedFacts() Facts {
	return Facts{SeccompBuiltin: true, LogDriver: "json-file"}
}

// NetworkSpec is a network to be made: its driver and the driver's options, From naming where
// it was read.
type NetworkSpec struct {
	Name, Driver string
	Options      map[string]string
	From         string
}
