#!/usr/bin/env bash
# make dist: static, versioned dagnfs binaries for linux/amd64 and
# linux/arm64 (cgo: tree-sitter's C parser is inside), and SHA256SUMS.
# Cross-compiles with Debian's gcc-aarch64-linux-gnu / gcc-x86-64-linux-gnu,
# installing them with apt-get when missing and running as root.
# Usage: scripts/dist.sh VERSION COMMIT OUTDIR [ARCH...]
set -euo pipefail
version=$1 commit=$2 out=$3
shift 3
arches=("$@")
[ ${#arches[@]} -gt 0 ] || arches=(amd64 arm64)
host=$(go env GOHOSTARCH)

# The C compiler for each target, and the Debian packages that bring it.
cc_for() {
  case "$1" in
    "$host") echo gcc ;;
    amd64) echo x86_64-linux-gnu-gcc ;;
    arm64) echo aarch64-linux-gnu-gcc ;;
    *) echo "dist: no C cross compiler known for $1" >&2; return 1 ;;
  esac
}
pkgs_for() {
  case "$1" in
    amd64) echo gcc-x86-64-linux-gnu libc6-dev-amd64-cross ;;
    arm64) echo gcc-aarch64-linux-gnu libc6-dev-arm64-cross ;;
  esac
}

mkdir -p "$out"
rm -f "$out"/dagnfs-* "$out"/SHA256SUMS
for arch in "${arches[@]}"; do
  cc=$(cc_for "$arch")
  if ! command -v "$cc" >/dev/null; then
    if [ "$(id -u)" -ne 0 ]; then
      echo "dist: $cc is missing: apt-get install $(pkgs_for "$arch") (as root), then run make dist again" >&2
      exit 1
    fi
    echo "== installing $(pkgs_for "$arch") (the $arch C cross compiler)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(pkgs_for "$arch") >/dev/null
  fi
  bin="$out/dagnfs-$version-linux-$arch"
  echo "== $bin" >&2
  # netgo and osusergo keep the static binary off glibc's NSS (no dlopen at
  # run time); -static links glibc itself in.
  CGO_ENABLED=1 GOOS=linux GOARCH="$arch" CC="$cc" \
    go build -trimpath -tags netgo,osusergo \
      -ldflags "-s -w -X main.version=$version -X main.commit=$commit -linkmode external -extldflags -static" \
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
