# shellcheck shell=sh disable=SC2034,SC2154 # sourced by stack.sh, which defines the shared variables
# The HTCondor pool of the local stack: central manager, two schedds (schedd@ and schedd2@hpc-pool) and one
# partitionable startd in a Debian 13 root ("hpc-pool"), bound to the host end of the site's veth so pilots on
# the site can join it.
# The operator and the tests talk to it from the host through thin launchers ($HPC_STACK/bin/condor_*) that
# run the root's own binaries with the root's loader and libraries, authenticated by an IDTOKEN.
# Sourced by stack.sh.

POOL_STATE="$HPC_STACK/pool"
CONDOR_CLIENT="$HPC_STACK/condor"
POOL_TOOLS="condor_submit condor_q condor_history condor_rm condor_hold condor_release condor_qedit
  condor_status condor_transfer_data condor_version condor_config_val condor_ping condor_userprio
  condor_wait condor_token_list condor_token_create condor_vacate_job condor_suspend condor_continue condor_tail"

pool_config() {
  mkdir -p "$POOL_STATE/upper/etc/condor/config.d" "$POOL_STATE/upper/etc" "$HPC_STACK/shared/reana"
  cat >"$POOL_STATE/upper/etc/condor/config.d/50-hpcop-pool.conf" <<CONF
# Written by test/e2e/stack/pool.sh: a one-machine pool for the operator's tests.
use ROLE : CentralManager
use ROLE : Submit
use ROLE : Execute
use FEATURE : PartitionableSlot
CONDOR_HOST = $HPC_POOL_ADDR
NETWORK_INTERFACE = $HPC_POOL_ADDR
BIND_ALL_INTERFACES = False
UID_DOMAIN = $HPC_TRUST_DOMAIN
TRUST_DOMAIN = $HPC_TRUST_DOMAIN
ENABLE_IPV6 = False
# A name with an "@" is looked up in the collector as is; a bare host name would need DNS on the host.
SCHEDD_NAME = schedd

# The starter cannot unshare a mount namespace or use cgroups inside this root (reference/local-stack.md).
MOUNT_UNDER_SCRATCH =
USE_PID_NAMESPACES = False
BASE_CGROUP =
CGROUP_MEMORY_LIMIT_POLICY = none

# Short cycles so tests see transitions within seconds.
SCHEDD_INTERVAL = 5
SCHEDD_MIN_INTERVAL = 1
NEGOTIATOR_INTERVAL = 2
NEGOTIATOR_MIN_INTERVAL = 1
NEGOTIATOR_CYCLE_DELAY = 2
UPDATE_INTERVAL = 5
STARTER_UPDATE_INTERVAL = 2
STARTER_INITIAL_UPDATE_INTERVAL = 2
SHADOW_QUEUE_UPDATE_INTERVAL = 2
PERIODIC_EXPR_INTERVAL = 5
JOB_START_DELAY = 0
JOB_IS_FINISHED_INTERVAL = 0
RUNBENCHMARKS = False

# Oversubscribe the two cores: test jobs are tiny.
NUM_CPUS = 8
MEMORY = 16384

# Clients outside the root (the operator, tests) authenticate with IDTOKENS; pilots advertise as pilot@.
SEC_DEFAULT_AUTHENTICATION_METHODS = FS, IDTOKENS
ALLOW_ADVERTISE_STARTD = \$(ALLOW_ADVERTISE_STARTD) pilot@$HPC_TRUST_DOMAIN
ALLOW_ADVERTISE_MASTER = \$(ALLOW_ADVERTISE_MASTER) pilot@$HPC_TRUST_DOMAIN
ALLOW_ADMINISTRATOR = \$(ALLOW_ADMINISTRATOR) admin@$HPC_TRUST_DOMAIN

# A job's identity (operator, HPCJob uid, attempt, namespace/name) is fixed once submitted: neither its step
# (condor_chirp set_job_attr) nor its owner (condor_qedit) can rewrite it to report into another HPCJob.
# Not HPCAck (the operator's condor_qedit), HPCWrapperResult, HPCStderrTail (the job's chirp). As
# docs/install.md tells admins; test/e2e/job-identity.e2e.test.ts checks it.
IMMUTABLE_JOB_ATTRS = \$(IMMUTABLE_JOB_ATTRS) HPCOperator HPCJobUID HPCJobAttempt HPCJobRef

# A second access point in the same pool (schedd2@hpc-pool), for operators that spread HPCJobs over several
# schedds: its own name, spool (queue log, history) and log. Its settings take the daemon's local name as
# prefix (SCHEDD2.X: HTCondor 23 ignores SCHEDD.SCHEDD2.X, and a second LOCAL_DIR would move its LOG too).
SCHEDD2 = \$(SCHEDD)
SCHEDD2_ARGS = -local-name schedd2
SCHEDD2.SCHEDD_NAME = schedd2
SCHEDD2.SPOOL = /var/lib/condor/schedd2/spool
SCHEDD2.SCHEDD_LOG = \$(LOG)/SchedLog.schedd2
SCHEDD2.SCHEDD_ADDRESS_FILE = \$(SCHEDD2.SPOOL)/.schedd_address
SCHEDD2.SCHEDD_DAEMON_AD_FILE = \$(SCHEDD2.SPOOL)/.schedd_classad
DC_DAEMON_LIST = + SCHEDD2
DAEMON_LIST = \$(DAEMON_LIST), SCHEDD2
CONF
  cat >"$POOL_STATE/upper/etc/hosts" <<HOSTS
127.0.0.1 localhost
$HPC_POOL_ADDR hpc-pool
$HPC_SITE_ADDR $HPC_SITE_NAME
HOSTS
}

