#!/usr/bin/env bash
# make bench: dagnfs against a loop of libnfs-utils' nfs-cp, side by side in
# the same run, on the same nfs-ganesha export (loopback). Prints a Markdown
# report for BENCHMARKS.md. Needs root (it starts nfs-ganesha).
set -euo pipefail
bin=${1:?usage: bench.sh BIN STATE_DIR}
state=${2:?usage: bench.sh BIN STATE_DIR}
reps=${REPS:-3}
here=$(cd "$(dirname "$0")" && pwd)
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
"$here/ganesha.sh" start "$state" >/dev/null
work=$(mktemp -d)
trap '"$here/ganesha.sh" stop "$state"; rm -rf "$work"' EXIT
export_dir="$state/export"

ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
fresh() { local d="$export_dir/bench-$1-$RANDOM$RANDOM"; mkdir -p "$d"; chown 50000:50000 "$d"; echo "$d"; }

# 1,000 files of 4 KiB.
mkdir -p "$work/k1"
for i in $(seq -w 0 999); do head -c 4096 /dev/urandom > "$work/k1/f$i.bin"; done
# 10,000 small DAG files in 50 folders.
for i in $(seq 0 9999); do
  d="$work/k10/d$((i % 50))"; mkdir -p "$d"
  printf 'from airflow import DAG\nfrom datetime import datetime\nwith DAG("dag_%d", start_date=datetime(2026, 1, 1), schedule="@daily") as dag:\n    pass\n' "$i" > "$d/dag_$i.py"
done

declare -a dag_ms cp_ms switch_ms
for _ in $(seq "$reps"); do
  d=$(fresh dagnfs); t=$(date +%s%N)
  out=$("$bin" publish --python none --concurrency 8 --format json "$work/k1" "nfs://127.0.0.1$d")
  dag_ms+=("$(ms "$t")")
  switch_ms+=("$(grep -o '"switch_ms": [0-9.]*' <<<"$out" | awk '{print $2}')")
  d=$(fresh nfscp); t=$(date +%s%N)
  (cd "$work/k1" && for f in *.bin; do nfs-cp "$f" "nfs://127.0.0.1$d/$f?uid=50000&gid=50000" >/dev/null; done)
  cp_ms+=("$(ms "$t")")
  [ "$(ls "$d" | wc -l)" -eq 1000 ] || { echo "nfs-cp copied $(ls "$d" | wc -l) files, not 1000" >&2; exit 1; }
