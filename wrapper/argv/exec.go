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

// FrontEnv names the sdocker front that exec'd the core, so that the core never mistakes the
// front (installed as docker earlier in PATH) for the real docker.
const FrontEnv = "SDOCKER_FRONT"

// FindDocker returns the real docker CLI: $SDOCKER_DOCKER, else the first "docker" on PATH that
// is neither this executable nor the sdocker front (sdocker may be installed as docker earlier
// in PATH).
func FindDocker(getenv func(string) string) (string, error) {
	if p := getenv("SDOCKER_DOCKER"); p != "" {
		return p, nil
	}
	var selves []os.FileInfo
	for _, p := range []string{executable(), getenv(FrontEnv)} {
		if fi, err := os.Stat(p); p != "" && err == nil {
			selves = append(selves, fi)
		}
	}
	for _, dir := range filepath.SplitList(getenv("PATH")) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, "docker")
		fi, err := os.Stat(p)
		if err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			continue
		}
		if !sameAsAny(fi, selves) {
			return p, nil
		}
	}
	return "", ErrNoDocker
}

func sameAsAny(fi os.FileInfo, others []os.FileInfo) bool {
	for _, o := range others {
		if os.SameFile(fi, o) {
			return true
		}
	}
	return false
}

func executable() string {
	p, _ := os.Executable()
	return p
}

// CoreName is the binary that holds the policy, the decisions and sdocker's own verbs.
const CoreName = "sdocker-core"

// FindCore returns sdocker-core: $SDOCKER_CORE, else next to this executable, else on PATH.
func FindCore(getenv func(string) string) (string, error) {
	if p, ok := FindCompanion(CoreName, "SDOCKER_CORE", getenv); ok {
		return p, nil
	}
	return "", fmt.Errorf("%s not found next to %s or on PATH; install it beside sdocker or set SDOCKER_CORE", CoreName, executable())
}

// FindCompanion finds one of sdocker's own binaries: the one the environment variable names,
// else the one next to this executable, else the first executable of that name on PATH.
func FindCompanion(name, envVar string, getenv func(string) string) (string, bool) {
	if p := getenv(envVar); p != "" {
		return p, true
	}
	if self := executable(); self != "" {
		p := filepath.Join(filepath.Dir(self), name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, true
		}
	}
	for _, dir := range filepath.SplitList(getenv("PATH")) {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, true
		}
	}
	return "", false
}

// ExecCore replaces this process with sdocker-core, telling it which front sent it; extraEnv
// are added to its environment.
func ExecCore(core string, args []string, extraEnv ...string) error {
	env := append(append(os.Environ(), FrontEnv+"="+executable()), extraEnv...)
	err := syscall.Exec(core, append([]string{"sdocker"}, args...), env)
	return fmt.Errorf("executing %s: %w", core, err)
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
