#!/usr/bin/env bash
# make fuzz: run every Go fuzz target of the module for a bounded time each.
# A failing input is written to the package's testdata/fuzz/FuzzName/ by go
# test itself; the inputs that found new coverage (kept by Go in its build
# cache) are copied there too, at most $KEEP per target, so that they become
# seeds that every `go test` runs. Commit them.
set -euo pipefail
fuzztime=${1:-20s}
keep=${KEEP:-25}
cd "$(dirname "$0")/.."
module=$(go list -m)
cache=$(go env GOCACHE)/fuzz
status=0
while IFS=: read -r file _ line; do
  name=$(sed -E 's/^func (Fuzz[A-Za-z0-9_]*)\(.*/\1/' <<<"$line")
  dir=$(dirname "$file")
  echo "== ./$dir $name ($fuzztime)"
  go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" "./$dir" || status=$?
  found="$cache/$module/$dir/$name"
  if [ -d "$found" ]; then
    mkdir -p "$dir/testdata/fuzz/$name"
    have=$(ls "$dir/testdata/fuzz/$name" | wc -l)
    # The smallest new inputs first: they make the clearest seeds. (No
    # pipe into head: under pipefail, ls's SIGPIPE would end the script.)
    mapfile -t inputs < <(ls -S -r "$found")
    for f in "${inputs[@]:0:$(( keep > have ? keep - have : 0 ))}"; do
      cp -n "$found/$f" "$dir/testdata/fuzz/$name/$f"
    done
  fi
done < <(git grep -n -E '^func Fuzz[A-Za-z0-9_]*\(' -- '*_test.go')

log=$(mktemp)
trap 'rm -f "$log"' EXIT

# The embedded checker against CPython on every file of the installed
# Python's standard library and site-packages (make test takes only the
# top-level modules).
echo "== ./validate embedded checker vs CPython on the installed Python's whole library"
DAGNFS_STDLIB=all go test -count=1 -run '^TestEmbeddedCheckerOnInstalledPython$' -v ./validate >"$log" 2>&1 || status=1
grep -E '^(--- |ok|FAIL)|verdicts differ|\.py: CPython' "$log" | head -30 || true

# The differential test of the embedded checker against CPython, with far
# more mutants than make test runs, on three seeds. A difference it finds
# names the seed and the edit: DAGNFS_MUTANT_SEED=N DAGNFS_MUTANTS=M go test
# -run TestEmbeddedCheckerMatchesCPythonOnMutants -v ./validate replays it.
for seed in 11 12 13; do
  echo "== ./validate embedded checker vs CPython (seed $seed, ${MUTANTS:-150} mutants per file)"
  DAGNFS_MUTANT_SEED=$seed DAGNFS_MUTANTS=${MUTANTS:-150} \
    go test -count=1 -run '^TestEmbeddedCheckerMatchesCPythonOnMutants$' -v ./validate >"$log" 2>&1 || status=1
  grep -E '^(--- |ok|FAIL)|Python 3\.|[0-9]:[0-9]+\): CPython' "$log" | head -40 || true
done

# The new front end's tokenizer, parser and syntax tree against CPython's
# tokenize, compile and ast.parse on every file of the standard library of
# each Python found (python3, and python3.9 to python3.13 where they run).
echo "== ./validate/python tokenizer, parser and tree vs CPython on the installed Pythons' whole standard library"
DAGNFS_STDLIB=all go test -count=1 -run '^(TestTokensMatchCPython|TestParseMatchesCPython|TestTreeMatchesCPython)$' -v ./validate/python >"$log" 2>&1 || status=1
grep -E '^(--- |ok|FAIL)|files compared|files CPython compiles|trees the same|Error:' "$log" | head -30 || true
exit "$status"
