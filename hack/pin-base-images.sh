#!/bin/sh
# Pins every FROM of the Dockerfile to the digest its tag has now: `FROM debian:13.8-slim` becomes
# `FROM debian:13.8-slim@sha256:<index digest>` (the multi-arch index, so amd64 and arm64 builds both use
# it). A pinned FROM is re-pinned to its tag's current digest. Needs a registry and one of
# `docker buildx imagetools`, `crane` or `skopeo`; there is none on the development machines, so the
# Dockerfile in the repository names its bases by point-release tag until a release build runs this.
#   hack/pin-base-images.sh [DOCKERFILE]      (HPC_DIGEST_TOOL=buildx|crane|skopeo picks the tool)
set -eu
HPC_REPO=$(cd "$(dirname "$0")/.." && pwd)
file=${1:-$HPC_REPO/Dockerfile}

digest_of() {
  tool=${HPC_DIGEST_TOOL:-}
  if [ -z "$tool" ]; then
    if docker buildx version >/dev/null 2>&1; then tool=buildx
    elif command -v crane >/dev/null; then tool=crane
    elif command -v skopeo >/dev/null; then tool=skopeo
    fi
  fi
  if [ "$tool" = buildx ]; then
    docker buildx imagetools inspect "$1" --format '{{json .Manifest.Digest}}' | tr -d '"'
  elif [ "$tool" = crane ]; then
    crane digest "$1"
  elif [ "$tool" = skopeo ]; then
    skopeo inspect --format '{{.Digest}}' "docker://$1"
  else
    echo "no docker buildx, crane or skopeo to ask the registry for the digest of $1" >&2
    return 1
  fi
}

tmp=$(mktemp)
trap 'rm -f "$tmp" "$tmp.images"' EXIT
cp "$file" "$tmp"
sed -n 's/^FROM \([^ @]*\)\(@sha256:[a-f0-9]*\)\{0,1\}\( .*\)\{0,1\}$/\1/p' "$file" | sort -u >"$tmp.images"
while read -r image; do
  digest=$(digest_of "$image")
  case $digest in
    sha256:????????????????????????????????????????????????????????????????) ;;
    *) echo "the registry gave no sha256 digest for $image (got: $digest)" >&2; exit 1 ;;
  esac
  re=$(printf '%s' "$image" | sed 's/[.]/\\./g')
  sed -i -e "s|^FROM $re\(@sha256:[a-f0-9]*\)\{0,1\} |FROM $image@$digest |" \
    -e "s|^FROM $re\(@sha256:[a-f0-9]*\)\{0,1\}\$|FROM $image@$digest|" "$tmp"
  echo "$image -> $digest"
done <"$tmp.images"
cat "$tmp" >"$file"
