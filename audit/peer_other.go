//go:build !linux

package audit

import (
	"context"
	"errors"
)

func socketPeer(context.Context, string) (int, error) {
	return 0, errors.New("finding the daemon process behind a socket is supported on Linux only")
}
