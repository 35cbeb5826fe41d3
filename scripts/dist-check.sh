#!/usr/bin/env bash
# make dist-check: build the release (scripts/dist.sh) into a scratch folder
# and prove it: every binary is static, SHA256SUMS matches, and each one runs
# (the foreign one under qemu-user, which this script installs as root):
# `version` names the version and commit it was built with, and `validate`
# parses the example DAGs with the embedded tree-sitter and Go parsers.
set -euo pipefail
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
version=check-$(date +%s)
commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
scripts/dist.sh "$version" "$commit" "$out" amd64 arm64 >/dev/null
(cd "$out" && sha256sum -c --quiet SHA256SUMS)
host=$(go env GOHOSTARCH)
for arch in amd64 arm64; do
  bin="$out/dagnfs-$version-linux-$arch"
  run=("$bin")
  if [ "$arch" != "$host" ]; then
    emu=qemu-aarch64-static
    [ "$arch" = amd64 ] && emu=qemu-x86_64-static
    if ! command -v "$emu" >/dev/null; then
      [ "$(id -u)" -eq 0 ] || { echo "dist-check: $emu is missing: apt-get install qemu-user-static (as root)" >&2; exit 1; }
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q qemu-user-static >/dev/null
    fi
    run=("$emu" "$bin")
  fi
  got=$("${run[@]}" version --format json)
  grep -q "\"version\": \"$version\"" <<<"$got" || { echo "dist-check: $arch: wrong version: $got" >&2; exit 1; }
  grep -q "\"commit\": \"$commit\"" <<<"$got" || { echo "dist-check: $arch: wrong commit: $got" >&2; exit 1; }
  grep -q "\"platform\": \"linux/$arch\"" <<<"$got" || { echo "dist-check: $arch: wrong platform: $got" >&2; exit 1; }
  "${run[@]}" validate examples/dags --python none --format json >"$out/validate-$arch.json" ||
    { echo "dist-check: $arch: validate failed" >&2; cat "$out/validate-$arch.json" >&2; exit 1; }
  grep -q '"dag_id"' "$out/validate-$arch.json" || { echo "dist-check: $arch: validate found no DAG" >&2; exit 1; }
  echo "dist-check: linux/$arch: static, checksum ok, version $version, commit ${commit:0:12}, validate ok"
done
