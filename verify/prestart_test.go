package verify

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"sdocker/wrapper/argv"
)

const prestartDigest = "sha256:188154e9b3b579d4df05792bfbcb1a864b856e686fd8dfadcb59d63b633ea4fb"

// writeHelper writes an executable shell script into dir.
func writeHelper(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// prestart does what the front does for `sdocker verify`, in this process, and returns the
// environment the core would read.
func prestart(t *testing.T, helper string) func(string) string {
	t.Helper()
	cache := t.TempDir() // empty: the front starts the helper
	getenv := func(k string) string {
		switch k {
		case "SDOCKER_VERIFY":
			return helper
		case "XDG_CACHE_HOME":
			return cache
		}
		return os.Getenv(k)
	}
	entry := argv.PrestartHelper([]string{"verify", "reg.example/team/app:v1"}, getenv)
	name, value, ok := strings.Cut(entry, "=")
	if !ok || name != argv.PrestartEnv {
		t.Fatalf("PrestartHelper = %q", entry)
	}
	return func(k string) string {
		if k == argv.PrestartEnv {
			return value
		}
		return getenv(k)
	}
}

func prestartRequest(t *testing.T) SigRequest {
	t.Helper()
	key := filepath.Join(t.TempDir(), "team.pub")
	if err := os.WriteFile(key, []byte("key"), 0o644); err != nil {
		t.Fatal(err)
	}
	return SigRequest{Reference: "reg.example/team/app:v1", Rule: SigRule{Keys: []string{key}}}
}

// The helper the front started is the first check's: it gets the request and its answer is
// the check's.
func TestPrestartedHelperAnswersTheFirstCheck(t *testing.T) {
	dir := t.TempDir()
	seen := filepath.Join(dir, "request")
	helper := writeHelper(t, dir, "sdocker-verify", `cat > `+seen+`
echo '{"digest":"`+prestartDigest+`","signers":["key team.pub"]}'
`)
	getenv := prestart(t, helper)
	p := TakePrestarted(getenv)
	if p == nil || p.Path != helper {
		t.Fatalf("TakePrestarted = %+v", p)
	}
	for _, f := range []*os.File{p.stdin, p.stdout, p.stderr} {
		if flags, _, errno := syscall.Syscall(syscall.SYS_FCNTL, f.Fd(), syscall.F_GETFD, 0); errno != 0 || flags&syscall.FD_CLOEXEC == 0 {
			t.Errorf("%s would be inherited by the processes the core starts", f.Name())
		}
	}
	c := &SigChecker{Getenv: getenv, Prestarted: p}
	resp, err := c.Check(context.Background(), prestartRequest(t), false)
	if err != nil || resp.Digest != prestartDigest {
		t.Fatalf("Check = %+v, %v", resp, err)
	}
	if data, _ := os.ReadFile(seen); !strings.Contains(string(data), `"reference":"reg.example/team/app:v1"`) {
		t.Errorf("the helper read %q", data)
	}
	if c.Prestarted != nil {
		t.Error("the prestarted helper is still offered after its check")
	}
	p.Discard() // a no-op once used
}

// A helper that answers nothing readable fails the check, as one the core starts would.
func TestPrestartedHelperFailsClosed(t *testing.T) {
	dir := t.TempDir()
	helper := writeHelper(t, dir, "sdocker-verify", "cat >/dev/null\necho 'crashed' >&2\nexit 3\n")
	getenv := prestart(t, helper)
	c := &SigChecker{Getenv: getenv, Prestarted: TakePrestarted(getenv)}
	_, err := c.Check(context.Background(), prestartRequest(t), false)
	if !errors.Is(err, ErrUnverifiable) || !strings.Contains(err.Error(), "crashed") || !strings.Contains(err.Error(), "exit status 3") {
		t.Fatalf("Check = %v, want unverifiable with the helper's words", err)
	}
}

// A helper that was gone before the request is replaced by one started then.
func TestPrestartedHelperGoneIsReplaced(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "started-once")
	helper := writeHelper(t, dir, "sdocker-verify", `if [ ! -e `+marker+` ]; then : > `+marker+`; exit 0; fi
cat >/dev/null
echo '{"digest":"`+prestartDigest+`"}'
`)
	getenv := prestart(t, helper)
	p := TakePrestarted(getenv)
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := os.Stat(marker); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the prestarted helper never ran")
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // and has exited
	c := &SigChecker{Getenv: getenv, Prestarted: p}
	resp, err := c.Check(context.Background(), prestartRequest(t), false)
	if err != nil || resp.Digest != prestartDigest {
		t.Fatalf("Check = %+v, %v", resp, err)
	}
}

// A check that goes to another helper leaves the prestarted one to Discard, which stops it.
func TestPrestartedHelperOfAnotherPathIsDiscarded(t *testing.T) {
	dir := t.TempDir()
	waiting := writeHelper(t, dir, "sdocker-verify", "exec sleep 60\n")
	other := writeHelper(t, dir, "other-helper", `cat >/dev/null
echo '{"digest":"`+prestartDigest+`"}'
`)
	p := TakePrestarted(prestart(t, waiting))
	c := &SigChecker{Helper: other, Prestarted: p}
	if _, err := c.Check(context.Background(), prestartRequest(t), false); err != nil {
		t.Fatal(err)
	}
	if c.Prestarted != p {
		t.Fatal("the prestarted helper was taken by a check that went to another helper")
	}
	start := time.Now()
	p.Discard()
	if time.Since(start) > 5*time.Second {
		t.Error("Discard waited for the helper instead of stopping it")
	}
	if err := p.proc.Signal(syscall.Signal(0)); err == nil {
		t.Error("the discarded helper still runs")
	}
}

// Only an announcement of three pipes is taken; anything else is ignored.
func TestTakePrestartedIgnoresWhatIsNotAHelper(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "file")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var pipe [2]int
	if err := syscall.Pipe2(pipe[:], syscall.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(pipe[0])
	defer syscall.Close(pipe[1])
	file, r, w := strconv.Itoa(int(f.Fd())), strconv.Itoa(pipe[0]), strconv.Itoa(pipe[1])
	pid := strconv.Itoa(os.Getpid())
	for _, v := range []string{"", "x", "1:2:3", pid + ":" + r + ":" + w + ":" + r, pid + ":" + r + ":" + w + ":" + r + ":",
		pid + ":" + r + ":" + w + ":" + file + ":/bin/helper", pid + ":0:" + w + ":" + r + ":/bin/helper", "0:" + r + ":" + w + ":" + r + ":/bin/helper"} {
		if p := TakePrestarted(func(string) string { return v }); p != nil {
			t.Errorf("TakePrestarted(%q) = %+v, want nil", v, p)
		}
	}
}
