#!/usr/bin/env bash
# Installs the pinned trivy used by sdocker's scan gate and its tests, built from trivy's Go
# module, only when no trivy is on PATH (or when the one found is another version and
# TRIVY_FORCE=1). Root installs into /usr/local/bin, anyone else into $GOBIN (or $GOPATH/bin).
# The build takes several minutes on two cores; the module and build caches are reused.
set -euo pipefail

version=v0.74.0

if command -v trivy >/dev/null 2>&1 && [ "${TRIVY_FORCE:-}" != 1 ]; then
  echo "install-trivy: $(command -v trivy) is present ($(trivy --version 2>/dev/null | head -1))"
  exit 0
fi

if [ "$(id -u)" = 0 ]; then
  export GOBIN=/usr/local/bin
else
  export GOBIN=${GOBIN:-$(go env GOPATH)/bin}
fi
mkdir -p "$GOBIN"

echo "install-trivy: building trivy $version into $GOBIN (this takes several minutes)"
start=$(date +%s)
# trivy $version builds only with the jsonv2 experiment; -mod=mod so that a vendor directory or
# a workspace around the caller does not interfere.
GOFLAGS=-mod=mod GOEXPERIMENT=jsonv2 CGO_ENABLED=0 \
  go install -ldflags="-s -w -X github.com/aquasecurity/trivy/pkg/version/app.ver=${version#v}" \
  "github.com/aquasecurity/trivy/cmd/trivy@$version"
echo "install-trivy: $("$GOBIN/trivy" --version | head -1) installed in $(( $(date +%s) - start ))s"
