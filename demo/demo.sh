#!/bin/sh
# make demo: the whole story on the local stack (make stack-up ran before): the CRDs, the operator, a
# VirtualCluster that grows the pool onto the SLURM site with pilots over SSH (one of them a GPU worker whose
# two GPUs HTCondor simulates: the stack has none), and HPCJobs that succeed, fail, retry, get held and
# released, on the pool, on the site and on the GPU worker; a live progress table, then a summary that
# checks each outcome. Re-runnable: each run starts from an empty demo namespace. The operator keeps running
# for you to play with (kubectl -n hpc-demo ...); make demo-down removes it all.
set -eu
HPC_REPO=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=hack/lib.sh
. "$HPC_REPO/hack/lib.sh"
# shellcheck disable=SC1091 # written by make stack-up
. "$HPC_STACK/env"
NS=hpc-demo
DEMO="$HPC_STACK/demo"
PIDFILE="$HPC_STACK/pids/demo-operator.pid"
mkdir -p "$DEMO" "$HPC_STACK/pids"
k() { kubectl -n "$NS" "$@"; }

log "installing the CRDs"
kubectl apply --server-side --force-conflicts -f "$HPC_REPO/config/crd/bases" >/dev/null
kubectl wait --for condition=Established --timeout=60s crd/hpcjobs.hpc.scailfin.io crd/virtualclusters.hpc.scailfin.io >/dev/null

if [ -s "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
  log "the demo operator is already running (pid $(cat "$PIDFILE"))"
else
  log "starting the operator (log: $DEMO/operator.log)"
  setsid node "$HPC_REPO/dist/main.js" --namespace="$NS" --operator-id=hpc-demo \
    --metrics-bind-address=127.0.0.1:18080 --health-probe-bind-address=127.0.0.1:18081 --serving-bind-address=127.0.0.1:18443 \
    --pilot-update-interval-seconds=5 --pilot-active-poll-seconds=2 --pilot-steady-poll-seconds=10 \
    --match-analysis-after-seconds=10 --pilot-gpu-discovery-extra=-simulate:4,2 \
    >"$DEMO/operator.log" 2>&1 </dev/null &
  echo $! >"$PIDFILE"
fi
wait_for 60 "the operator to be ready" curl -sf http://127.0.0.1:18081/readyz

# A fresh start each run: the operator's finalizers remove the previous run's jobs and cancel its pilots.
if kubectl get namespace "$NS" >/dev/null 2>&1; then
  log "removing the previous run's HPCJobs and VirtualCluster"
  k delete hpcjobs,virtualclusters --all --wait=true --timeout=180s >/dev/null
else
  kubectl create namespace "$NS" >/dev/null
fi

log "creating the Secrets: the SSH key with the site's pinned host key, and the pool's signing key"
k create secret generic site-ssh --from-file=ssh-privatekey="$HPC_STACK/site/client/id_ed25519" \
  --from-file=known_hosts="$HPC_STACK/site/client/known_hosts" --dry-run=client -o yaml | k apply -f - >/dev/null
# The collector's own key, as is: the operator mints each pilot a token of its own with it.
k create secret generic pool-key --from-file=POOL="$HPC_STACK/pool/upper/etc/condor/passwords.d/POOL" \
  --dry-run=client -o yaml | k apply -f - >/dev/null

log "creating the VirtualCluster slurm-site (2 pilots on the SLURM site at $HPC_SITE_HOST)"
sed -e "s|\${HPC_COLLECTOR}|$HPC_COLLECTOR|" -e "s|\${HPC_SCHEDD_NAME}|$HPC_SCHEDD_NAME|" \
  -e "s|\${HPC_SITE_HOST}|$HPC_SITE_HOST|" -e "s|\${HPC_TRUST_DOMAIN}|$HPC_TRUST_DOMAIN|" \
  "$HPC_REPO/demo/manifests/virtualcluster.yaml" | k apply -f - >/dev/null

log "applying the HPCJobs: config/samples on the pool, demo/manifests/on-the-site.yaml on the pilots"
k apply -k "$HPC_REPO/config/samples" >/dev/null
k apply -f "$HPC_REPO/demo/manifests/on-the-site.yaml" >/dev/null
k apply -f "$HPC_REPO/demo/manifests/unschedulable.yaml" >/dev/null

# The live table: the kubectl plugin when built (make build), kubectl's printer columns otherwise.
table() {
  if [ -f "$HPC_REPO/dist/cli/kubectl-hpc.js" ]; then
    node "$HPC_REPO/dist/cli/kubectl-hpc.js" status -n "$NS"
  else
    k get virtualclusters
    echo
    k get hpcjobs -o wide
  fi
}
# needs-cvmfs never starts (it is there to show why): the table waits for the others.
ENDING='!demo.hpc.scailfin.io/never-starts'
final() { k get hpcjobs -l "$ENDING" -o jsonpath='{range .items[*]}{.status.phase}{"\n"}{end}' | grep -c -E '^(Succeeded|Failed|Lost)$' || true; }
total=$(k get hpcjobs -l "$ENDING" --no-headers | wc -l)
deadline=$(($(date +%s) + 600))
while :; do
  done_count=$(final)
  [ -t 1 ] && printf '\033[2J\033[H'
  echo "namespace $NS: $done_count of $total HPCJobs final - $(date +%T)"
  echo
  table
  [ "$done_count" -ge "$total" ] && break
  [ "$(date +%s)" -ge "$deadline" ] && { log "not all HPCJobs finished within 10 minutes"; exit 1; }
  sleep 2
done

# The summary checks that each sample did what it is there to show.
echo
echo "Summary"
failures=0
expect() { # name phase attempts [host-substring]
  got=$(k get hpcjob "$1" -o jsonpath='{.status.phase} {.status.attempt} {.status.attempts[-1:].host}')
  phase=${got%% *}; rest=${got#* }; attempts=${rest%% *}; host=${rest#* }
  if [ "$phase" = "$2" ] && [ "$attempts" = "$3" ] && { [ -z "${4:-}" ] || case $host in *"$4"*) true ;; *) false ;; esac; }; then
    printf '  ok    %-16s %-10s %s attempt(s)  on %s\n' "$1" "$phase" "$attempts" "$host"
  else
    printf '  WRONG %-16s %-10s %s attempt(s)  on %s (wanted %s, %s attempt(s)%s)\n' "$1" "$phase" "$attempts" "$host" "$2" "$3" "${4:+ on $4}"
    failures=$((failures + 1))
  fi
}
expect hello Succeeded 1 hpc-pool
expect exit3 Failed 1
expect retry Succeeded 3
expect hold-release Succeeded 1
expect on-slurm Succeeded 1 "$HPC_SITE_NAME"
expect on-slurm-retry Succeeded 2 "$HPC_SITE_NAME"
expect on-gpu Succeeded 1 "$HPC_SITE_NAME"
expect on-two-nodes Succeeded 1 "$HPC_SITE_NAME"
echo
echo "VirtualCluster slurm-site workers: $(k get virtualcluster slurm-site -o jsonpath='{.status.workers}')"
echo "hold-release was held and released:"
k get events --field-selector involvedObject.name=hold-release -o custom-columns=REASON:.reason,MESSAGE:.message --no-headers | sed 's/^/  /'
echo "on-slurm said: $(cat "$(k get hpcjob on-slurm -o jsonpath='{.status.logs.stdout}')" 2>/dev/null)"
echo "on-gpu said: $(cat "$(k get hpcjob on-gpu -o jsonpath='{.status.logs.stdout}')" 2>/dev/null)"
ranks=$(sort "$(k get hpcjob on-two-nodes -o jsonpath='{.status.logs.stdout}')" 2>/dev/null | tr '\n' ';')
if [ "$ranks" = "rank 0 of 2 on node n1;rank 1 of 2 on node n2;" ]; then
  printf '  ok    %-16s %s\n' two-nodes "one step on both nodes of a pilot: $ranks"
