#!/usr/bin/env bash
# Benchmarks `sdocker verify` (cold and warm) against the cosign v3 CLI's
# `cosign verify --key … --insecure-ignore-tlog` on the same image, signed by that CLI in its
# default format (a Sigstore bundle referrer) in a registry on 127.0.0.1, interleaved, and
# prints the ratios. The CLI is the one scripts/install-cosign.sh installs (or $COSIGN_BIN).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-cosign.sh >&2
export PATH="$PATH:$(go env GOPATH)/bin"

out=$(go test -count=1 -run '^$' -bench BenchmarkVerifyVsCosign -benchtime "${BENCH_N:-20}x" ./cmd/sdocker-verify)
echo "$out"
echo "$out" | awk '/^BenchmarkVerifyVsCosign/ {
  for (i = 3; i < NF; i += 2) m[$(i+1)] = $i
  printf "sdocker verify cold: %.1f ms, warm: %.1f ms, cosign v3 verify --key --insecure-ignore-tlog: %.1f ms\n", m["ms-cold"], m["ms-warm"], m["ms-cosign"]
  printf "ratio cold/cosign = %.2fx, warm/cosign = %.2fx (warm makes no registry request)\n", m["cold/cosign"], m["warm/cosign"]
}'
