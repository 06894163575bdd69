package wrapper

import (
	"encoding/csv"
	"fmt"
	"math/big"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/docker/go-connections/nat"
	units "github.com/docker/go-units"

	"sdocker/defaults"
	"sdocker/wrapper/argv"
)

// RequestInput is what turning a command line into the decision's request needs.
type RequestInput struct {
	// Cwd makes relative bind sources ("./data:/data") absolute, as docker does.
	Cwd string
	// ReadFile reads a seccomp profile named on the command line, as the docker CLI does before
	// it sends the profile's bytes to the daemon.
	ReadFile func(path string) ([]byte, error)
}

// Request describes a parsed run/create/exec/update in the decision's terms: values read the way
// the docker CLI reads them (sizes, CPU counts, integers with base prefixes, security options,
// mount specs), each with the argument as typed. A value docker would refuse is a UsageError.
func Request(inv *Invocation, in RequestInput) (defaults.Request, error) {
	r := defaults.Request{Kind: defaults.KindCreate, Image: inv.Image()}
	switch inv.Command {
	case "exec":
		r.Kind, r.Image = defaults.KindExec, ""
	case "update":
		r.Kind, r.Image = defaults.KindUpdate, ""
	case "build", "buildx build":
		// A build is judged under its first tag, for the policy's exceptions.
		r.Kind = defaults.KindBuild
		for _, o := range inv.Flags {
			if o.Flag.Name == "tag" && r.Image == "" {
				r.Image = o.Value
			}
		}
	}
	str := func(o Occurrence) *defaults.Val[string] { return &defaults.Val[string]{Value: o.Value, From: o.Typed} }
	for _, o := range inv.Flags {
		var err error
		switch o.Flag.Canonical() {
		case "privileged":
			r.Privileged = &defaults.Val[bool]{Value: argv.IsTrue(o.Value), From: o.Typed}
		case "cap-add":
			r.CapAdd = append(r.CapAdd, *str(o))
		case "cap-drop":
			r.CapDrop = append(r.CapDrop, *str(o))
		case "security-opt":
			var s defaults.SecurityOpt
			if s, err = securityOpt(o, in.ReadFile); err == nil {
				r.SecurityOpt = append(r.SecurityOpt, s)
			}
		case "pid":
			r.PID = str(o)
		case "ipc":
			r.IPC = str(o)
		case "uts":
			r.UTS = str(o)
		case "userns":
			r.UserNS = str(o)
		case "cgroupns":
			r.CgroupNS = str(o)
		case "network":
			// Several --network flags attach several networks; each is checked.
			r.Networks = append(r.Networks, defaults.Val[string]{Value: networkTarget(o.Value), From: o.Typed})
		case "publish":
			var ports []defaults.Port
			if ports, err = publishedPorts(o); err == nil {
				r.Ports = append(r.Ports, ports...)
			}
		case "publish-all":
			r.PublishAll = &defaults.Val[bool]{Value: argv.IsTrue(o.Value), From: o.Typed}
		case "expose":
			r.ExposedPorts = append(r.ExposedPorts, exposedPorts(o.Value)...)
		case "volume":
			if m, ok := volumeMount(o, in.Cwd); ok {
				r.Mounts = append(r.Mounts, m)
			}
		case "mount":
			r.Mounts = append(r.Mounts, mountFlag(o, in.Cwd))
		case "use-api-socket":
			if argv.IsTrue(o.Value) {
				r.Mounts = append(r.Mounts, defaults.Mount{Type: "api-socket", From: o.Typed})
			}
		case "volumes-from":
			r.VolumesFrom = append(r.VolumesFrom, *str(o))
		case "device", "device-cgroup-rule", "gpus":
			r.Devices = append(r.Devices, defaults.Device{Field: defaults.FieldDevices, What: o.Value, From: o.Typed})
		case "memory":
			r.Memory, err = number(o, memBytes)
		case "memory-swap":
			r.MemorySwap, err = number(o, memSwapBytes)
		case "cpus":
			r.NanoCPUs, err = number(o, nanoCPUs)
		case "cpu-quota":
			r.CPUQuota, err = number(o, parseInt)
		case "cpu-period":
			r.CPUPeriod, err = number(o, parseInt)
		case "pids-limit":
			r.PidsLimit, err = number(o, parseInt)
		case "shm-size":
			r.ShmSize, err = number(o, memBytes)
		case "oom-score-adj":
			r.OomScoreAdj, err = number(o, parseInt)
		case "log-driver":
			r.LogDriver = str(o)
		case "log-opt":
			k, v, _ := strings.Cut(o.Value, "=")
			r.LogOpts = append(r.LogOpts, defaults.LogOpt{Key: k, Value: v, From: o.Typed})
		case "user":
			r.User = str(o)
		case "read-only":
			r.ReadonlyRootfs = &defaults.Val[bool]{Value: argv.IsTrue(o.Value), From: o.Typed}
		case "runtime":
			r.Runtime = str(o)
		case "cgroup-parent":
			r.CgroupParent = str(o)
		case "allow":
			// BuildKit's entitlements (buildx build --allow), as buildkit reads them.
			err = entitlement(&r, o)
		case "resource":
			// buildx build --resource memory=2g,cpu-quota=50000: the RUN steps' limits.
			err = buildResources(&r, o)
		case "restart":
			// on-failure:3 is the on-failure policy with a retry count.
			name, _, _ := strings.Cut(o.Value, ":")
			r.RestartPolicy = &defaults.Val[string]{Value: name, From: o.Typed}
		}
		if err != nil {
			return defaults.Request{}, err
		}
	}
	return r, nil
}

