package main

import (
	"reflect"
	"strings"
	"testing"
)

func TestTailWriterKeepsTheLastBytes(t *testing.T) {
	w := &tailWriter{max: 16}
	for _, s := range []string{"first line\n", "second line\n", "third\n"} {
		w.Write([]byte(s))
	}
	if got, want := w.lines(), []string{"cond line", "third"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("lines %q, want %q", got, want)
	}
}

func TestDiagnoseUsage(t *testing.T) {
	for _, args := range [][]string{{"diagnose"}, {"diagnose", "a", "b"}, {"diagnose", "--bogus", "a"}} {
		out, errOut, code := runInProcess(t, args...)
		if code != 125 || out != "" || strings.Count(errOut, "\n") != 1 || !strings.HasPrefix(errOut, "sdocker: ") || !strings.Contains(errOut, "usage: sdocker diagnose") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
}
