#!/bin/sh
# The local stack: a real Kubernetes control plane, an HTCondor pool and a SLURM site reached over SSH.
#   stack.sh up      start what is not running (idempotent), write $HPC_STACK/env
#   stack.sh down    stop every process by pid; the namespaces take their mounts with them
#   stack.sh status  each component with its pid, address and health
set -eu
HPC_REPO=$(cd "$(dirname "$0")/../../.." && pwd)
# shellcheck source=hack/lib.sh
. "$HPC_REPO/hack/lib.sh"
STACK_DIR="$HPC_REPO/test/e2e/stack"
PIDS="$HPC_STACK/pids"
LOGS="$HPC_STACK/logs"

# start_daemon NAME COMMAND...: a background process in its own session, logging to $LOGS/NAME.log.
start_daemon() {
  _name=$1; shift
  mkdir -p "$PIDS" "$LOGS"
  setsid "$@" >>"$LOGS/$_name.log" 2>&1 </dev/null &
  echo $! >"$PIDS/$_name.pid"
}

# start_namespace NAME NETNS HOSTNAME STATE-DIR [BINDS...] -- COMMAND...: a component in its own mount, pid
# and UTS namespace (and network namespace NETNS when given). Records the unshare pid and the namespace's init.
start_namespace() {
  _name=$1 _netns=$2 _host=$3 _state=$4; shift 4
  _prefix=""
  [ -n "$_netns" ] && _prefix="ip netns exec $_netns"
  # shellcheck disable=SC2086 # the optional prefix is meant to split
  start_daemon "$_name" $_prefix unshare --mount --pid --uts --fork --kill-child --propagation private -- \
    "$STACK_DIR/enter-root.sh" "$_host" "$HPC_ROOTFS" "$_state" "$@"
  wait_for 10 "the $_name namespace" sh -c "pgrep -P \$(cat '$PIDS/$_name.pid') >/dev/null"
  pgrep -P "$(cat "$PIDS/$_name.pid")" | head -1 >"$PIDS/$_name.init"
}

# install_script PATH: writes stdin to an executable PATH through a rename, so that a test running the old
# launcher at that moment never sees a half-written file or "Text file busy".
install_script() {
  cat >"$1.new.$$"
  chmod 755 "$1.new.$$"
  mv -f "$1.new.$$" "$1"
}

# any_alive: true when a process of the stack still runs.
any_alive() {
  for _f in "$PIDS"/*.pid; do
    pid_alive "$_f" && return 0
  done
  return 1
}

# status_line NAME PIDFILE ADDRESS CHECK...: one line of `stack.sh status`.
status_line() {
  _name=$1 _pidfile=$2 _addr=$3; shift 3
  _pid=-
  pid_alive "$PIDS/$_pidfile.pid" && _pid=$(cat "$PIDS/$_pidfile.pid")
  if [ "$_pid" = - ]; then _health=stopped
  elif "$@" >/dev/null 2>&1; then _health=healthy
  else _health=unhealthy; STATUS_RC=1
  fi
  [ "$_pid" = - ] && STATUS_RC=1
  printf '%-24s %-8s %-28s %s\n' "$_name" "$_pid" "$_addr" "$_health"
}

# shellcheck source=test/e2e/stack/controlplane.sh
. "$STACK_DIR/controlplane.sh"
# shellcheck source=test/e2e/stack/network.sh
. "$STACK_DIR/network.sh"
# shellcheck source=test/e2e/stack/pool.sh
. "$STACK_DIR/pool.sh"
# shellcheck source=test/e2e/stack/site.sh
. "$STACK_DIR/site.sh"

write_env() {
  cat >"$HPC_STACK/env" <<ENV
# Source me: . $HPC_STACK/env   (written by make stack-up)
export KUBECONFIG="$KUBECONFIG_FILE"
export PATH="$HPC_STACK/bin:$HPC_BIN:\$PATH"
export CONDOR_CONFIG="$CONDOR_CLIENT/condor_config"
export HPC_STACK="$HPC_STACK"
export HPC_SCHEDD_NAME="schedd@hpc-pool"
# The pool's second access point (tests of operators spreading HPCJobs over several schedds).
export HPC_SCHEDD2_NAME="schedd2@hpc-pool"
export HPC_COLLECTOR="$HPC_POOL_ADDR:9618"
export HPC_SITE_HOST="$HPC_SITE_ADDR"
# Operator settings for \`make run\` against this stack.
export HPCOP_SCHEDD_NAME="schedd@hpc-pool"
export HPCOP_COLLECTOR="$HPC_POOL_ADDR:9618"
export HPCOP_CONDOR_BIN_DIR="$HPC_STACK/bin"
export HPCOP_LOG_DIR="$HPC_STACK/operator/logs"
export HPCOP_LEADER_ELECTION_NAMESPACE="hpc-operator-system"
ENV
}

case "${1:-}" in
up)
  need_root
  "$HPC_REPO/hack/build-controlplane.sh"
  "$HPC_REPO/hack/build-rootfs.sh"
  # A stack whose processes are all gone is stale: start over from clean state.
  any_alive || rm -rf "$HPC_STACK"
  mkdir -p "$HPC_STACK"
  cp_up
  wait_for 60 "the default namespace" "$HPC_BIN/kubectl" --kubeconfig "$KUBECONFIG_FILE" get namespace default
  cp_namespaces
  net_up
  pool_up
  site_up
  write_env
  log "stack is up: . $HPC_STACK/env"
  ;;
down)
  need_root
  for f in "$PIDS"/*.pid; do
    [ -f "$f" ] || continue
    if pid_alive "$f"; then kill -KILL "$(cat "$f")" 2>/dev/null || true; fi
  done
  net_down
  for f in "$PIDS"/*.pid; do
    [ -f "$f" ] || continue
    _tries=50
    while pid_alive "$f" && [ "$_tries" -gt 0 ]; do sleep 0.1; _tries=$((_tries - 1)); done
    pid_alive "$f" && die "process $(cat "$f") from $f did not stop"
    rm -f "$f"
  done
  log "stack is down"
  ;;
status)
  STATUS_RC=0
  printf '%-24s %-8s %-28s %s\n' COMPONENT PID ADDRESS HEALTH
  cp_status
  net_status
  pool_status
  site_status
  exit "$STATUS_RC"
  ;;
*)
  echo "usage: $0 up|down|status" >&2
  exit 2
  ;;
esac
