package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Binds people make every day run through sdocker against the real daemon; credentials and a
// home itself are refused before anything reaches it.
func TestBindsPeopleMake(t *testing.T) {
	requireDaemon(t)
	home, err := os.UserHomeDir()
	if err != nil {
		t.Fatal(err)
	}
	project, err := os.MkdirTemp(home, "sdocker-it-project-")
	if err != nil {
		t.Fatalf("making a project directory in %s: %v", home, err)
	}
	defer os.RemoveAll(project)
	base := append([]string{"run", "--rm"}, labelled()...)
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"project in the home", []string{"-v", project + ":/src", "-w", "/src"}, 0, ""},
		{"localtime read-only", []string{"-v", "/etc/localtime:/etc/localtime:ro"}, 0, ""},
		{"CA bundle read-only", []string{"--mount", "type=bind,src=/etc/ssl/certs,dst=/etc/ssl/certs,readonly"}, 0, ""},
		{"localtime writable", []string{"-v", "/etc/localtime:/etc/localtime"}, 125, "bind it read-only (end -v with :ro)"},
		{"the home itself", []string{"-v", home + ":/h:ro"}, 125, "home directory"},
		{"the home's .ssh", []string{"-v", filepath.Join(home, ".ssh") + ":/k:ro"}, 125, ".ssh, which holds credentials"},
		{"the home's docker config", []string{"-v", filepath.Join(home, ".docker") + ":/d"}, 125, ".docker, which holds credentials"},
		{"/etc/shadow", []string{"-v", "/etc/shadow:/s:ro"}, 125, "is inside /etc"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := exec.Command("docker", "ps", "-aq", "--filter", "label="+runLabel).Output()
			r := sdocker(t, append(append(append([]string{}, base...), tc.args...), testImage, "say", "ran", "", "0")...)
			if r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
				t.Fatalf("exit %d (want %d), stderr %q (want %q)", r.code, tc.code, r.stderr, tc.want)
			}
			if tc.code == 0 && r.stdout != "ran\n" {
				t.Fatalf("stdout %q", r.stdout)
			}
			if after, _ := exec.Command("docker", "ps", "-aq", "--filter", "label="+runLabel).Output(); tc.code != 0 && string(after) != string(before) {
				t.Fatalf("a refused run created a container")
			}
		})
	}
}
