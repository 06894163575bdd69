package defaults

import "strings"

// capabilities is every Linux capability docker knows, without the CAP_ prefix.
var capabilities = map[string]bool{
	"AUDIT_CONTROL": true, "AUDIT_READ": true, "AUDIT_WRITE": true, "BLOCK_SUSPEND": true,
	"BPF": true, "CHECKPOINT_RESTORE": true, "CHOWN": true, "DAC_OVERRIDE": true,
	"DAC_READ_SEARCH": true, "FOWNER": true, "FSETID": true, "IPC_LOCK": true, "IPC_OWNER": true,
	"KILL": true, "LEASE": true, "LINUX_IMMUTABLE": true, "MAC_ADMIN": true, "MAC_OVERRIDE": true,
	"MKNOD": true, "NET_ADMIN": true, "NET_BIND_SERVICE": true, "NET_BROADCAST": true,
	"NET_RAW": true, "PERFMON": true, "SETFCAP": true, "SETGID": true, "SETPCAP": true,
	"SETUID": true, "SYSLOG": true, "SYS_ADMIN": true, "SYS_BOOT": true, "SYS_CHROOT": true,
	"SYS_MODULE": true, "SYS_NICE": true, "SYS_PACCT": true, "SYS_PTRACE": true,
	"SYS_RAWIO": true, "SYS_RESOURCE": true, "SYS_TIME": true, "SYS_TTY_CONFIG": true,
	"WAKE_ALARM": true,
}

// NormalizeCapability spells a capability the way the policy does: upper case, no CAP_ prefix,
// so that sys_admin, CAP_SYS_ADMIN and cap_sys_admin are one capability. "all" becomes "ALL".
func NormalizeCapability(c string) string {
	c = strings.ToUpper(strings.TrimSpace(c))
	return strings.TrimPrefix(c, "CAP_")
}

// KnownCapability reports whether c (any spelling) is a capability or ALL.
func KnownCapability(c string) bool {
	n := NormalizeCapability(c)
	return n == "ALL" || capabilities[n]
}

// DockerDefaultCapabilities are the capabilities docker gives a container that drops none.
var DockerDefaultCapabilities = []string{"CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID",
	"SETUID", "SETFCAP", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE"}
