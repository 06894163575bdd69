//go:build !linux

package wrapper

import "sdocker/defaults"

// LocalHostFS asks nothing where sdocker does not run on Linux: the daemon runs elsewhere.
func LocalHostFS() defaults.HostFS { return defaults.HostFS{} }