done
dag_med=$(printf '%s\n' "${dag_ms[@]}" | median)
cp_med=$(printf '%s\n' "${cp_ms[@]}" | median)
sw_med=$(printf '%s\n' "${switch_ms[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')

d=$(fresh tenk); dpy=$(fresh tenkpy)
"$bin" publish --python none --concurrency 8 "$work/k10" "nfs://127.0.0.1$d" >/dev/null
"$bin" publish --concurrency 8 "$work/k10" "nfs://127.0.0.1$dpy" >/dev/null
declare -a re_ms re_py_ms val_ms
for _ in $(seq "$reps"); do
  t=$(date +%s%N); out=$("$bin" publish --python none --format json "$work/k10" "nfs://127.0.0.1$d"); re_ms+=("$(ms "$t")")
  calls=$(grep -o '"nfs_calls": [0-9]*' <<<"$out" | awk '{print $2}')
  t=$(date +%s%N); "$bin" publish --format json "$work/k10" "nfs://127.0.0.1$dpy" >/dev/null; re_py_ms+=("$(ms "$t")")
  t=$(date +%s%N); "$bin" validate "$work/k10" >/dev/null; val_ms+=("$(ms "$t")")
done
re_med=$(printf '%s\n' "${re_ms[@]}" | median)
re_py_med=$(printf '%s\n' "${re_py_ms[@]}" | median)
val_med=$(printf '%s\n' "${val_ms[@]}" | median)
d1=$(fresh calls1k)
"$bin" publish --python none "$work/k1" "nfs://127.0.0.1$d1" >/dev/null
calls1k=$("$bin" publish --python none --format json "$work/k1" "nfs://127.0.0.1$d1" | grep -o '"nfs_calls": [0-9]*' | awk '{print $2}')

# validate: 1,000 generated DAG files, against compileall and pyflakes3.
python3 "$here/gendags.py" "$work/v1k" 1000
python3 "$here/gendags.py" "$work/v10k" 10000
timed() { local t; t=$(date +%s%N); "$@" >/dev/null 2>&1 || true; ms "$t"; }
declare -a va_ms vn_ms ca_ms pf_ms
for _ in $(seq "$reps"); do
  va_ms+=("$(timed "$bin" validate "$work/v1k")")
  vn_ms+=("$(timed "$bin" validate --python none "$work/v1k")")
  find "$work/v1k" -name __pycache__ -prune -exec rm -rf {} +
  ca_ms+=("$(timed python3 -m compileall -q "$work/v1k")")
  find "$work/v1k" -name __pycache__ -prune -exec rm -rf {} +
  pf_ms+=("$(timed pyflakes3 "$work/v1k")")
done
va_med=$(printf '%s\n' "${va_ms[@]}" | median); vn_med=$(printf '%s\n' "${vn_ms[@]}" | median)
ca_med=$(printf '%s\n' "${ca_ms[@]}" | median); pf_med=$(printf '%s\n' "${pf_ms[@]}" | median)
rss() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
rss1k=$(rss "$bin" validate "$work/v1k"); rss10k=$(rss "$bin" validate "$work/v10k")
rssn1k=$(rss "$bin" validate --python none "$work/v1k"); rssn10k=$(rss "$bin" validate --python none "$work/v10k")
dags=$("$bin" validate --format json "$work/v1k" | grep -c '"dag_id"')

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
cat <<REPORT
## Run of $(date -u +%Y-%m-%d) on $(nproc) cores ($cpu), $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -r)

nfs-ganesha $(dpkg-query -W -f '${Version}' nfs-ganesha 2>/dev/null || echo '?') on loopback (VFS FSAL, Root_Squash), dagnfs $("$bin" version | cut -d' ' -f2), medians of $reps runs.

| what | dagnfs | peer | ratio |
|---|---|---|---|
| publish 1,000 files of 4 KiB (wall clock) | $dag_med ms | nfs-cp loop: $cp_med ms | $(awk -v a="$cp_med" -v b="$dag_med" 'BEGIN {printf "%.1fx faster", a/b}') |
| of which the switch (all renames) | $sw_med ms | (nfs-cp: no switch; each file is visible half-written while it copies) | |
| republish 10,000 unchanged files, embedded checker (--python none) | $re_med ms, $calls NFS calls | | |
| republish 10,000 unchanged files, CPython checker (default) | $re_py_med ms | | |
| for scale: dagnfs validate of the same 10,000 files (reads, parses and compiles every one) | $val_med ms | | |
| NFS calls of a no-op republish: 1,000 files / 10,000 files | $calls1k / $calls | | constant |

### dagnfs validate: 1,000 generated DAG files (scripts/gendags.py: $dags DAGs, classic and TaskFlow, 100 helper modules)

| tool | what it does | wall clock |
|---|---|---|
| dagnfs validate (CPython 3 compile() of every file in one process, plus the rest) | discovery, .airflowignore, safe mode, syntax, DAG analysis, duplicate dag_ids, rules | $va_med ms |
| dagnfs validate --python none (embedded checker) | the same, syntax by tree-sitter and dagnfs's own checks | $vn_med ms |
| python3 -m compileall -q | syntax (compile and write .pyc) | $ca_med ms |
| pyflakes3 | syntax and lint | $pf_med ms |

Peak memory (max RSS) of dagnfs validate for 1,000 / 10,000 files: $rss1k / $rss10k KiB (CPython verdict), $rssn1k / $rssn10k KiB (embedded). What grows with the folder is the report itself (one record per file and DAG); file contents are held only while a worker analyses them.

Raw (ms): validate ${va_ms[*]}; validate --python none ${vn_ms[*]}; compileall ${ca_ms[*]}; pyflakes3 ${pf_ms[*]}.

Raw (ms): dagnfs ${dag_ms[*]}; nfs-cp ${cp_ms[*]}; switch ${switch_ms[*]}; republish ${re_ms[*]}; republish with CPython ${re_py_ms[*]}; validate ${val_ms[*]}.
REPORT
