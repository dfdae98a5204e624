#!/bin/sh
# make demo: on the local stack (make stack-up ran before), install the CRDs, run the operator, apply the
# HPCJob samples and show them reach their final state in a live table, then a summary.
# Re-runnable: it starts from an empty demo namespace each time. The operator keeps running for you to
# play with (kubectl -n hpc-demo ...); make stack-down stops it with the rest of the stack.
set -eu
HPC_REPO=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=hack/lib.sh
. "$HPC_REPO/hack/lib.sh"
# shellcheck disable=SC1091 # written by make stack-up
. "$HPC_STACK/env"
NS=hpc-demo
DEMO="$HPC_STACK/demo"
mkdir -p "$DEMO" "$HPC_STACK/pids"

log "installing the CRDs"
kubectl apply --server-side --force-conflicts -f "$HPC_REPO/config/crd/bases" >/dev/null
kubectl wait --for condition=Established --timeout=60s crd/hpcjobs.hpc.scailfin.io crd/virtualclusters.hpc.scailfin.io >/dev/null

if [ -s "$HPC_STACK/pids/demo-operator.pid" ] && kill -0 "$(cat "$HPC_STACK/pids/demo-operator.pid")" 2>/dev/null; then
  log "the demo operator is already running (pid $(cat "$HPC_STACK/pids/demo-operator.pid"))"
else
  log "starting the operator (log: $DEMO/operator.log)"
  setsid node "$HPC_REPO/dist/main.js" --namespace="$NS" --operator-id=hpc-demo \
    --metrics-bind-address=127.0.0.1:18080 --health-probe-bind-address=127.0.0.1:18081 \
    >"$DEMO/operator.log" 2>&1 </dev/null &
  echo $! >"$HPC_STACK/pids/demo-operator.pid"
fi
wait_for 60 "the operator to be ready" curl -sf http://127.0.0.1:18081/readyz

# A fresh namespace each run (the operator's finalizers clean up the previous run's jobs).
if kubectl get namespace "$NS" >/dev/null 2>&1; then
  kubectl delete hpcjobs --all -n "$NS" --wait=true --timeout=120s >/dev/null
else
  kubectl create namespace "$NS" >/dev/null
fi

log "applying the samples (config/samples)"
kubectl apply -k "$HPC_REPO/config/samples" -n "$NS" >/dev/null

final() { kubectl get hpcjobs -n "$NS" -o jsonpath='{range .items[*]}{.status.phase}{"\n"}{end}' | grep -c -E '^(Succeeded|Failed|Lost)$' || true; }
total=$(kubectl get hpcjobs -n "$NS" --no-headers | wc -l)
deadline=$(($(date +%s) + 300))
while :; do
  done_count=$(final)
  [ -t 1 ] && printf '\033[2J\033[H'
  echo "HPCJobs in namespace $NS ($done_count of $total final) - $(date +%T)"
  kubectl get hpcjobs -n "$NS" -o wide
  [ "$done_count" -ge "$total" ] && break
  [ "$(date +%s)" -ge "$deadline" ] && { log "not all HPCJobs finished within 5 minutes"; exit 1; }
  sleep 2
done

echo
echo "Summary"
kubectl get hpcjobs -n "$NS" -o jsonpath='{range .items[*]}{.metadata.name}{": "}{.status.phase}{" after "}{.status.attempt}{" attempt(s), HTCondor job "}{.status.jobId}{"\n"}{end}'
echo
echo "Events of hold-release:"
kubectl get events.events.k8s.io -n "$NS" --field-selector regarding.name=hold-release -o custom-columns=REASON:.reason,NOTE:.note --no-headers
echo
echo "Try: kubectl get hpcjobs -n $NS; kubectl describe hpcjob retry -n $NS; condor_q -allusers"
