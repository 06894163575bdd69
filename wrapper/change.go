package wrapper

import (
	"fmt"
	"strconv"

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
	drop := append([]string{}, d.Change.Remove...)
	for _, a := range d.Change.Add {
		if a.Replaces != "" && pin != nil {
			drop = append(drop, a.Replaces)
		}
	}
	for _, from := range drop {
		for _, o := range inv.Flags {
			if o.Typed == from {
				ed.Remove = append(ed.Remove, o)
			}
		}
	}
	return ed, nil
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
