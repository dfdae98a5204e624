#!/bin/sh
# Builds the helm CLI from the module version pinned in hack/tools/go.mod into $HPC_CACHE/bin/helm, the way
# helm's own Makefile does (same -X version flags), so `helm version` and the chart's default
# .Capabilities.KubeVersion are the real ones. A stamp of go.mod/go.sum makes a second run a no-op.
set -eu
HPC_REPO=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=hack/lib.sh
. "$HPC_REPO/hack/lib.sh"

go_tool_fresh helm "$HPC_REPO/hack/tools" && exit 0
command -v go >/dev/null || die "go is not installed"
mkdir -p "$HPC_BIN"
cd "$HPC_REPO/hack/tools"
export CGO_ENABLED=0 GOFLAGS=-buildvcs=false
helm_version=$(go list -m -f '{{.Version}}' helm.sh/helm/v3)
# helm's Makefile: the Kubernetes version helm assumes offline is client-go's v0.X.Y read as 1.X.
client_go=$(go list -m -f '{{.Version}}' k8s.io/client-go)
k8s_minor=$(echo "$client_go" | cut -d. -f2)
log "building helm $helm_version from Go modules (first time: a few minutes)"
ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$helm_version"
ldflags="$ldflags -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
  ldflags="$ldflags -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=$k8s_minor"
done
go build -trimpath -ldflags="$ldflags" -o "$HPC_BIN/helm.tmp" helm.sh/helm/v3/cmd/helm
mv "$HPC_BIN/helm.tmp" "$HPC_BIN/helm"
go_tool_stamp "$HPC_REPO/hack/tools" >"$HPC_BIN/.helm-stamp"
log "helm built: $("$HPC_BIN/helm" version --short)"
