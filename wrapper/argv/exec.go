package argv

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// ErrNoDocker is returned when no docker CLI other than sdocker itself is on PATH.
var ErrNoDocker = errors.New("no docker CLI found on PATH (other than sdocker itself); install docker or set SDOCKER_DOCKER")

// FindDocker returns the real docker CLI: $SDOCKER_DOCKER, else the first "docker" on PATH that
// is not this very executable (sdocker may be installed as docker earlier in PATH).
func FindDocker(getenv func(string) string) (string, error) {
	if p := getenv("SDOCKER_DOCKER"); p != "" {
		return p, nil
	}
	self, _ := os.Executable()
	selfInfo, _ := os.Stat(self)
	for _, dir := range filepath.SplitList(getenv("PATH")) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, "docker")
		fi, err := os.Stat(p)
		if err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			continue
		}
		if selfInfo != nil && os.SameFile(fi, selfInfo) {
			continue
		}
		return p, nil
	}
	return "", ErrNoDocker
}

// Exec replaces this process with docker: the TTY, signals, stdin and exit status become
// docker's own. It returns only on failure.
func Exec(docker string, argv []string) error {
	args := append([]string{"docker"}, argv...)
	err := syscall.Exec(docker, args, os.Environ())
	return fmt.Errorf("executing %s: %w", docker, err)
}

// Quote renders an argv for people: arguments with spaces or shell characters are quoted.
func Quote(argv []string) string {
	out := make([]string, len(argv))
	for i, a := range argv {
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\$`!*?[]{}()<>|&;#~") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		out[i] = a
	}
	return strings.Join(out, " ")
}
