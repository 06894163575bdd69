package proxy

import (
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// peerCred asks the kernel who is at the other end of a unix socket.
func peerCred(c net.Conn) Peer {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return Peer{}
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return Peer{}
	}
	var cred *syscall.Ucred
	var cerr error
	if err := raw.Control(func(fd uintptr) {
		cred, cerr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	}); err != nil || cerr != nil {
		return Peer{}
	}
	return Peer{Known: true, UID: int(cred.Uid), PID: int(cred.Pid)}
}

// peerGone reports whether the client at the other end of a unix socket has closed it
// altogether, not only shut its writing side (docker run -i at the end of its stdin): after a
// full close the kernel reports a hang-up, after a half-close only the end of input.
func peerGone(c net.Conn) bool {
	if tc, ok := c.(*trackedConn); ok {
		c = tc.Conn
	}
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return false
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return false
	}
	gone := false
	raw.Control(func(fd uintptr) {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLRDHUP}}
		if n, err := unix.Poll(fds, 0); err == nil && n > 0 {
			gone = fds[0].Revents&unix.POLLHUP != 0
		}
	})
	return gone
}
