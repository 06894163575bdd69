package wrapper

import (
	"encoding/csv"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"sdocker/defaults"
)

// Injection is one argument the CLI door adds to the command line.
type Injection struct {
	Flag   string `json:"flag"`
	Value  string `json:"value"`
	Reason string `json:"reason"`
}

// Pin stores a seccomp profile as it was checked and returns the path of that copy, which
// docker is then given instead of the user's file. nil leaves the user's profile as named
// (explain, which writes nothing).
type Pin func(profile []byte) (string, error)

// Injections renders a decision's change as docker run flags, in the decision's order.
func Injections(c defaults.Change, pin Pin) ([]Injection, error) {
	var out []Injection
	for _, a := range c.Add {
		inj := Injection{Value: a.Value, Reason: a.Reason}
		switch a.Field {
		case defaults.FieldCapDrop:
			inj.Flag = "cap-drop"
		case defaults.FieldCapAdd:
			inj.Flag = "cap-add"
		case defaults.FieldSecurityOpt:
			inj.Flag = "security-opt"
			if a.Profile != nil {
				if pin == nil {
					continue
				}
				path, err := pin(a.Profile)
				if err != nil {
					return nil, fmt.Errorf("keeping the checked copy of the seccomp profile: %w", err)
				}
				inj.Value = "seccomp=" + path
			}
		case defaults.FieldNetworkMode:
			inj.Flag = "network"
		case defaults.FieldCgroupnsMode:
			inj.Flag = "cgroupns"
		case defaults.FieldMemory:
			inj.Flag, inj.Value = "memory", defaults.ByteSize(a.Int).String()
		case defaults.FieldNanoCPUs:
			inj.Flag, inj.Value = "cpus", strconv.FormatFloat(float64(a.Int)/1e9, 'f', -1, 64)
		case defaults.FieldCPUQuota:
			inj.Flag, inj.Value = "cpu-quota", strconv.FormatInt(a.Int, 10)
		case defaults.FieldPidsLimit:
			inj.Flag, inj.Value = "pids-limit", strconv.FormatInt(a.Int, 10)
		case defaults.FieldLogConfig:
			inj.Flag = "log-opt"
		case defaults.FieldMounts:
			if a.Mount == nil {
				return nil, fmt.Errorf("the policy adds a mount it does not describe")
			}
			inj.Flag, inj.Value = "mount", mountSpec(*a.Mount)
		case defaults.FieldPortBindings:
			if a.Port == nil {
				return nil, fmt.Errorf("the policy publishes a port it does not describe")
			}
			inj.Flag, inj.Value = "publish", portSpec(*a.Port)
		default:
			return nil, fmt.Errorf("the policy adds %s, which the command line cannot express", a.Field)
		}
		out = append(out, inj)
	}
	return out, nil
}

// EditFor turns a decision into the CLI door's argv changes: each addition becomes a
// "--flag=value" argument, each removed or replaced setting drops the occurrence that carried
// it. A profile addition that cannot be pinned (pin nil) leaves the user's profile in place.
func EditFor(inv *Invocation, d defaults.Decision, pin Pin) (Edit, error) {
	var ed Edit
	injs, err := Injections(d.Change, pin)
	if err != nil {
		return ed, err
	}
	for _, inj := range injs {
		ed.Add = append(ed.Add, "--"+inj.Flag+"="+inj.Value)
	}
	// What goes: the settings the decision removes or takes the place of. A combined shorthand
	// ("-dP") is one token for several flags, so an occurrence is matched by its flag as well.
	type dropped struct {
		from  string
		flags []string
	}
	drop := []dropped{}
	for _, from := range d.Change.Remove {
		drop = append(drop, dropped{from, []string{"security-opt", "publish-all"}})
	}
	for _, a := range d.Change.Add {
		// A profile that cannot be pinned stays as the user named it; a mount or a port the
		// policy takes the place of goes in any case.
		switch {
		case a.Replaces == "":
		case a.Field == defaults.FieldMounts:
			drop = append(drop, dropped{a.Replaces, []string{"volume", "mount"}})
		case a.Field == defaults.FieldPortBindings:
			drop = append(drop, dropped{a.Replaces, []string{"publish", "publish-all"}})
		case pin != nil:
			drop = append(drop, dropped{a.Replaces, []string{"security-opt"}})
		}
	}
	removed := map[int]bool{}
	for _, dr := range drop {
		for i, o := range inv.Flags {
			if o.Typed == dr.from && slices.Contains(dr.flags, o.Flag.Canonical()) && !removed[i] {
				removed[i] = true
				ed.Remove = append(ed.Remove, o)
			}
		}
	}
	// A removed flag that shared its token with others ("-dP"): the others are given again,
	// each in its long form.
	for i, o := range inv.Flags {
		if removed[i] {
			continue
		}
		for j := range removed {
			if r := inv.Flags[j]; o.Start < r.End && r.Start < o.End {
				ed.Add = append(ed.Add, "--"+o.Flag.Name+"="+o.Value)
				break
			}
		}
	}
	return ed, nil
}

