package argv

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// PrestartEnv tells the core about the signature helper the front started for it:
// "PID:STDIN:STDOUT:STDERR:PATH", the helper's process id, the core's ends of the helper's three
// pipes (file descriptors the core inherits), and the helper's path.
const PrestartEnv = "SDOCKER_VERIFY_PRESTARTED"

// verifyHelper is the signature helper (verify.HelperName; the front does not link verify).
const verifyHelper = "sdocker-verify"

// HelperEnv is added to the environment of the signature helpers, which live for one check:
// collecting garbage only costs them start-up time (a third of their allocations happen in
// package init), and the memory limit bounds them all the same; one P spares them the threads
// and the work stealing of a second for work that is one verification and a few requests
// (measured: 0.8 ms of wall time and 1.5 ms of CPU less per check).
var HelperEnv = []string{"GOGC=off", "GOMEMLIMIT=512MiB", "GOMAXPROCS=1"}

// TagTTL is how long a tag's verification is cached (verify.TagTTL is this one: the front,
// which does not link verify, dates the cache by it).
const TagTTL = 5 * time.Minute

// PrestartHelper starts the signature helper for `sdocker verify IMAGE…` before the front execs
// the core, and returns the PrestartEnv entry for the core's environment ("" when it started
// nothing). The helper spends about 5 ms starting before it reads its request; the core spends
// about as long starting, loading the policy and looking in the cache: started together, on
// two CPUs, a cold check costs the longer of the two instead of their sum. The helper only
// waits for a request: the core writes it one or kills it (when the cache answers, or when the
// check goes to another helper), and it exits at the end of its stdin if the core never does.
//
// A helper the cache makes useless costs its start on the other CPU, so it is started only
// when the signature cache has had no entry written for as long as a tag stays cached: then
// no tag can be answered from it (each entry is renamed into the directory, which dates it).
func PrestartHelper(args []string, getenv func(string) string) string {
	if len(args) < 2 || args[0] != "verify" {
		return ""
	}
	for _, a := range args[1:] {
		if a == "-h" || a == "--help" || strings.HasPrefix(a, "--help=") {
			return ""
		}
	}
	if recentlyCached(getenv) {
		return ""
	}
	path, ok := FindCompanion(verifyHelper, "SDOCKER_VERIFY", getenv)
	if !ok || !filepath.IsAbs(path) {
		// A relative name is looked up by the core as exec does (on PATH): not this process's
		// business to guess which binary that is.
		return ""
	}
	// Raw descriptors: the core's ends must outlive this process's files (an *os.File's
	// finalizer closes its descriptor) and, unlike the helper's ends, survive the exec.
	var pipes [3][2]int
	for i := range pipes {
		if err := syscall.Pipe2(pipes[i][:], syscall.O_CLOEXEC); err != nil {
			closeAll(pipes[:i])
			return ""
		}
	}
	stdin, stdout, stderr := pipes[0], pipes[1], pipes[2]
	files := []*os.File{os.NewFile(uintptr(stdin[0]), "stdin"), os.NewFile(uintptr(stdout[1]), "stdout"), os.NewFile(uintptr(stderr[1]), "stderr")}
	env := append(os.Environ(), HelperEnv...)
	proc, err := os.StartProcess(path, []string{path}, &os.ProcAttr{Env: env, Files: files})
	for _, f := range files {
		f.Close()
	}
	mine := []int{stdin[1], stdout[0], stderr[0]}
	if err != nil {
		for _, fd := range mine {
			syscall.Close(fd)
		}
		return ""
	}
	for _, fd := range mine {
		if _, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_SETFD, 0); errno != 0 {
			_ = proc.Kill()
			return ""
		}
	}
	return PrestartEnv + "=" + strconv.Itoa(proc.Pid) + ":" + strconv.Itoa(mine[0]) + ":" + strconv.Itoa(mine[1]) + ":" +
		strconv.Itoa(mine[2]) + ":" + path
}

// recentlyCached reports whether the signature cache ($XDG_CACHE_HOME/sdocker/signatures, as
// verify.DefaultCacheDir finds it) had an entry written less than TagTTL ago.
func recentlyCached(getenv func(string) string) bool {
	base := getenv("XDG_CACHE_HOME")
	if base == "" {
		home := getenv("HOME")
		if home == "" {
			return true // no cache to look at: as before, the core starts the helper
		}
		base = filepath.Join(home, ".cache")
	}
	fi, err := os.Stat(filepath.Join(base, "sdocker", "signatures"))
	return err == nil && time.Since(fi.ModTime()) < TagTTL
}

func closeAll(pipes [][2]int) {
	for _, p := range pipes {
		syscall.Close(p[0])
		syscall.Close(p[1])
	}
}
