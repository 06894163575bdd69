module sdocker

go 1.26.8

require (
	github.com/docker/cli v29.9.3+incompatible // indirect
	github.com/docker/go-units v0.5.0 // indirect
	github.com/moby/profiles/seccomp v0.3.0 // indirect
	github.com/opencontainers/runtime-spec v1.2.1 // indirect
	github.com/spf13/pflag v1.1.0 // indirect
	go.yaml.in/yaml/v3 v3.0.6 // indirect
	golang.org/x/sys v0.33.0 // indirect
)
