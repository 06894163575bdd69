#!/usr/bin/env bash
# Installs the pinned cosign v3 CLI that the signature tests sign with (and the benchmark
# compares against), built from cosign's Go module, only when no cosign of that version is on
# PATH (or in $GOBIN). Root installs into /usr/local/bin, anyone else into $GOBIN (or
# $GOPATH/bin). The build takes about five minutes on two cores, once per machine; the module
# and build caches are reused. sdocker itself never runs this cosign: only the tests do.
set -euo pipefail

version=v3.1.3

if [ "$(id -u)" = 0 ]; then
  export GOBIN=${GOBIN:-/usr/local/bin}
else
  export GOBIN=${GOBIN:-$(go env GOPATH)/bin}
fi
mkdir -p "$GOBIN"

for c in "$(command -v cosign 2>/dev/null || true)" "$GOBIN/cosign"; do
  if [ -n "$c" ] && [ -x "$c" ] && "$c" version 2>/dev/null | grep -q "GitVersion: *${version}\b"; then
    echo "install-cosign: $c is present (cosign $version)"
    exit 0
  fi
done

echo "install-cosign: building cosign $version into $GOBIN (this takes several minutes)"
start=$(date +%s)
# -mod=mod so that a vendor directory or a workspace around the caller does not interfere; the
# version is stamped so that the check above finds it next time.
GOFLAGS=-mod=mod CGO_ENABLED=0 \
  go install -ldflags="-s -w -X sigs.k8s.io/release-utils/version.gitVersion=$version" \
  "github.com/sigstore/cosign/v3/cmd/cosign@$version"
echo "install-cosign: $("$GOBIN/cosign" version 2>/dev/null | grep GitVersion) installed in $(( $(date +%s) - start ))s"
