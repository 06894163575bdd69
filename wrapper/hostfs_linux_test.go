package wrapper

import (
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// The unix sockets a directory bind would bring along, however deep.
func TestSocketsBelowADirectory(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "a", "b"), 0o755); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "a", "b", "s.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := os.WriteFile(filepath.Join(dir, "a", "f"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := sockets(dir)
	if err != nil || !slices.Equal(got, []string{sock}) {
		t.Fatalf("sockets %v, %v; want [%s]", got, err, sock)
	}
	if got, err := listening(dir); err != nil || !slices.Contains(got, sock) {
		t.Fatalf("listening %v, %v; want %s among them", got, err, sock)
	}
	if got, err := listening(filepath.Join(dir, "a", "b2")); err != nil || len(got) != 0 {
		t.Fatalf("listening below another directory: %v, %v", got, err)
	}
	if got, err := sockets(filepath.Join(dir, "missing")); err == nil {
		t.Fatalf("a missing directory: %v, no error", got)
	}
}
