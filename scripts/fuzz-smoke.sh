#!/usr/bin/env bash
# fuzz-smoke.sh runs every fuzz target in the module briefly (default 10s each), so CI
# catches a parser that panics on input. Longer runs: FUZZTIME=5m scripts/fuzz-smoke.sh
set -euo pipefail
fuzztime=${FUZZTIME:-10s}
status=0
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
    echo "fuzz: $pkg $target ($fuzztime)"
    if ! go test "$pkg" -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" >/tmp/vigil-fuzz.log 2>&1; then
      tail -30 /tmp/vigil-fuzz.log
      status=1
    fi
  done
done
exit $status
