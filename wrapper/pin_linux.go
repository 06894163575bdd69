package wrapper

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// PinProfile hands docker a checked seccomp profile by a file descriptor it inherits
// (/dev/fd/N of a sealed memfd): it has no name anyone could replace between the check and
// docker's read, and its content cannot change. The descriptor stays open across the exec of
// docker (and in a child docker): it is meant to live as long as this process.
func PinProfile(data []byte) (string, error) {
	fd, err := unix.MemfdCreate("sdocker-seccomp", unix.MFD_ALLOW_SEALING)
	if err != nil {
		return "", fmt.Errorf("creating a sealed copy of the profile: %w", err)
	}
	for len(data) > 0 {
		n, err := unix.Write(fd, data)
		if err != nil {
			unix.Close(fd)
			return "", fmt.Errorf("writing the sealed copy of the profile: %w", err)
		}
		data = data[n:]
	}
	seals := unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, seals); err != nil {
		unix.Close(fd)
		return "", fmt.Errorf("sealing the copy of the profile: %w", err)
	}
	return fmt.Sprintf("/dev/fd/%d", fd), nil
}