else
  printf '  WRONG %-16s %s\n' two-nodes "on-two-nodes said '$ranks', wanted a rank on n1 and one on n2"
  failures=$((failures + 1))
fi
echo "VirtualCluster slurm-site GPUs: $(k get virtualcluster slurm-site -o jsonpath='{.status.gpus}')"
tokens=$(k get virtualcluster slurm-site -o jsonpath='{.status.pilotTokens.onSites}')
if [ "${tokens:-0}" -ge 3 ]; then
  printf '  ok    %-16s %s\n' pilot-tokens "$tokens pilots, a token of its own each: $(k get virtualcluster slurm-site -o jsonpath='{.status.pilotTokens}')"
else
  printf '  WRONG %-16s %s\n' pilot-tokens "status.pilotTokens.onSites is '${tokens}', wanted one per running pilot (3)"
  failures=$((failures + 1))
fi
why_not() { k get hpcjob needs-cvmfs -o jsonpath='{.status.conditions[?(@.type=="Schedulable")].reason}: {.status.conditions[?(@.type=="Schedulable")].message}'; }
i=0
while [ "$i" -lt 60 ] && [ "$(why_not)" = ": " ]; do sleep 1; i=$((i + 1)); done
why=$(why_not)
if [ "${why%%:*}" = NoMatchingSlot ]; then
  printf '  ok    %-16s %-10s %s\n' needs-cvmfs Queued "waits, and says why: $why"
else
  printf '  WRONG %-16s %-10s %s\n' needs-cvmfs Queued "no NoMatchingSlot in condition Schedulable (got '$why')"
  failures=$((failures + 1))
fi
echo
echo "Try: kubectl -n $NS get hpcjobs,virtualclusters; kubectl hpc describe needs-cvmfs -n $NS; condor_status; make demo-down"
[ "$failures" -eq 0 ] || { log "$failures HPCJob(s) did not end as expected"; exit 1; }
