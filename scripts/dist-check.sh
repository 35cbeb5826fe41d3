#!/usr/bin/env bash
# make dist-check: build the release (scripts/dist.sh) into a scratch folder
# and prove it: every binary is static, for its architecture, built pure Go
# with the version and commit stamped, and SHA256SUMS matches; the host's
# binary runs: `version` names the version and commit, and `validate`
# parses the example DAGs. A foreign binary runs too where qemu-user is
# already installed (nothing is installed for it: the build needs no
# emulator and no C toolchain).
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
  machine=$(readelf -h "$bin" | sed -n 's/^ *Machine: *//p')
  case "$arch:$machine" in
    amd64:*X86-64*|arm64:*AArch64*) ;;
    *) echo "dist-check: $arch: wrong machine: $machine" >&2; exit 1 ;;
  esac
  info=$(go version -m "$bin")
  for want in "GOARCH=$arch" "CGO_ENABLED=0"; do
    grep -q -- "$want" <<<"$info" || { echo "dist-check: $arch: the build information lacks $want" >&2; exit 1; }
  done
  for want in "$version" "$commit"; do
    grep -qaF -- "$want" "$bin" || { echo "dist-check: $arch: $want is not stamped in the binary" >&2; exit 1; }
  done
  run=("$bin")
  if [ "$arch" != "$host" ]; then
    emu=qemu-aarch64-static
    [ "$arch" = amd64 ] && emu=qemu-x86_64-static
    if ! command -v "$emu" >/dev/null; then
      echo "dist-check: linux/$arch: static, $machine, pure Go, version $version, commit ${commit:0:12}, checksum ok (not run: no $emu here)"
      continue
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
