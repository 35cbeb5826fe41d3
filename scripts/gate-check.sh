#!/usr/bin/env bash
# Prove that the gate can fail: run scripts/e2e.sh on a test that always
# fails (e2e/gatecheck) and expect a non-zero exit and the failure in its
# output. Exits 0 only if the gate failed as it should.
set -uo pipefail
bin=${1:?usage: gate-check.sh BIN STATE_DIR}
state=${2:?usage: gate-check.sh BIN STATE_DIR}
here=$(cd "$(dirname "$0")" && pwd)
out=$(E2E_PKG=./e2e/gatecheck "$here/e2e.sh" "$bin" "$state" 2>&1)
status=$?
if [ "$status" -eq 0 ]; then
  echo "gate-check: FAILED: scripts/e2e.sh exited 0 although its test failed; make test would pass failing e2e tests" >&2
  echo "$out" >&2
  exit 1
fi
if ! grep -q -- '--- FAIL: TestDeliberateFailure' <<<"$out"; then
  echo "gate-check: FAILED: scripts/e2e.sh exited $status but did not show the failing test" >&2
  echo "$out" >&2
  exit 1
fi
echo "gate-check: ok: a failing end-to-end test makes scripts/e2e.sh exit $status"

# The same for the pass over NFSv3: the first pass green (no test), the
# second failing.
out=$(E2E_PKG=./e2e/gatecheck E2E_V3_PKG=./e2e/gatecheck E2E_V3_RUN=TestDeliberateFailure "$here/e2e.sh" "$bin" "$state" -run '^$' 2>&1)
status=$?
if [ "$status" -eq 0 ] || ! grep -q -- '--- FAIL: TestDeliberateFailure' <<<"$out"; then
  echo "gate-check: FAILED: scripts/e2e.sh exited $status with a failing test in its NFSv3 pass, or did not show it" >&2
  echo "$out" >&2
  exit 1
fi
echo "gate-check: ok: a failing test of the NFSv3 pass makes scripts/e2e.sh exit $status"
