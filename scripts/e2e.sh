#!/usr/bin/env bash
# make e2e: start nfs-ganesha, run the end-to-end tests against it, stop it
# whatever happened.
set -euo pipefail
bin=${1:?usage: e2e.sh BIN STATE_DIR}
state=${2:?usage: e2e.sh BIN STATE_DIR}
here=$(cd "$(dirname "$0")" && pwd)
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
"$here/ganesha.sh" start "$state"
trap '"$here/ganesha.sh" stop "$state"' EXIT
set -a; source "$state/env"; set +a
export DAGNFS_BIN="$bin"
cd "$here/.."
go test -count=1 -tags e2e -timeout 10m -v ./e2e/ 2>&1 | tee "$state/e2e.log" | grep -E '^(=== RUN|--- |PASS|FAIL|ok|panic)|_test.go:' || true
exit "${PIPESTATUS[0]}"
