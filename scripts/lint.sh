#!/usr/bin/env bash
# Static checks CI runs before the tests: gofmt, go vet and staticcheck (the pinned version,
# installed into $GOPATH/bin when absent).
set -euo pipefail
cd "$(dirname "$0")/.."
version="0.8.2"
bin="$(go env GOPATH)/bin/staticcheck"
if [ ! -x "$bin" ] || ! "$bin" -version 2>/dev/null | grep -q "($version)"; then
  echo "lint: installing staticcheck $version"
  GOFLAGS=-mod=mod go install "honnef.co/go/tools/cmd/staticcheck@v$version"
fi
unformatted=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$unformatted" ]; then
  echo "lint: gofmt would change:" >&2
  echo "$unformatted" >&2
  exit 1
fi
go vet ./...
"$bin" ./...
echo "lint: clean"