# The client side: a config file, the token directory and the launchers.
pool_client() {
  mkdir -p "$CONDOR_CLIENT/tokens.d" "$HPC_STACK/bin"
  chmod 700 "$CONDOR_CLIENT/tokens.d"
  cat >"$CONDOR_CLIENT/condor_config" <<CONF
# HTCondor client configuration for processes on the host (the operator, tests, you).
CONDOR_HOST = $HPC_POOL_ADDR
COLLECTOR_HOST = $HPC_POOL_ADDR:9618
SCHEDD_HOST = schedd@hpc-pool
SEC_CLIENT_AUTHENTICATION_METHODS = IDTOKENS
SEC_TOKEN_DIRECTORY = $CONDOR_CLIENT/tokens.d
TOOL_LOG = $CONDOR_CLIENT/tool.log
CONF
  libs="$HPC_ROOTFS/usr/lib/x86_64-linux-gnu:$HPC_ROOTFS/lib/x86_64-linux-gnu:$HPC_ROOTFS/usr/lib"
  for tool in $POOL_TOOLS; do
    install_script "$HPC_STACK/bin/$tool" <<SH
#!/bin/sh
# Thin launcher: the Debian 13 root's $tool, with the root's own loader and libraries, from the host.
: "\${CONDOR_CONFIG:=$CONDOR_CLIENT/condor_config}"
export CONDOR_CONFIG
# As root, tools that write files (condor_transfer_data) want to know whose ids to use.
[ "\$(id -u)" = 0 ] && [ -z "\${_CONDOR_CONDOR_IDS:-}" ] && export _CONDOR_CONDOR_IDS=0.0
exec "$HPC_ROOTFS/lib64/ld-linux-x86-64.so.2" --library-path "$libs" "$HPC_ROOTFS/usr/bin/$tool" "\$@"
SH
  done
}

pool_exec() { nsenter --target "$(cat "$PIDS/pool.init")" --mount --uts --pid -- "$@"; }

pool_up() {
  if ! pid_alive "$PIDS/pool.pid"; then
    rm -rf "$POOL_STATE"
    pool_config
    start_namespace pool "" hpc-pool "$POOL_STATE" "$HPC_STACK/shared/reana:/reana" \
      "$HPC_ROOTFS:/images/debian13:ro" -- \
      /bin/sh -c 'install -d -o condor -g condor /run/lock/condor /run/condor /var/lib/condor/schedd2/spool && exec condor_master -f'
  fi
  pool_client
  # The collector creates the pool's signing key at first start; then the tokens can be minted.
  wait_for 60 "the pool signing key" test -s "$POOL_STATE/upper/etc/condor/passwords.d/POOL"
  if [ ! -s "$CONDOR_CLIENT/tokens.d/submitter" ]; then
    pool_exec condor_token_create -identity "$HPC_SUBMITTER@$HPC_TRUST_DOMAIN" -key POOL \
      >"$CONDOR_CLIENT/tokens.d/submitter"
    pool_exec condor_token_create -identity "pilot@$HPC_TRUST_DOMAIN" -key POOL \
      -authz ADVERTISE_STARTD -authz ADVERTISE_MASTER -authz READ >"$CONDOR_CLIENT/pilot.token"
    chmod 600 "$CONDOR_CLIENT/tokens.d/submitter" "$CONDOR_CLIENT/pilot.token"
  fi
  wait_for 90 "both schedds and a startd in the pool" pool_ready
}

pool_ready() {
  "$HPC_STACK/bin/condor_q" -totals >/dev/null 2>&1 &&
    "$HPC_STACK/bin/condor_q" -name schedd2@hpc-pool -totals >/dev/null 2>&1 &&
    [ -n "$("$HPC_STACK/bin/condor_status" -af Name 2>/dev/null | head -1)" ]
}

pool_status() {
  status_line htcondor-pool pool "$HPC_POOL_ADDR:9618" pool_ready
}
