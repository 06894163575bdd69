package main

import (
	"os"
	"path/filepath"
	"strconv"
)

// buildKitBuilds reports whether docker build runs on BuildKit, as the docker CLI decides it:
// DOCKER_BUILDKIT if set (a value it cannot read counts as yes), else whether the buildx plugin
// is installed where docker looks for CLI plugins.
func buildKitBuilds(getenv func(string) string) bool {
	if v := getenv("DOCKER_BUILDKIT"); v != "" {
		on, err := strconv.ParseBool(v)
		return err != nil || on
	}
	cfg := getenv("DOCKER_CONFIG")
	if cfg == "" {
		if home, err := os.UserHomeDir(); err == nil {
			cfg = filepath.Join(home, ".docker")
		}
	}
	for _, dir := range []string{filepath.Join(cfg, "cli-plugins"), "/usr/local/lib/docker/cli-plugins", "/usr/local/libexec/docker/cli-plugins",
		"/usr/lib/docker/cli-plugins", "/usr/libexec/docker/cli-plugins"} {
		if _, err := os.Stat(filepath.Join(dir, "docker-buildx")); err == nil {
			return true
		}
	}
	return false
}
