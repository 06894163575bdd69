//go:build !linux

package wrapper

import (
	"fmt"
	"os"
	"syscall"
)

// PinProfile hands docker a checked seccomp profile by a file descriptor it inherits: a
// temporary file opened and then removed, so no name leads to it by the time docker reads it.
func PinProfile(data []byte) (string, error) {
	f, err := os.CreateTemp("", "sdocker-seccomp-*")
	if err != nil {
		return "", err
	}
	name := f.Name()
	defer os.Remove(name)
	if _, err := f.Write(data); err != nil {
		f.Close()
		return "", err
	}
	f.Close()
	fd, err := syscall.Open(name, syscall.O_RDONLY, 0)
	if err != nil {
		return "", fmt.Errorf("opening the copy of the profile: %w", err)
	}
	return fmt.Sprintf("/dev/fd/%d", fd), nil
}
