package wrapper

import (
	"strconv"
	"strings"

	"sdocker/defaults"
)

// FactsFromInfo reads what the decision needs to know of a daemon from its GET /info.
func FactsFromInfo(info Info) defaults.Facts {
	f := defaults.Facts{Known: true, AppArmor: info.HasSecurityOption("apparmor"), LogDriver: info.LoggingDriver, DefaultRuntime: info.DefaultRuntime,
		DataRoot: info.DockerRootDir, RecursiveReadOnly: majorVersion(info.ServerVersion) >= 25}
	if sc, ok := info.SecurityOption("seccomp"); ok {
		switch sc["profile"] {
		case "default", "builtin", "":
			f.SeccompBuiltin = true
		}
	} else {
		f.SeccompBuiltin = true // no seccomp on this daemon: nothing a profile could change
	}
	return f
}

// majorVersion is the major number of a daemon version ("20.10.24" → 20), 0 if unreadable.
func majorVersion(v string) int {
	n, _ := strconv.Atoi(strings.SplitN(v, ".", 2)[0])
	return n
}
