#!/usr/bin/env bash
# Measures the scan gate against the real trivy and the fixture database: the warm gate (a
# cached digest, no trivy: target ≤ 5 ms) and the cold gate's overhead over trivy's own time
# (target ≤ 5 %). Needs trivy (scripts/install-trivy.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
go test -run '^$' -bench 'ScanGate' -benchtime "${BENCHTIME:-20x}" -count 1 ./verify
