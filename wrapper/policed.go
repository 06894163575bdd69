package wrapper

import (
	"net"
	"os"
	"time"
)

// PolicedSocket returns the policy's policed socket (runtime.docker_socket.policed) where it
// can be given to a container in its place of the daemon's: a unix socket that only root can
// replace on its way from / and that answers a connection. It returns "" otherwise: no policed
// socket is configured, or none is being served there.
func PolicedSocket(path string) string {
	if path == "" {
		return ""
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode()&os.ModeSocket == 0 {
		return ""
	}
	if who, err := Swappable(path); err != nil || who != "" {
		return ""
	}
	c, err := net.DialTimeout("unix", path, time.Second)
	if err != nil {
		return ""
	}
	c.Close()
	return path
}
