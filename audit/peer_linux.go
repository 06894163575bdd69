package audit

import (
	"context"
	"fmt"
	"net"
	"syscall"
)

// socketPeer returns the pid of the process listening on a unix socket, from the kernel's
// credentials of the connection (SO_PEERCRED), so that the audit reads the configuration of
// the daemon it talks to, not of some other dockerd.
func socketPeer(ctx context.Context, path string) (int, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return 0, fmt.Errorf("connecting to %s: %w", path, err)
	}
	defer c.Close()
	raw, err := c.(*net.UnixConn).SyscallConn()
	if err != nil {
		return 0, err
	}
	var cred *syscall.Ucred
	var credErr error
	if err := raw.Control(func(fd uintptr) {
		cred, credErr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	}); err != nil {
		return 0, err
	}
	if credErr != nil {
		return 0, fmt.Errorf("asking the kernel who listens on %s: %w", path, credErr)
	}
	return int(cred.Pid), nil
}
