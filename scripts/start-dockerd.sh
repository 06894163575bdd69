#!/usr/bin/env bash
# Starts a Docker daemon for the tests when none answers: installs Debian's docker.io where dockerd
# is missing (root only), starts dockerd in the background and waits until `docker info` answers.
set -euo pipefail

docker_cli() { command -v docker >/dev/null 2>&1 && docker "$@"; }

# The tests give each extra daemon a bridge of its own, made with ip(8).
if ! command -v ip >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq iproute2 >/dev/null
fi

if docker_cli info >/dev/null 2>&1; then
  echo "start-dockerd: a daemon already answers"
  exit 0
fi

if ! command -v dockerd >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then
    echo "start-dockerd: dockerd is missing and we are not root; install docker.io" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq docker.io iproute2 >/dev/null
fi

log=${DOCKERD_LOG:-/var/log/sdocker-dockerd.log}
# setsid: the daemon must outlive the shell that started it.
setsid dockerd >"$log" 2>&1 < /dev/null &

for _ in $(seq 1 120); do
  if docker_cli info >/dev/null 2>&1; then
    echo "start-dockerd: daemon is up"
    exit 0
  fi
  sleep 0.5
done
echo "start-dockerd: dockerd did not answer within 60s; last lines of $log:" >&2
tail -20 "$log" >&2
exit 1
