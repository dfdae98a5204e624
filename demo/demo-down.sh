#!/bin/sh
# make demo-down: removes what make demo made, in the order that leaves nothing behind: the HPCJobs and the
# VirtualCluster first, while the operator still runs (its finalizers remove HTCondor jobs and cancel the
# pilots on the SLURM site), then the operator, then the namespace. The local stack keeps running.
set -eu
HPC_REPO=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=hack/lib.sh
. "$HPC_REPO/hack/lib.sh"
NS=hpc-demo
PIDFILE="$HPC_STACK/pids/demo-operator.pid"
if [ ! -f "$HPC_STACK/env" ]; then
  log "the local stack is not up: nothing to remove"
  exit 0
fi
# shellcheck disable=SC1091 # written by make stack-up
. "$HPC_STACK/env"
running() { [ -s "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

if kubectl get namespace "$NS" >/dev/null 2>&1; then
  if running; then
    log "deleting the demo's HPCJobs and VirtualCluster (the operator cleans up HTCondor and SLURM)"
    kubectl -n "$NS" delete hpcjobs,virtualclusters --all --wait=true --timeout=180s >/dev/null
  fi
  kubectl delete namespace "$NS" --wait=false >/dev/null
fi
if running; then
  log "stopping the demo operator"
  kill -TERM "$(cat "$PIDFILE")"
  wait_for 30 "the operator to stop" sh -c "! kill -0 $(cat "$PIDFILE") 2>/dev/null"
fi
rm -f "$PIDFILE"
log "demo removed"
