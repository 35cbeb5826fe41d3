#!/usr/bin/env bash
# Prove that the server script stays in its own room: it stops only the
# processes it started (a decoy named ganesha.nfsd survives its start and
# stop), and it changes permissions only inside its state folder (a parent
# that only root may traverse stays so). Needs root, as make test does.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
decoy=
cleanup() {
  [ -n "$decoy" ] && kill "$decoy" 2>/dev/null || true
  "$here/ganesha.sh" stop "$work/private/state" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
# A process named ganesha.nfsd that ganesha.sh did not start: another
# checkout's server, or a developer's.
cp "$(command -v sleep)" "$work/ganesha.nfsd"
"$work/ganesha.nfsd" 600 &
decoy=$!
mkdir -m 0700 "$work/private"
exec 9>"${TMPDIR:-/tmp}/dagnfs-ganesha.lock"
flock -w 1800 9
"$here/ganesha.sh" start "$work/private/state" 2>/dev/null
"$here/ganesha.sh" stop "$work/private/state"
if ! kill -0 "$decoy" 2>/dev/null; then
  echo "room-check: FAILED: ganesha.sh stopped a ganesha.nfsd it did not start" >&2
  exit 1
fi
if [ "$(stat -c %a "$work/private")" != 700 ]; then
  echo "room-check: FAILED: ganesha.sh changed the permissions of $work/private, outside its state folder" >&2
  exit 1
fi
echo "room-check: ok: ganesha.sh left another ganesha.nfsd running and the permissions outside its state folder as they were"
