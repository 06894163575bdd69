//go:build !linux

package proxy

import "net"

func peerCred(net.Conn) Peer { return Peer{} }
