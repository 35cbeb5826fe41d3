#!/usr/bin/env bash
# make e2e: start nfs-ganesha, run the end-to-end tests against it, stop it
# whatever happened. The exit status is go test's, whatever is filtered for
# display (scripts/gate-check.sh proves it on a deliberately failing test).
#
#   scripts/e2e.sh BIN STATE_DIR [GO TEST ARGS...]
#
# E2E_PKG names the package to test (default ./e2e/).
set -euo pipefail
bin=${1:?usage: e2e.sh BIN STATE_DIR [go test args]}
state=${2:?usage: e2e.sh BIN STATE_DIR [go test args]}
shift 2
here=$(cd "$(dirname "$0")" && pwd)
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
# nfs-ganesha serves on 127.0.0.1:2049, one server a machine: a second
# checkout's run waits here for this one's to end (flock), instead of
# either stopping the other's server.
exec 9>"${TMPDIR:-/tmp}/dagnfs-ganesha.lock"
flock -w 1800 9 || { echo "$(basename "$0"): another checkout's run still holds nfs-ganesha's port after 30 min" >&2; exit 1; }
"$here/ganesha.sh" start "$state"
# The export is this run's alone (a few GB after the large-file tests):
# emptied when the server stops; E2E_KEEP_EXPORT=1 keeps it to look at.
trap '"$here/ganesha.sh" stop "$state"; [ -n "${E2E_KEEP_EXPORT:-}" ] || rm -rf "$state/export"' EXIT
set -a; source "$state/env"; set +a
# The tests run the binary as uid 50000 too: a copy in the state folder,
# which that uid can reach wherever the checkout is.
mkdir -p "$DAGNFS_E2E_STATE/bin"
install -m 0755 "$bin" "$DAGNFS_E2E_STATE/bin/dagnfs"
export DAGNFS_BIN="$DAGNFS_E2E_STATE/bin/dagnfs"
cd "$here/.."
status=0
go test -count=1 -tags e2e -timeout 12m -v "${E2E_PKG:-./e2e/}" "$@" >"$state/e2e.log" 2>&1 || status=$?
# nfs-ganesha speaks NFSv4.1, which dagnfs then uses for URLs without
# ?vers=. The publishing core runs a second time over NFSv3
# (DAGNFS_NFS_VERSION=3, which the tests' runs of dagnfs inherit), unless
# the caller chose tests of their own (E2E_V3_RUN and E2E_V3_PKG choose
# that pass's tests: scripts/gate-check.sh proves its status counts).
v3_status=0
rm -f "$state/e2e-v3.log"
if [ $# -eq 0 ] && [ -z "${E2E_PKG:-}" ]; then
  E2E_V3_RUN=${E2E_V3_RUN:-'^(TestPublishAndReadBack|TestConcurrentPublishers|TestKilledPublishLeavesWholeFiles|TestServerRestartDuringPublish|TestGenerationsOnGanesha|TestKilledGenerationsPublish|TestDriftRepairOnGanesha|TestManifestBundleOnGanesha|TestNonRootPublisher|TestShareOfTwoTeamsOnGanesha|TestPromoteOnGanesha|TestRollbackEndToEnd|TestVerifyAsAirflow)$'}
fi
if [ -n "${E2E_V3_RUN:-}" ]; then
  DAGNFS_NFS_VERSION=3 go test -count=1 -tags e2e -timeout 8m -v "${E2E_V3_PKG:-./e2e/}" -run "$E2E_V3_RUN" >"$state/e2e-v3.log" 2>&1 || v3_status=$?
fi
# Show the outline and every failure; the whole logs stay in $state.
grep -E '^(=== RUN|--- |PASS|FAIL|ok|panic)|_test.go:|^\s+Error' "$state/e2e.log" || true
if [ -f "$state/e2e-v3.log" ]; then
  echo "--- over NFSv3 (DAGNFS_NFS_VERSION=3):"
  grep -E '^(=== RUN|--- |PASS|FAIL|ok|panic)|_test.go:|^\s+Error' "$state/e2e-v3.log" || true
fi
if [ "$status" -ne 0 ]; then
  echo "e2e.sh: go test exited $status (whole log: $state/e2e.log)" >&2
fi
if [ "$v3_status" -ne 0 ]; then
  echo "e2e.sh: go test over NFSv3 exited $v3_status (whole log: $state/e2e-v3.log)" >&2
  [ "$status" -ne 0 ] || status=$v3_status
fi
exit "$status"
