#!/usr/bin/env bash
# make dist: static, versioned dagnfs binaries for linux/amd64 and
# linux/arm64, and SHA256SUMS. dagnfs is pure Go (CGO_ENABLED=0): the Go
# toolchain cross-compiles alone, with no C compiler for any target.
# Usage: scripts/dist.sh VERSION COMMIT OUTDIR [ARCH...]
set -euo pipefail
version=$1 commit=$2 out=$3
shift 3
arches=("$@")
[ ${#arches[@]} -gt 0 ] || arches=(amd64 arm64)
host=$(go env GOHOSTARCH)

mkdir -p "$out"
rm -f "$out"/dagnfs-* "$out"/SHA256SUMS
for arch in "${arches[@]}"; do
  bin="$out/dagnfs-$version-linux-$arch"
  echo "== $bin" >&2
  # netgo and osusergo: no cgo fallback for DNS or user lookups either.
  CGO_ENABLED=0 GOOS=linux GOARCH="$arch" \
    go build -trimpath -tags netgo,osusergo \
      -ldflags "-s -w -X main.version=$version -X main.commit=$commit" \
      -o "$bin" ./cmd/dagnfs
  # Static: no program interpreter, no shared libraries.
  if readelf -l "$bin" | grep -q 'Requesting program interpreter'; then
    echo "dist: $bin is not static" >&2
    exit 1
  fi
  if readelf -d "$bin" 2>/dev/null | grep -q NEEDED; then
    echo "dist: $bin needs shared libraries" >&2
    exit 1
  fi
done
(cd "$out" && sha256sum dagnfs-* > SHA256SUMS)
if [ -x "$out/dagnfs-$version-linux-$host" ]; then
  "$out/dagnfs-$version-linux-$host" version >&2
fi
cat "$out/SHA256SUMS"
