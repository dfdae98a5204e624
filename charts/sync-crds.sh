#!/bin/sh
# Copies the generated CRDs (config/crd/bases, from `make manifests`) into the Helm chart's files/crds/,
# byte for byte (templates/crds.yaml renders them, so that helm upgrade upgrades them too). With --check it changes nothing and fails when the chart's copies differ or are missing
# (make lint and the unit tests run that).
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
src="$repo/config/crd/bases"
dst="$repo/charts/hpc-operator/files/crds"
check=false
[ "${1:-}" = --check ] && check=true

status=0
for f in "$src"/*.yaml; do
  name=$(basename "$f")
  if $check; then
    if ! cmp -s "$f" "$dst/$name"; then
      echo "charts/hpc-operator/files/crds/$name differs from config/crd/bases/$name: run charts/sync-crds.sh" >&2
      status=1
    fi
  else
    mkdir -p "$dst"
    cp "$f" "$dst/$name"
  fi
done
# A CRD removed from config/crd/bases must leave the chart too.
for f in "$dst"/*.yaml; do
  [ -e "$f" ] || continue
  name=$(basename "$f")
  if [ ! -e "$src/$name" ]; then
    if $check; then
      echo "charts/hpc-operator/files/crds/$name has no source in config/crd/bases: run charts/sync-crds.sh" >&2
      status=1
    else
      rm "$f"
    fi
  fi
done
exit "$status"
