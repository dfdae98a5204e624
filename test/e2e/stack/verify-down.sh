#!/bin/sh
# Proves that `stack.sh down` left nothing behind: no process of the stack, no mount of its roots or
# namespaces, no network namespace or veth. Exit 1 with the leftovers listed otherwise.
set -eu
HPC_REPO=$(cd "$(dirname "$0")/../../.." && pwd)
# shellcheck source=hack/lib.sh
. "$HPC_REPO/hack/lib.sh"

fail=0
mounts=$(findmnt -rn -o TARGET | grep -E "^($HPC_STACK|$HPC_CACHE)|/run/netns/$HPC_NETNS\$" || true)
if [ -n "$mounts" ]; then
  log "mounts left behind:"; echo "$mounts" >&2; fail=1
fi
# shellcheck disable=SC2009 # pgrep cannot match the whole command line against several patterns at once
procs=$(ps -eo pid=,args= | grep -E "$HPC_STACK|$HPC_CACHE|condor_master|slurmctld|slurmd|munged|sge_qmaster|sge_execd|enter-root.sh" |
  grep -v -E "grep|verify-down" || true)
if [ -n "$procs" ]; then
  log "processes left behind:"; echo "$procs" >&2; fail=1
fi
if ip netns list 2>/dev/null | grep -qw "$HPC_NETNS"; then
  log "network namespace $HPC_NETNS left behind"; fail=1
fi
if ip link show "$HPC_VETH_HOST" >/dev/null 2>&1; then
  log "veth $HPC_VETH_HOST left behind"; fail=1
fi
[ "$fail" = 0 ] && log "stack-down left no process, mount or network namespace behind"
exit "$fail"
