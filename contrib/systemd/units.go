// Package systemd holds the systemd units that put sdocker in front of a daemon, for
// `sdocker ci setup` to install as they are in this directory.
package systemd

import _ "embed"

// ProxyUnit is sdocker-proxy.service; SocketDropIn makes the daemon's socket root's alone.
var (
	//go:embed sdocker-proxy.service
	ProxyUnit []byte
	//go:embed docker.socket.d/sdocker.conf
	SocketDropIn []byte
)
