#!/bin/sh
# Builds the kubectl hpc plugin for krew: dist/krew/kubectl-hpc-v<version>.tar.gz and the manifest
# plugins/hpc.yaml that points at it, with its sha256. The archive holds the plugin bundled into one file
# (esbuild, which tsx already brings: no node_modules at run time), the launcher krew links onto PATH
# (plugins/kubectl-hpc), kubectl_complete-hpc and a README. Byte for byte reproducible (sorted entries,
# fixed times and owners, gzip -n), so the sha256 changes only when the plugin does.
#   hack/krew-archive.sh [OUTDIR]   (default dist/krew; the manifest is written to OUTDIR too unless it is
#                                    the default, then to plugins/hpc.yaml)
set -eu
HPC_REPO=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$HPC_REPO/dist/krew}
manifest=$out/hpc.yaml
[ $# -eq 0 ] && manifest=$HPC_REPO/plugins/hpc.yaml
version=v$(node -p 'require(process.argv[1]).version' "$HPC_REPO/package.json")
archive=kubectl-hpc-$version.tar.gz
stage=$(mktemp -d)
chmod 0755 "$stage"
trap 'rm -rf "$stage"' EXIT

"$HPC_REPO/node_modules/.bin/esbuild" "$HPC_REPO/src/cli/kubectl-hpc.ts" --bundle --platform=node \
  --format=esm --target=node20 --log-level=warning --outfile="$stage/kubectl-hpc.mjs" \
  --banner:js="import { createRequire as __hpcRequire } from 'node:module'; const require = __hpcRequire(import.meta.url);"
install -m 0755 "$HPC_REPO/plugins/kubectl-hpc" "$HPC_REPO/plugins/kubectl_complete-hpc" "$stage/"
install -m 0644 "$HPC_REPO/plugins/README.md" "$stage/README.md"
chmod 0644 "$stage/kubectl-hpc.mjs"
mkdir -p "$out"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=gnu -C "$stage" -cf - . |
  gzip -n -9 >"$out/$archive"
sha=$(sha256sum "$out/$archive" | cut -d' ' -f1)
sed -e "s|@VERSION@|$version|g" -e "s|@SHA256@|$sha|g" -e "s|@ARCHIVE@|$archive|g" \
  "$HPC_REPO/plugins/hpc.yaml.in" >"$manifest"
echo "$out/$archive"
echo "$manifest (sha256 $sha)"
