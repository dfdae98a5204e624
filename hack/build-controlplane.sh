#!/bin/sh
# Builds kube-apiserver, kube-controller-manager, kubectl and etcd from the exact module versions pinned in
# hack/controlplane/go.mod into $HPC_CACHE/bin. A stamp of go.mod/go.sum makes a second run a no-op.
set -eu
HPC_REPO=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=hack/lib.sh
. "$HPC_REPO/hack/lib.sh"

stamp="$HPC_BIN/.stamp"
want=$(cat "$HPC_REPO/hack/controlplane/go.mod" "$HPC_REPO/hack/controlplane/go.sum" | sha256sum | cut -c1-16)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] &&
  [ -x "$HPC_BIN/kube-apiserver" ] && [ -x "$HPC_BIN/kube-controller-manager" ] &&
  [ -x "$HPC_BIN/kubectl" ] && [ -x "$HPC_BIN/etcd" ]; then
  exit 0
fi
command -v go >/dev/null || die "go is not installed"
mkdir -p "$HPC_BIN"
log "building the Kubernetes $K8S_VERSION control plane from Go modules (first time: several minutes)"
cd "$HPC_REPO/hack/controlplane"
major=${K8S_VERSION#v}; minor=${major#*.}; major=${major%%.*}; minor=${minor%%.*}
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags="$ldflags -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
  ldflags="$ldflags -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done
export CGO_ENABLED=0 GOFLAGS=-buildvcs=false
go build -trimpath -ldflags="$ldflags" -o "$HPC_BIN/" \
  k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kubectl
go build -trimpath -ldflags="-s -w" -o "$HPC_BIN/etcd" go.etcd.io/etcd/server/v3
echo "$want" > "$stamp"
log "control plane built: $("$HPC_BIN/kube-apiserver" --version), etcd $("$HPC_BIN/etcd" --version | head -1 | awk '{print $3}')"
