#!/usr/bin/env bash
# Benchmarks `sdocker verify` (cold and warm) against `cosign verify --key` on the same signed
# image in a registry on 127.0.0.1, and prints the ratios. The cosign CLI is built from its Go
# module into a temporary GOBIN for the benchmark only (set COSIGN_BIN to reuse one).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${COSIGN_BIN:-}" ]; then
  gobin=$(mktemp -d)
  trap 'rm -rf "$gobin"' EXIT
  echo "bench-verify: building the cosign CLI v2.6.5 (benchmark only)…" >&2
  GOBIN="$gobin" GOFLAGS=-mod=mod go install github.com/sigstore/cosign/v2/cmd/cosign@v2.6.5
  COSIGN_BIN="$gobin/cosign"
fi
export COSIGN_BIN

out=$(go test -run '^$' -bench BenchmarkVerifyVsCosign -benchtime "${BENCH_N:-20}x" ./cmd/sdocker-verify)
echo "$out"
echo "$out" | awk '/^BenchmarkVerifyVsCosign/ {
  for (i = 3; i < NF; i += 2) m[$(i+1)] = $i
  printf "sdocker verify cold: %.1f ms, warm: %.1f ms, cosign verify --key: %.1f ms\n", m["ms-cold"], m["ms-warm"], m["ms-cosign"]
  printf "ratio cold/cosign = %.2fx, warm/cosign = %.2fx (warm makes no registry request)\n", m["cold/cosign"], m["warm/cosign"]
}'
