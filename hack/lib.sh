# shellcheck shell=sh disable=SC2034 # sourced; the variables are used by the scripts that source it
# Shared settings for the build and local-stack scripts. Sourced, never run.
# Everything slow to build lives in $HPC_CACHE (gitignored); the running stack's state in $HPC_STACK.

# Callers set HPC_REPO (the repository root) before sourcing.
: "${HPC_REPO:?HPC_REPO must be set before sourcing hack/lib.sh}"
: "${HPC_CACHE:=$HPC_REPO/.cache}"
: "${HPC_STACK:=$HPC_REPO/.stack}"
HPC_ROOTFS="$HPC_CACHE/rootfs"
HPC_BIN="$HPC_CACHE/bin"

# Kubernetes and etcd versions come from hack/controlplane/go.mod; this is what the binaries report.
K8S_VERSION=v1.34.4

# Loopback ports of the control plane.
: "${HPC_ETCD_PORT:=12379}"
: "${HPC_ETCD_PEER_PORT:=12380}"
: "${HPC_APISERVER_PORT:=16443}"

# The HPC site lives in its own network namespace, linked to the host by a veth pair.
# The HTCondor pool binds the host end, so pilots on the site can reach it; nothing binds 0.0.0.0.
: "${HPC_NETNS:=hpcop-site}"
: "${HPC_VETH_HOST:=hpcop0}"
: "${HPC_VETH_SITE:=hpcop1}"
: "${HPC_POOL_ADDR:=10.250.0.1}"
: "${HPC_SITE_ADDR:=10.250.0.2}"
HPC_SITE_NAME=hpc-site
HPC_SITE_USER=hpcuser
HPC_SUBMITTER=submitter
HPC_TRUST_DOMAIN=hpcop.local

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

need_root() { [ "$(id -u)" = 0 ] || die "this needs root (it builds a root file system, namespaces and mounts)"; }

# go_tool_stamp DIR: what the stamp of a tool built from DIR's go.mod and go.sum records (a digest of both).
go_tool_stamp() { cat "$1/go.mod" "$1/go.sum" | sha256sum | cut -c1-16; }

# go_tool_fresh NAME DIR: true when $HPC_BIN/NAME exists and was built from DIR's go.mod/go.sum as they are.
go_tool_fresh() {
  [ -x "$HPC_BIN/$1" ] && [ -f "$HPC_BIN/.$1-stamp" ] && [ "$(cat "$HPC_BIN/.$1-stamp")" = "$(go_tool_stamp "$2")" ]
}

# pid_alive FILE: true when the pid recorded in FILE is a running process.
pid_alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# wait_for SECONDS DESCRIPTION COMMAND...: poll COMMAND every 0.2 s until it succeeds.
wait_for() {
  _secs=$1 _what=$2; shift 2
  _tries=$((_secs * 5))
  while [ "$_tries" -gt 0 ]; do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
    _tries=$((_tries - 1))
  done
  die "timed out after ${_secs}s waiting for $_what"
}