// number reads a numeric flag with docker's own reading of it; a value docker refuses is a
// usage error naming the argument.
func number(o Occurrence, read func(string) (int64, error)) (*defaults.Val[int64], error) {
	n, err := read(o.Value)
	if err != nil {
		return nil, &UsageError{Msg: fmt.Sprintf("invalid argument %q for %s: %v", o.Value, o.Typed, err)}
	}
	return &defaults.Val[int64]{Value: n, From: o.Typed}, nil
}

// memBytes reads a size as docker's opts.MemBytes does.
func memBytes(v string) (int64, error) { return units.RAMInBytes(v) }

// memSwapBytes reads --memory-swap as docker's opts.MemSwapBytes does: a size, or -1 for
// unlimited swap.
func memSwapBytes(v string) (int64, error) {
	if v == "-1" {
		return -1, nil
	}
	return memBytes(v)
}

// parseInt reads an integer flag the way pflag's int flags do: base prefixes (0x…, 0o…, 0b…)
// included, so that --pids-limit 0x7fffffff is read as the number docker will use.
func parseInt(v string) (int64, error) { return strconv.ParseInt(v, 0, 64) }

// nanoCPUs reads --cpus the way docker's opts.NanoCPUs does: a big.Rat ("1.5", "3/2", "1e1")
// times 10⁹, which must be a whole number.
func nanoCPUs(v string) (int64, error) {
	r, ok := new(big.Rat).SetString(v)
	if !ok {
		return 0, fmt.Errorf("failed to parse %v as a rational number", v)
	}
	nano := r.Mul(r, big.NewRat(1e9, 1))
	if !nano.IsInt() {
		return 0, fmt.Errorf("value is too precise")
	}
	if !nano.Num().IsInt64() {
		return 0, fmt.Errorf("value is out of range")
	}
	return nano.Num().Int64(), nil
}

// securityOpt splits a --security-opt as docker does and, for a seccomp profile file, reads
// the profile as the docker CLI does before sending its bytes to the daemon.
func securityOpt(o Occurrence, readFile func(string) ([]byte, error)) (defaults.SecurityOpt, error) {
	k, v := defaults.SplitSecurityOpt(o.Value)
	s := defaults.SecurityOpt{Key: k, Value: v, From: o.Typed}
	if k != "seccomp" || v == "unconfined" || v == "default" || v == "builtin" || readFile == nil {
		return s, nil
	}
	data, err := readFile(v)
	if err != nil {
		return s, &UsageError{Msg: fmt.Sprintf("reading seccomp profile %s for %s: %v", v, o.Typed, err)}
	}
	s.Profile = data
	return s, nil
}

// longNetworkSyntax is docker's test for --network's key=value form (opts.NetworkOpt).
var longNetworkSyntax = regexp.MustCompile(`\w+=\w+(,\w+=\w+)*`)

// networkTarget reads the network a --network value names, as docker does: the value itself,
// or, in the key=value form ("name=host,alias=web"), its name field, lower-cased.
func networkTarget(v string) string {
	if !longNetworkSyntax.MatchString(v) {
		return v
	}
	fields, err := csv.NewReader(strings.NewReader(v)).Read()
	if err != nil {
		return v // docker refuses it too
	}
	target := ""
	for _, f := range fields {
		if k, val, ok := strings.Cut(strings.ToLower(f), "="); ok && strings.TrimSpace(k) == "name" {
			target = strings.TrimSpace(val)
		}
	}
	return target
}

// publishedPorts reads -p as docker/cli does: the CSV form (published=,target=,protocol=) in
// its short notation, then go-connections' reading of [ip:]hostPort:containerPort[/proto],
// one binding per port of a range. A CSV form docker refuses gives none: docker refuses it
// too. A spec sdocker cannot read otherwise is a usage error: the docker CLI's own copy of the
// parser may read it (docker 28 reads "8080:80/tcp/udp" as 8080:80/tcp, on every address).
func publishedPorts(o Occurrence) ([]defaults.Port, error) {
	spec := o.Value
	if strings.Contains(spec, "=") {
		params := map[string]string{"protocol": "tcp"}
		for _, param := range strings.Split(spec, ",") {
			k, v, ok := strings.Cut(param, "=")
			if !ok || k == "" {
				return nil, nil
			}
			params[k] = v
		}
		spec = fmt.Sprintf("%s:%s/%s", params["published"], params["target"], params["protocol"])
	}
	mappings, err := nat.ParsePortSpec(spec)
	if err != nil {
		return nil, &UsageError{Msg: fmt.Sprintf("invalid argument %q for %s: %v (sdocker publishes only ports it can read)", o.Value, o.Typed, err)}
	}
	out := make([]defaults.Port, 0, len(mappings))
	for _, m := range mappings {
		out = append(out, defaults.Port{ContainerPort: string(m.Port), HostIP: m.Binding.HostIP, HostPort: m.Binding.HostPort, From: o.Typed})
	}
	return out, nil
}

