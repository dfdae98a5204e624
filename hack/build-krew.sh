#!/bin/sh
# Builds the krew CLI pinned in hack/tools/krew/go.mod into $HPC_CACHE/bin/krew, for the test that installs
# the kubectl hpc plugin from plugins/hpc.yaml and its archive offline (test/e2e/krew.e2e.test.ts). A stamp
# of go.mod/go.sum makes a second run a no-op.
set -eu
HPC_REPO=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=hack/lib.sh
. "$HPC_REPO/hack/lib.sh"

go_tool_fresh krew "$HPC_REPO/hack/tools/krew" && exit 0
command -v go >/dev/null || die "go is not installed"
mkdir -p "$HPC_BIN"
cd "$HPC_REPO/hack/tools/krew"
export CGO_ENABLED=0 GOFLAGS=-buildvcs=false
log "building krew $(go list -m -f '{{.Version}}' sigs.k8s.io/krew) from Go modules"
go build -trimpath -ldflags="-s -w" -o "$HPC_BIN/krew.tmp" sigs.k8s.io/krew/cmd/krew
mv "$HPC_BIN/krew.tmp" "$HPC_BIN/krew"
go_tool_stamp "$HPC_REPO/hack/tools/krew" >"$HPC_BIN/.krew-stamp"
