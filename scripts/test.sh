#!/usr/bin/env bash
# Runs the whole test suite: unit tests and the integration tests against the real parts. It
# starts a dockerd when none answers and installs the pinned trivy when it is absent (a build of
# several minutes, once per machine). In CI (CI=true) integration tests fail instead of skipping.
set -euo pipefail
# The whole suite: a missing real part (daemon, trivy) fails the run instead of skipping.
export CI="${CI:-true}"
cd "$(dirname "$0")/.."

scripts/start-dockerd.sh
scripts/install-trivy.sh
scripts/install-ssh.sh
scripts/install-shells.sh
scripts/install-api-clients.sh
export PATH="$PATH:$(go env GOPATH)/bin"
scripts/lint.sh
go test -count=1 -timeout 30m ./...
# Each fuzz target for a bounded time, from its seed corpus on.
go test -run '^$' -fuzz '^FuzzDecide$' -fuzztime "${FUZZTIME:-15s}" ./defaults
go test -run '^$' -fuzz '^FuzzParseMatchesPflag$' -fuzztime "${FUZZTIME:-15s}" ./wrapper/argv
go test -run '^$' -fuzz '^FuzzMountReadAsDockerReadsIt$' -fuzztime "${FUZZTIME:-15s}" ./wrapper
