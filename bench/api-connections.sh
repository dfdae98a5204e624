#!/bin/sh
# Samples the TCP connections that one operator process holds to the local stack's kube-apiserver while a
# benchmark runs (docs/performance.md, "Connections to the API server"). Every 0.5 s it lists the
# established connections to 127.0.0.1:$HPC_APISERVER_PORT whose owning process runs ENTRY (default: this
# checkout's dist/main.js, the operator bench/hpcjobs.ts starts), and when the benchmark command ends it
# prints the peak and median of the concurrent connections and how many distinct connections (client ports)
# were seen. Connections that open and close between two samples are missed: the distinct count is a floor.
#   bench/api-connections.sh [ENTRY] -- COMMAND...
#   bench/api-connections.sh -- node --import tsx bench/hpcjobs.ts 1000
set -eu
HPC_REPO=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=hack/lib.sh
. "$HPC_REPO/hack/lib.sh"

entry=$HPC_REPO/dist/main.js
if [ "${1:-}" != -- ]; then
  entry=$1
  shift
fi
[ "${1:-}" = -- ] || die "usage: bench/api-connections.sh [ENTRY] -- COMMAND..."
shift
command -v ss >/dev/null || die "ss (iproute2) is needed"

samples=$(mktemp)
trap 'rm -f "$samples"' EXIT

# One line per sample: the count, then the client ports of that sample (space separated).
sample() {
  ports=""
  count=0
  for pid in $(pgrep -f -- "$entry" || true); do
    for port in $(ss -tnpH state established "( dst 127.0.0.1:$HPC_APISERVER_PORT )" 2>/dev/null |
      grep "pid=$pid," | awk '{ n = split($3, a, ":"); print a[n] }'); do
      ports="$ports $port"
      count=$((count + 1))
    done
  done
  echo "$count$ports" >>"$samples"
}

"$@" &
bench=$!
while kill -0 "$bench" 2>/dev/null; do
  sample
  sleep 0.5
done
status=0
wait "$bench" || status=$?

# Peak and median over the samples that saw the operator connected; distinct client ports over all of them.
sort -n "$samples" | awk '
  $1 > 0 { counts[++n] = $1; for (i = 2; i <= NF; i++) seen[$i] = 1 }
  END {
    if (n == 0) { print "connections: the operator held none while sampled"; exit }
    distinct = 0
    for (p in seen) distinct++
    printf "connections to the API server: peak %d, median %d concurrent over %d samples; %d distinct\n",
      counts[n], counts[int((n + 1) / 2)], n, distinct
  }'
exit "$status"
