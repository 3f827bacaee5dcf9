#!/usr/bin/env bash
# The test command: everything the tests need, then every test.
# Needs only Go (1.26 or newer) on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

# The packages with goroutines run under the race detector as well.
race_pkgs=(
  ./internal/engine/...
  ./internal/metrics/...
  ./internal/load/...
  ./internal/monitor/...
  ./internal/suite/...
  ./internal/infer/sched/...
  ./internal/server/...
  ./internal/cli/...
)

# The HTML report's test opens it in headless Chromium; with CI=true a
# missing browser fails that test, elsewhere it is skipped.
./scripts/install-chromium.sh || echo "warning: Chromium not installed; the HTML screenshot test will skip (or fail with CI=true)"

echo "== go test ./..."
go test -count=1 -timeout 8m ./...
# The race detector needs cgo, that is a C compiler; Go turns cgo off
# where it finds none.
if [ "$(go env CGO_ENABLED)" = "1" ]; then
  echo "== go test -race (concurrent packages)"
  go test -count=1 -race -timeout 8m "${race_pkgs[@]}"
else
  echo "== skipping go test -race: it needs cgo and a C compiler (CGO_ENABLED=0 here)"
fi
