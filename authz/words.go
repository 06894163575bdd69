package authz

import (
	"fmt"

	"sdocker/defaults"
	"sdocker/wrapper"
)

// fieldNames are the daemon door's words for the decision's fields: the create body's JSON
// fields, as a client sends them.
var fieldNames = map[defaults.Field]string{
	defaults.FieldImage: "Image", defaults.FieldUser: "User", defaults.FieldPrivileged: "HostConfig.Privileged",
	defaults.FieldCapAdd: "HostConfig.CapAdd", defaults.FieldCapDrop: "HostConfig.CapDrop", defaults.FieldSecurityOpt: "HostConfig.SecurityOpt",
	defaults.FieldPidMode: "HostConfig.PidMode", defaults.FieldIpcMode: "HostConfig.IpcMode", defaults.FieldUTSMode: "HostConfig.UTSMode",
	defaults.FieldUsernsMode: "HostConfig.UsernsMode", defaults.FieldCgroupnsMode: "HostConfig.CgroupnsMode",
	defaults.FieldNetworkMode: "HostConfig.NetworkMode", defaults.FieldMounts: "HostConfig.Mounts (or HostConfig.Binds)",
	defaults.FieldVolumesFrom: "HostConfig.VolumesFrom", defaults.FieldDevices: "HostConfig.Devices",
	defaults.FieldMemory: "HostConfig.Memory", defaults.FieldMemorySwap: "HostConfig.MemorySwap", defaults.FieldNanoCPUs: "HostConfig.NanoCpus",
	defaults.FieldCPUQuota: "HostConfig.CpuQuota", defaults.FieldCPUPeriod: "HostConfig.CpuPeriod", defaults.FieldPidsLimit: "HostConfig.PidsLimit",
	defaults.FieldLogConfig: "HostConfig.LogConfig.Config", defaults.FieldReadonlyRootfs: "HostConfig.ReadonlyRootfs",
	defaults.FieldRuntime: "HostConfig.Runtime", defaults.FieldCgroupParent: "HostConfig.CgroupParent",
	defaults.FieldMountReadOnly: "the mount's ReadOnly", defaults.FieldMountPropagation: "the mount's BindOptions.Propagation",
}

// Words puts the daemon door's JSON field names into a violation's message and hint.
func Words(v defaults.Violation) defaults.Violation {
	name := func(f defaults.Field) string {
		if n, ok := fieldNames[f]; ok {
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

// Line is a violation as the daemon door says it: the field as sent, the rule, what is wrong and
// how to comply. A missing setting also names the docker flag that adds it.
func Line(v defaults.Violation) string {
	flag := ""
	if v.Missing && v.Want != nil {
		injs, err := wrapper.Injections(defaults.Change{Add: []defaults.Addition{*v.Want}}, func([]byte) (string, error) { return "PROFILE.json", nil })
		if err == nil && len(injs) == 1 {
			flag = fmt.Sprintf(" (with docker: --%s=%s)", injs[0].Flag, injs[0].Value)
		}
	}
	v = Words(v)
	arg := v.From
	if arg == "" {
		arg = "request"
	}
	return fmt.Sprintf("refused %s (rule %s): %s; to allow it, %s%s", arg, v.Rule, v.Message, v.Hint, flag)
}
