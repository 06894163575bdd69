#!/usr/bin/env bash
# Runs the whole test suite: unit tests and the integration tests against the real parts. It
# starts a dockerd when none answers, installs the pinned trivy and cosign v3 CLI when they are
# absent (builds of several minutes, once per machine) and builds the replica images (about 3
# minutes, cached). In CI (CI=true) integration tests fail instead of skipping.
set -euo pipefail
# The whole suite: a missing real part (daemon, trivy) fails the run instead of skipping.
export CI="${CI:-true}"
cd "$(dirname "$0")/.."

scripts/start-dockerd.sh
scripts/install-trivy.sh
scripts/install-cosign.sh
scripts/install-ssh.sh
scripts/install-shells.sh
scripts/install-chromium.sh  # headless, for the audit's HTML report test
scripts/build-replicas.sh   # offline replicas of official images (mmdebstrap; cached)
# tmux gives the terminal tests a terminal.
if ! command -v tmux >/dev/null && [ "$(id -u)" = 0 ]; then
	apt-get install -y -q tmux >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q tmux >/dev/null; }
fi
scripts/install-buildx.sh
scripts/install-api-clients.sh
export PATH="$PATH:$(go env GOPATH)/bin"
scripts/lint.sh
go test -count=1 -timeout 30m ./...
# Each fuzz target for a bounded time, from its seed corpus on.
go test -run '^$' -fuzz '^FuzzDecide$' -fuzztime "${FUZZTIME:-15s}" ./defaults
go test -run '^$' -fuzz '^FuzzParseMatchesPflag$' -fuzztime "${FUZZTIME:-15s}" ./wrapper/argv
go test -run '^$' -fuzz '^FuzzMountReadAsDockerReadsIt$' -fuzztime "${FUZZTIME:-15s}" ./wrapper
