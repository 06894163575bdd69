package wrapper

import (
	"os"

	"sdocker/defaults"
)

// HostHomes returns the home directories in this host's /etc/passwd, for the bind rules; an
// unreadable file leaves the rules with /root and /home/*, which are homes whatever it says.
func HostHomes() []defaults.Home {
	data, err := os.ReadFile("/etc/passwd")
	if err != nil {
		return nil
	}
	return defaults.HomesFromPasswd(data)
}

// HostPathExists reports whether a path exists on this host (a symbolic link counts, wherever
// it leads); a path that cannot be looked at is taken to exist.
func HostPathExists(p string) bool {
	_, err := os.Lstat(p)
	return !os.IsNotExist(err)
}
