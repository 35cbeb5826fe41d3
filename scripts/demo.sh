#!/usr/bin/env bash
# make demo: serve a scratch folder over NFS with `dagnfs serve`, validate the
# example DAGs, publish them onto it over the NFS protocol, show the result,
# verify it as a pod would, publish again (nothing to do), move the export
# to the generations layout, then stop the server.
set -euo pipefail
bin=${1:-bin/dagnfs}
src=${2:-examples/dags}
work=$(mktemp -d)
export_dir="$work/export"
mkdir -p "$export_dir" "$work/run"
# dagnfs serve refuses to run as root: as root, serve as uid/gid 50000 (the
# owner Airflow needs), as an NFS server's export would be.
as_owner=()
if [ "$(id -u)" -eq 0 ]; then
  chmod 0755 "$work"
  chown 50000:50000 "$export_dir" "$work/run"
  as_owner=(setpriv --reuid 50000 --regid 50000 --clear-groups)
fi
"${as_owner[@]}" "$bin" serve --export "$export_dir" --listen 127.0.0.1:0 --url-file "$work/run/url" >/dev/null &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 50); do [ -s "$work/run/url" ] && break; sleep 0.1; done
url=$(cat "$work/run/url")
echo "== NFS server (dagnfs serve) exporting $export_dir at $url"
echo
echo "== dagnfs validate $src (what Airflow will see, before anything is copied)"
"$bin" validate "$src"
echo
echo "== dagnfs publish $src $url --label demo-1"
"$bin" publish -v "$src" "$url" --label demo-1
echo
echo "== what the export holds now (on the server's disk)"
(cd "$export_dir" && find . -path ./.dagnfs -prune -o -type f -printf '%M %u:%g %6s  %p\n' | sort -k4)
echo "   (owned by $(stat -c %u:%g "$export_dir"): dagnfs serve creates files as the user it runs as; a real NFS"
echo "   server creates them as the AUTH_UNIX uid/gid dagnfs sends, --uid/--gid 50000:50000, unless it squashes them)"
echo
echo "== the manifest (.dagnfs/manifest.json), abridged"
head -n 14 "$export_dir/.dagnfs/manifest.json"
echo "  ..."
echo
echo "== dagnfs verify $export_dir (as a pod would, through its mount of the export)"
"$bin" verify --expect-label demo-1 "$export_dir"
echo
echo "== publishing again: nothing changed, nothing is sent"
"$bin" publish -v "$src" "$url" --label demo-1
echo
echo "== the same, as a CI job would read it (--format json)"
"$bin" publish "$src" "$url" --label demo-1 --format json | head -n 12
echo
echo "== moving the export to the generations layout: each generation a complete folder, current switched with one rename"
"$bin" publish -v "$src" "$url" --label demo-2 --layout generations --migrate
echo
echo "== the export root now (on the server's disk)"
(cd "$export_dir" && ls -l | tail -n +2)
echo
echo "== dagnfs verify $export_dir/current (the dags folder Airflow is pointed at)"
"$bin" verify --expect-label demo-2 "$export_dir/current"
