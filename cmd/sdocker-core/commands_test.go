package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestBuildKitBuildsAsDockerDecides(t *testing.T) {
	with, without := t.TempDir(), t.TempDir()
	os.MkdirAll(filepath.Join(with, "cli-plugins"), 0o755)
	os.WriteFile(filepath.Join(with, "cli-plugins", "docker-buildx"), []byte("#!/bin/sh\n"), 0o755)
	systemBuildx := false
	for _, dir := range []string{"/usr/local/lib", "/usr/local/libexec", "/usr/lib", "/usr/libexec"} {
		if _, err := os.Stat(filepath.Join(dir, "docker", "cli-plugins", "docker-buildx")); err == nil {
			systemBuildx = true
		}
	}
	for _, tc := range []struct {
		name string
		env  map[string]string
		want bool
	}{
		{"DOCKER_BUILDKIT=0 is the legacy builder", map[string]string{"DOCKER_BUILDKIT": "0", "DOCKER_CONFIG": with}, false},
		{"DOCKER_BUILDKIT=1", map[string]string{"DOCKER_BUILDKIT": "1", "DOCKER_CONFIG": without}, true},
		{"a value docker cannot read counts as BuildKit", map[string]string{"DOCKER_BUILDKIT": "maybe", "DOCKER_CONFIG": without}, true},
		{"buildx installed", map[string]string{"DOCKER_CONFIG": with}, true},
		{"no buildx", map[string]string{"DOCKER_CONFIG": without}, systemBuildx},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := buildKitBuilds(func(k string) string { return tc.env[k] }); got != tc.want {
				t.Fatalf("buildKitBuilds = %v, want %v", got, tc.want)
			}
		})
	}
}