// mountSpec renders a mount as --mount's CSV, quoted where a path needs it.
func mountSpec(m defaults.Mount) string {
	fields := []string{"type=" + m.Type, "source=" + m.Source, "target=" + m.Target}
	if m.ReadOnly {
		fields = append(fields, "readonly")
	}
	var b strings.Builder
	w := csv.NewWriter(&b)
	_ = w.Write(fields) // a strings.Builder does not fail
	w.Flush()
	return strings.TrimSuffix(b.String(), "\n")
}

// portSpec renders a binding as -p's ip:hostPort:containerPort.
func portSpec(p defaults.Port) string {
	ip := p.HostIP
	if strings.Contains(ip, ":") {
		ip = "[" + ip + "]"
	}
	return ip + ":" + p.HostPort + ":" + p.ContainerPort
}

// flagNames are the CLI's words for the decision's fields, in messages and hints.
var flagNames = map[defaults.Field]string{
	defaults.FieldImage: "IMAGE", defaults.FieldUser: "--user", defaults.FieldPrivileged: "--privileged",
	defaults.FieldCapAdd: "--cap-add", defaults.FieldCapDrop: "--cap-drop", defaults.FieldSecurityOpt: "--security-opt",
	defaults.FieldPidMode: "--pid", defaults.FieldIpcMode: "--ipc", defaults.FieldUTSMode: "--uts",
	defaults.FieldUsernsMode: "--userns", defaults.FieldCgroupnsMode: "--cgroupns", defaults.FieldNetworkMode: "--network",
	defaults.FieldMounts: "--mount", defaults.FieldVolumesFrom: "--volumes-from", defaults.FieldDevices: "--device",
	defaults.FieldMemory: "--memory", defaults.FieldMemorySwap: "--memory-swap", defaults.FieldNanoCPUs: "--cpus",
	defaults.FieldCPUQuota: "--cpu-quota", defaults.FieldCPUPeriod: "--cpu-period", defaults.FieldPidsLimit: "--pids-limit",
	defaults.FieldShmSize: "--shm-size", defaults.FieldOomScoreAdj: "--oom-score-adj",
	defaults.FieldLogConfig: "--log-opt", defaults.FieldReadonlyRootfs: "--read-only", defaults.FieldRuntime: "--runtime",
	defaults.FieldCgroupParent: "--cgroup-parent", defaults.FieldMountReadOnly: ":ro",
	defaults.FieldMountPropagation: "the propagation (bind-propagation=, or :shared in -v)",
	defaults.FieldPortBindings:     "--publish", defaults.FieldPublishAllPorts: "--publish-all",
}

// Words puts the CLI's flag names into a violation's message and hint.
func Words(v defaults.Violation) defaults.Violation {
	name := func(f defaults.Field) string {
		if n, ok := flagNames[f]; ok {
			return n
		}
		return string(f)
	}
	v.Message, v.Hint = defaults.Word(v.Message, name), defaults.Word(v.Hint, name)
	if v.Missing {
		v.From = defaults.Word(v.From, name)
	}
	return v
}
