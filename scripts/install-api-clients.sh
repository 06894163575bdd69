#!/usr/bin/env bash
# Installs the Engine API clients the proxy's tests drive for real, each only when absent:
# Debian's docker-compose (1.29.2), python3-docker and tmux (apt, as root); buildx (BuildKit's client,
# `go install`, about 2 minutes) and compose v2 (built from its module zip: it refuses
# `go install`; about a minute on 2 cores) as docker CLI plugins in ~/.docker/cli-plugins.
set -euo pipefail

missing=()
command -v tmux >/dev/null 2>&1 || missing+=(tmux) # a real terminal for run -it and exec -it
[ -x /usr/bin/docker-compose ] || missing+=(docker-compose)
/usr/bin/python3 -c 'import docker' 2>/dev/null || missing+=(python3-docker)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "install-api-clients: ${missing[*]} missing and not root: apt-get install ${missing[*]}" >&2
  else
    echo "install-api-clients: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "${missing[@]}" >/dev/null ||
      { apt-get -o DPkg::Lock::Timeout=600 update >/dev/null &&
        apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "${missing[@]}" >/dev/null; }
  fi
fi

COMPOSE_VERSION=v5.6.0
BUILDX_VERSION=v0.38.2
plugins="${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins"
mkdir -p "$plugins"
if docker buildx version >/dev/null 2>&1; then
  echo "install-api-clients: docker buildx is present"
else
  echo "install-api-clients: building docker buildx ${BUILDX_VERSION}"
  gobin=$(mktemp -d)
  GOBIN="$gobin" GOFLAGS=-mod=mod go install -ldflags "-s -w" "github.com/docker/buildx/cmd/buildx@${BUILDX_VERSION}"
  mv "$gobin/buildx" "$plugins/docker-buildx"
  rm -rf "$gobin"
fi
if docker compose version 2>/dev/null | grep -q "${COMPOSE_VERSION}"; then
  echo "install-api-clients: docker compose ${COMPOSE_VERSION} is present"
  exit 0
fi
echo "install-api-clients: building docker compose ${COMPOSE_VERSION} from its module"
dir=$(go mod download -json "github.com/docker/compose/v5@${COMPOSE_VERSION}" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$dir"/. "$work"
chmod -R u+w "$work"
mkdir -p "$plugins"
(cd "$work" && GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w -X github.com/docker/compose/v5/internal.Version=${COMPOSE_VERSION}" -o "$plugins/docker-compose" ./cmd)
echo "install-api-clients: docker compose $(docker compose version --short) installed in $plugins"