// exposedPorts reads --expose PORT[-PORT][/proto] into its ports.
func exposedPorts(v string) []string {
	proto, ports := nat.SplitProtoPort(v)
	start, end, err := nat.ParsePortRangeToInt(ports)
	if err != nil || end-start > 65535 {
		return nil
	}
	var out []string
	for p := start; p <= end; p++ {
		out = append(out, strconv.Itoa(p)+"/"+strings.ToLower(proto))
	}
	return out
}

// volumeMount reads -v SRC:DST[:OPTS]. A single part is an anonymous volume; a source that is
// not a path is a named volume.
func volumeMount(o Occurrence, cwd string) (defaults.Mount, bool) {
	parts := strings.SplitN(o.Value, ":", 3)
	if len(parts) < 2 {
		return defaults.Mount{}, false
	}
	src := parts[0]
	m := defaults.Mount{Type: "volume", Source: src, Target: parts[1], From: o.Typed}
	if len(parts) == 3 {
		for _, opt := range strings.Split(parts[2], ",") {
			switch opt {
			case "ro":
				m.ReadOnly = true
			case "shared", "rshared", "slave", "rslave", "private", "rprivate":
				m.Propagation = opt
			}
		}
	}
	if strings.HasPrefix(src, ".") && !filepath.IsAbs(src) {
		src = filepath.Join(cwd, src)
	}
	if filepath.IsAbs(src) {
		m.Type, m.Source = "bind", src
	}
	return m, true
}

// mountFlag reads --mount's CSV the way docker does (quoted fields, case-insensitive keys). A
// local volume with o=bind and a device is a bind of that host path in disguise.
func mountFlag(o Occurrence, cwd string) defaults.Mount {
	m := defaults.Mount{Type: "volume", From: o.Typed}
	fields, err := csv.NewReader(strings.NewReader(strings.TrimSpace(o.Value))).Read()
	if err != nil {
		return m // docker refuses it too
	}
	for _, field := range fields {
		key, val, hasVal := strings.Cut(field, "=")
		switch strings.ToLower(key) {
		case "type":
			m.Type = strings.ToLower(val)
		case "source", "src":
			m.Source = val
			if strings.HasPrefix(val, ".") && !filepath.IsAbs(val) {
				m.Source = filepath.Join(cwd, val)
			}
		case "target", "dst", "destination":
			m.Target = val
		case "volume-driver":
			m.Driver = val
		case "volume-opt":
			k, v, _ := strings.Cut(val, "=")
			if m.Options == nil {
				m.Options = map[string]string{}
			}
			m.Options[k] = v
		case "volume-subpath":
			m.Subpath = val
		case "readonly", "ro":
			m.ReadOnly = !hasVal || argv.IsTrue(val)
		case "bind-propagation":
			m.Propagation = strings.ToLower(val)
		}
	}
	if m.Type != "bind" && m.Type != "volume" {
		m.Source = ""
	}
	return m
}

// entitlement reads one buildx build --allow: security.insecure runs RUN steps privileged,
// network.host on the host's network, device[=NAME] with host devices; buildx.local.delete is
// the client's own (it may delete a local output directory). Anything else is an entitlement
// sdocker cannot judge, and is refused as privileged.
func entitlement(r *defaults.Request, o Occurrence) error {
	key, _, _ := strings.Cut(o.Value, "=")
	switch key {
	case "buildx.local.delete":
	case "network.host":
		r.Networks = append(r.Networks, defaults.Val[string]{Value: "host", From: o.Typed})
	case "device":
		r.Devices = append(r.Devices, defaults.Device{Field: defaults.FieldDevices, What: o.Value, From: o.Typed})
	default: // security.insecure, and any entitlement a newer BuildKit may grant
		r.Privileged = &defaults.Val[bool]{Value: true, From: o.Typed}
	}
	return nil
}

// buildResources reads buildx build --resource KEY=VALUE[,KEY=VALUE] for the limits the
// decision judges (memory, memory-swap, cpu-quota, cpu-period), as the hidden --memory and
// --cpu-* flags say them.
func buildResources(r *defaults.Request, o Occurrence) error {
	for _, kv := range strings.Split(o.Value, ",") {
		k, v, _ := strings.Cut(kv, "=")
		one := Occurrence{Flag: o.Flag, Value: v, Typed: o.Typed}
		var err error
		switch strings.TrimSpace(k) {
		case "memory":
			r.Memory, err = number(one, memBytes)
		case "memory-swap":
			r.MemorySwap, err = number(one, memSwapBytes)
		case "cpu-quota":
			r.CPUQuota, err = number(one, parseInt)
		case "cpu-period":
			r.CPUPeriod, err = number(one, parseInt)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
