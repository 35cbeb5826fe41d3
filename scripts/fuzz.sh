#!/usr/bin/env bash
# make fuzz: run every Go fuzz target of the module for a bounded time each.
# Inputs that find new coverage stay in the Go build cache; a failing input is
# written to the package's testdata/fuzz/FuzzName/ (commit it: it becomes a
# regression test that go test runs every time).
set -euo pipefail
fuzztime=${1:-20s}
cd "$(dirname "$0")/.."
status=0
while IFS=: read -r file _ line; do
  name=$(sed -E 's/^func (Fuzz[A-Za-z0-9_]*)\(.*/\1/' <<<"$line")
  pkg=./$(dirname "$file")
  echo "== $pkg $name ($fuzztime)"
  go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" "$pkg" || status=$?
done < <(git grep -n -E '^func Fuzz[A-Za-z0-9_]*\(' -- '*_test.go')
exit "$status"
