#!/usr/bin/env bash
# Installs buildx (BuildKit's client) as a docker CLI plugin in ~/.docker/cli-plugins when docker
# has none: sdocker decides `docker build` as buildx reads it where buildx is installed, and a
# test checks sdocker's table of buildx build's flags against the installed buildx's --help.
# `go install` of the pinned version takes about 2 minutes on 2 cores.
set -euo pipefail
BUILDX_VERSION="${BUILDX_VERSION:-v0.38.2}"
if docker buildx version >/dev/null 2>&1; then
  echo "install-buildx: docker buildx is present"
  exit 0
fi
plugins="${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins"
mkdir -p "$plugins"
echo "install-buildx: building docker buildx ${BUILDX_VERSION}"
gobin=$(mktemp -d)
trap 'rm -rf "$gobin"' EXIT
GOBIN="$gobin" GOFLAGS=-mod=mod go install -ldflags "-s -w" "github.com/docker/buildx/cmd/buildx@${BUILDX_VERSION}"
mv "$gobin/buildx" "$plugins/docker-buildx"
