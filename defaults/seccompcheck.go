package defaults

import (
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strings"

	"github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// escapeSyscalls are system calls that open ways out of a container (namespaces, mounts, kernel
// modules, keyrings, BPF, tracing, io_uring, the clock, the kernel log) which Moby's default
// profile keeps closed unless the container holds the capability that governs them. A profile
// may not open one of them wider than Moby's default does for the same capabilities.
var escapeSyscalls = []string{
	"mount", "umount", "umount2", "unshare", "setns", "pivot_root", "chroot",
	"open_tree", "move_mount", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
	"keyctl", "add_key", "request_key", "bpf", "perf_event_open", "userfaultfd", "fanotify_init",
	"kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module", "create_module",
	"open_by_handle_at", "name_to_handle_at", "iopl", "ioperm", "swapon", "swapoff", "reboot", "syslog", "acct",
	"settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "stime", "quotactl", "quotactl_fd", "lookup_dcookie",
	"vm86", "vm86old", "nfsservctl", "get_kernel_syms", "query_module", "uselib", "sysfs", "_sysctl", "ustat",
	"kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv", "process_vm_writev", "ptrace",
	"clone3", "io_uring_setup", "io_uring_enter", "io_uring_register",
}

// blocking are the actions that stop a system call; every other action lets it happen, or lets
// something outside the kernel decide (SCMP_ACT_TRACE: a tracer in the container may let it
// through; SCMP_ACT_NOTIFY: a user-space listener does).
var blocking = map[specs.LinuxSeccompAction]bool{
	specs.ActErrno: true, specs.ActKill: true, specs.ActKillProcess: true, specs.ActKillThread: true, specs.ActTrap: true,
}

// judgeSeccomp says why a profile is unconfined by another name for a container that holds
// caps (capability names with the CAP_ prefix), or "" when it is not. The profile is read as
// the daemon reads it (Moby's profile types, expanded for the container's capabilities and
// architecture), and compared with Moby's default profile expanded the same way.
func judgeSeccomp(data []byte, caps []string) string {
	var p seccomp.Seccomp
	if err := json.Unmarshal(data, &p); err != nil {
		// Fail closed: a daemon of another version may read what this reading cannot (an older
		// one ignores fields this one types strictly) and apply it.
		return fmt.Sprintf("cannot be read as a seccomp profile (%v), so it cannot be checked", err)
	}
	got, err := expandProfile(&p, caps)
	if err != nil {
		return fmt.Sprintf("is not a profile the daemon reads (%v)", err)
	}
	switch {
	case got == nil:
		return "turns seccomp off: the daemon reads a profile with no default action and no rules as no filter"
	case got.DefaultAction == "":
		return "has no default action"
	case got.DefaultAction == specs.ActNotify:
		return "hands every system call to a user-space listener by default"
	case !blocking[got.DefaultAction]:
		return "allows every system call by default"
	}
	var moby seccomp.Seccomp
	if err := json.Unmarshal(mobySeccomp, &moby); err != nil {
		return "cannot be compared with Moby's default profile: " + err.Error()
	}
	def, err := expandProfile(&moby, caps)
	if err != nil || def == nil {
		return fmt.Sprintf("cannot be compared with Moby's default profile (%v)", err)
	}
	mine, theirs := permitted(got, def), permitted(def, def)
	var opened []string
	for _, name := range escapeSyscalls {
		if mine[name] > theirs[name] {
			opened = append(opened, name)
		}
	}
	if len(opened) > 0 {
		sort.Strings(opened)
		return fmt.Sprintf("allows %s, which the default profile keeps closed for this container's capabilities", strings.Join(opened, ", "))
	}
	if mine["clone"] > theirs["clone"] {
		return "allows clone with namespace flags, which the default profile keeps closed for this container's capabilities"
	}
	return ""
}

// How far a profile opens a system call: not at all, with conditions on its arguments, or
// whatever its arguments.
const (
	closed = iota
	withArgs
	always
)

// permitted says how far each system call is open in p. A rule with argument conditions counts
// as conditional only where Moby's default (ref) has a rule for that call with exactly those
// conditions: conditions are judged by what they let through, and one that lets everything
// through (a mask of 0) is no condition at all.
func permitted(p, ref *specs.LinuxSeccomp) map[string]int {
	out := map[string]int{}
	for _, r := range p.Syscalls {
		if blocking[r.Action] {
			continue
		}
		level := always
		if len(r.Args) > 0 && sameArgsAsDefault(r, ref) {
			level = withArgs
		}
		for _, n := range r.Names {
			out[n] = max(out[n], level)
		}
	}
	return out
}

// expandProfile does what the daemon does to a profile before the runtime gets it (Moby's
// setupSeccomp): no default action and no rules is no filter at all; rules are kept or dropped
// by the container's capabilities and the architecture. Kernel-version conditions are read
// the way that opens the most (a rule that needs a newer kernel is kept, one excluded on newer
// kernels is kept), since the daemon's kernel may differ from this host's.
func expandProfile(config *seccomp.Seccomp, caps []string) (*specs.LinuxSeccomp, error) {
	if config.DefaultAction == "" && len(config.Syscalls) == 0 {
		return nil, nil
	}
	if len(config.Architectures) != 0 && len(config.ArchMap) != 0 {
		return nil, fmt.Errorf("both 'architectures' and 'archMap' are specified")
	}
	out := config.LinuxSeccomp
	out.Syscalls = nil
	arch := nativeArch()
	for _, a := range config.ArchMap {
		if a.Arch == seccompArch[arch] {
			out.Architectures = append(append(slices.Clone(out.Architectures), a.Arch), a.SubArches...)
			break
		}
	}
rules:
	for _, call := range config.Syscalls {
		if call == nil {
			continue
		}
		rule := call.LinuxSyscall
		//lint:ignore SA1019 the daemon still reads the deprecated name field, so it is judged too
		if name := call.Name; name != "" {
			if len(call.Names) != 0 {
				return nil, fmt.Errorf("both 'name' and 'names' are specified")
			}
			rule.Names = []string{name}
		}
		if ex := call.Excludes; ex != nil {
			if slices.Contains(ex.Arches, arch) {
				continue
			}
			for _, c := range ex.Caps {
				if slices.Contains(caps, c) {
					continue rules
				}
			}
		}
		if in := call.Includes; in != nil {
			if len(in.Arches) > 0 && !slices.Contains(in.Arches, arch) {
				continue
			}
			for _, c := range in.Caps {
				if !slices.Contains(caps, c) {
					continue rules
				}
			}
		}
		out.Syscalls = append(out.Syscalls, rule)
	}
	return &out, nil
}

// seccompArch maps libseccomp's architecture names to the profile's.
var seccompArch = map[string]specs.Arch{
	"x86": specs.ArchX86, "amd64": specs.ArchX86_64, "arm": specs.ArchARM, "arm64": specs.ArchAARCH64,
	"loongarch64": specs.ArchLOONGARCH64, "mips64": specs.ArchMIPS64, "mipsel64": specs.ArchMIPSEL64,
	"mipsel": specs.ArchMIPSEL, "ppc": specs.ArchPPC, "ppc64": specs.ArchPPC64, "ppc64le": specs.ArchPPC64LE,
	"riscv64": specs.ArchRISCV64, "s390": specs.ArchS390, "s390x": specs.ArchS390X,
}

// nativeArch is libseccomp's name for this architecture, as Moby's profile code spells it.
func nativeArch() string {
	switch runtime.GOARCH {
	case "386":
		return "x86"
	case "loong64":
		return "loongarch64"
	case "mips64le":
		return "mipsel64"
	case "mipsle":
		return "mipsel"
	}
	return runtime.GOARCH
}

// heldCapabilities are the capabilities the container's processes can hold once created
// (docker's rules: the default set, or none when ALL is dropped, plus what is added, minus
// what is dropped), spelled CAP_X as seccomp profiles spell them. Where the policy will add
// --cap-drop=ALL, the default set is gone.
func (d *decider) heldCapabilities() []string {
	if d.r.Privileged != nil && d.r.Privileged.Value {
		all := make([]string, 0, len(capabilities))
		for c := range capabilities {
			all = append(all, "CAP_"+c)
		}
		sort.Strings(all)
		return all
	}
	dropped := map[string]bool{}
	for _, s := range d.r.CapDrop {
		dropped[NormalizeCapability(s.Value)] = true
	}
	if d.creates() && !d.in.Require {
		for _, c := range d.p.Runtime.Capabilities.Drop {
			dropped[NormalizeCapability(c)] = true
		}
	}
	held := map[string]bool{}
	if !dropped["ALL"] {
		for _, c := range DockerDefaultCapabilities {
			if !dropped[c] {
				held[c] = true
			}
		}
	}
	adds := append([]Val[string]{}, d.r.CapAdd...)
	for _, a := range d.change.Add {
		if a.Field == FieldCapAdd { // given back by the policy (the setup set)
			adds = append(adds, Val[string]{Value: a.Value})
		}
	}
	for _, s := range adds {
		c := NormalizeCapability(s.Value)
		if c == "ALL" {
			for a := range capabilities {
				held[a] = true
			}
			continue
		}
		held[c] = true
	}
	out := make([]string, 0, len(held))
	for c := range held {
		out = append(out, "CAP_"+c)
	}
	sort.Strings(out)
	return out
}

// sameArgsAsDefault reports whether every call of rule r has, in ref, a permitting rule with the
// same argument conditions.
func sameArgsAsDefault(r specs.LinuxSyscall, ref *specs.LinuxSeccomp) bool {
	for _, n := range r.Names {
		found := false
		for _, d := range ref.Syscalls {
			if !blocking[d.Action] && slices.Contains(d.Names, n) && slices.Equal(d.Args, r.Args) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}
