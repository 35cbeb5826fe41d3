#!/usr/bin/env bash
# Install (apt-get, when missing), start and stop nfs-ganesha + rpcbind on
# loopback for the end-to-end tests and benchmarks. Needs root.
#
#   scripts/ganesha.sh install           apt-get what the tests need, if missing
#   scripts/ganesha.sh start STATE_DIR   export STATE_DIR/export, owned by 50000:50000
#   scripts/ganesha.sh stop STATE_DIR
#
# start writes STATE_DIR/env with DAGNFS_E2E_URL, DAGNFS_E2E_EXPORT and
# DAGNFS_E2E_URL_ROOTOWNED (an export folder owned by root, mode 0755).
set -euo pipefail
cmd=${1:?usage: ganesha.sh install|start|stop STATE_DIR}
state=${2:-}
if [ "$cmd" != install ] && [ -z "$state" ]; then
  echo "usage: ganesha.sh install|start|stop STATE_DIR" >&2; exit 2
fi

need_root() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "ganesha.sh: must run as root (it installs packages and starts nfs-ganesha)" >&2
    exit 1
  fi
}

install() {
  local missing=()
  command -v ganesha.nfsd >/dev/null || missing+=(nfs-ganesha nfs-ganesha-vfs)
  command -v rpcbind >/dev/null || [ -x /usr/sbin/rpcbind ] || missing+=(rpcbind)
  command -v nfs-cat >/dev/null || missing+=(libnfs-utils)
  command -v showmount >/dev/null || missing+=(nfs-common)
  command -v setpriv >/dev/null || missing+=(util-linux)
  command -v python3 >/dev/null || missing+=(python3)
  command -v git >/dev/null || missing+=(git)
  command -v pyflakes3 >/dev/null || missing+=(pyflakes3)
  [ -x /usr/bin/time ] || missing+=(time)
  # pre-commit: the hook definition is tried as users install it
  # (pre-commit try-repo, e2e TestPreCommitTryRepo)
  command -v pre-commit >/dev/null || missing+=(pre-commit)
  # Debian's python3 with a few libraries: the environment index tests
  # compare their capture with importlib's own verdicts.
  # python3-pathspec: the glob syntax of .airflowignore, as Airflow reads it
  # (e2e/testdata/airflow_scan.py).
  for p in python3-yaml python3-requests python3-dateutil python3-pendulum python3-pathspec; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "ganesha.sh: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

start() {
  need_root
  install
  mkdir -p "$state"
  state=$(cd "$state" && pwd)
  mkdir -p "$state/export/dags" "$state/export/rootowned" "$state/run"
  # Permissions change inside the state folder only. The tests read the
  # export's files as uid 50000 and others, so the state folder must be
  # somewhere they can reach (make puts it in a fresh folder under /tmp).
  chmod 0755 "$state"
  chown 50000:50000 "$state/export/dags"
  chmod 0755 "$state/export" "$state/export/dags" "$state/export/rootowned"
  chown 0:0 "$state/export/rootowned"
  # NFSv3 and NFSv4.1 (the export's Pseudo path is its Path, so one URL
  # names one folder over both); owners as numbers, as dagnfs needs them.
  # The tests play "someone else" by editing the export's folder on the
  # server's disk, behind nfs-ganesha's back: Dir_Chunk = 0 keeps it from
  # serving an NFSv4 READDIR from a cached listing that misses such files.
  # The tests edit the export's disk behind nfs-ganesha's back, so its
  # attribute cache is off for them; make bench sets
  # DAGNFS_GANESHA_ATTR_CACHE=on to measure nfs-ganesha as it ships.
  local attr_cache="Attr_Expiration_Time = 0;"
  [ "${DAGNFS_GANESHA_ATTR_CACHE:-off}" = on ] && attr_cache=""
  cat > "$state/ganesha.conf" <<CONF
NFS_CORE_PARAM { Protocols = 3, 4; NFS_Port = 2049; MNT_Port = 20048; Bind_addr = 127.0.0.1; Enable_NLM = false; Enable_RQUOTA = false; }
NFSV4 { Graceless = true; Minor_Versions = 1, 2; Only_Numeric_Owners = true; }
MDCACHE { Dir_Chunk = 0; }
EXPORT { Export_Id = 1; Path = $state/export; Pseudo = $state/export; Protocols = 3, 4; Transports = TCP;
         Access_Type = RW; Squash = Root_Squash; SecType = sys; $attr_cache
         FSAL { Name = VFS; } }
CONF
  if ! pgrep -x rpcbind >/dev/null; then
    /usr/sbin/rpcbind -f >"$state/rpcbind.log" 2>&1 </dev/null 9>&- &
    echo $! > "$state/run/rpcbind.pid"
    sleep 0.3
  fi
  # Only what this state folder started is ever stopped: a server of its
  # own left running is; anyone else's on the port is reported, not killed.
  if port_busy 2049 && [ -f "$state/run/ganesha.main" ] && kill -0 "$(cat "$state/run/ganesha.main")" 2>/dev/null; then
    stop_ganesha
  fi
  for _ in $(seq 50); do port_busy 2049 || break; sleep 0.1; done
  if port_busy 2049; then
    echo "ganesha.sh: 127.0.0.1:2049 is in use by a process this state folder did not start ($(ss -ltnpH 'sport = :2049' | grep -o 'users:.*' | head -1)); stop it, or let the other run finish" >&2
    exit 1
  fi
  ganesha.nfsd -F -f "$state/ganesha.conf" -L "$state/ganesha.log" -p "$state/run/ganesha.pid" >/dev/null 2>&1 </dev/null 9>&- &
  echo $! > "$state/run/ganesha.main"
  for _ in $(seq 100); do
    if showmount -e 127.0.0.1 2>/dev/null | grep -q "$state/export"; then break; fi
    sleep 0.1
  done
  showmount -e 127.0.0.1 | grep -q "$state/export" || { echo "ganesha.sh: the export did not come up; see $state/ganesha.log" >&2; tail -20 "$state/ganesha.log" >&2; exit 1; }
  cat > "$state/env" <<ENV
DAGNFS_E2E_URL=nfs://127.0.0.1$state/export/dags
DAGNFS_E2E_URL_ROOTOWNED=nfs://127.0.0.1$state/export/rootowned
DAGNFS_E2E_EXPORT=$state/export
DAGNFS_E2E_STATE=$state
ENV
  echo "ganesha.sh: serving $state/export on 127.0.0.1 (NFS 2049, MOUNT 20048)" >&2
}

port_busy() { ss -ltnH "sport = :$1" 2>/dev/null | grep -q .; }

stop_ganesha() { stop_pids "$state/run/ganesha.main"; }

# stop_pids stops the processes whose PIDs the given files recorded.
stop_pids() {
  for f in "$@"; do
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$f"
  done
}

stop() { stop_pids "$state/run/ganesha.main" "$state/run/rpcbind.pid"; }

case "$cmd" in
  install) need_root; install ;;
  start) start ;;
  stop) stop ;;
  *) echo "usage: ganesha.sh start|stop STATE_DIR" >&2; exit 2 ;;
esac
