#!/usr/bin/env bash
# Runs the whole test suite: unit tests and the integration tests against a real dockerd (started
# here when none answers). In CI (CI=true) integration tests fail instead of skipping.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/start-dockerd.sh
go test -count=1 -timeout 30m ./...
