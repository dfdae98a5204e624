# shellcheck shell=sh disable=SC2034,SC2154 # sourced by stack.sh, which defines the shared variables
# The HPC site of the local stack: a SLURM cluster (slurmctld, slurmd, munge) and a Son of Grid Engine cell
# (sge_qmaster, sge_execd: queue all.q, parallel environment smp) on one host with a login node reached over
# SSH as a non-root user, in its own network namespace at $HPC_SITE_ADDR: to the operator it is another host
# that offers both sbatch and qsub.
# The client side (login key, pinned host key, ssh config) is in $HPC_STACK/site. Sourced by stack.sh.

SITE_STATE="$HPC_STACK/site"

root_uid() { awk -F: -v u="$1" '$1 == u { print $3 }' "$HPC_ROOTFS/etc/passwd"; }

site_config() {
  up="$SITE_STATE/upper"
  mkdir -p "$up/etc/slurm" "$up/etc/munge" "$up/etc/ssh" "$up/usr/local/sbin" "$up/home/$HPC_SITE_USER/.ssh" \
    "$up/usr/local/share/hpcop"
  cat >"$up/etc/slurm/slurm.conf" <<CONF
# Written by test/e2e/stack/site.sh: a SLURM site with one compute node ($HPC_SITE_NAME, partitions batch and
# debug) and two more (n1, n2: partition multi, for multi-node pilots), each node its own slurmd on this host.
ClusterName=hpcsite
SlurmctldHost=$HPC_SITE_NAME($HPC_SITE_ADDR)
SlurmUser=slurm
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=/var/lib/slurm/slurmctld
SlurmdSpoolDir=/var/lib/slurm/slurmd/%n
SlurmctldPidFile=/run/slurm/slurmctld.pid
SlurmdPidFile=/run/slurm/slurmd-%n.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd-%n.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SlurmdParameters=config_overrides
ReturnToService=2
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
# Without a database, finished jobs are kept in a text file that \`sacct -c\` reads (allocation budgets).
JobCompType=jobcomp/filetxt
JobCompLoc=/var/log/slurm/jobcomp.log
MinJobAge=300
KillWait=5
InactiveLimit=0
NodeName=$HPC_SITE_NAME NodeAddr=$HPC_SITE_ADDR CPUs=4 RealMemory=8192 State=UNKNOWN
# Two more slurmd on the same host (their own ports): SLURMD_NODENAME and SLURM_NODEID tell them apart.
NodeName=n1 NodeHostname=$HPC_SITE_NAME NodeAddr=$HPC_SITE_ADDR Port=17001 CPUs=2 RealMemory=2000 State=UNKNOWN
NodeName=n2 NodeHostname=$HPC_SITE_NAME NodeAddr=$HPC_SITE_ADDR Port=17002 CPUs=2 RealMemory=2000 State=UNKNOWN
PartitionName=batch Nodes=$HPC_SITE_NAME Default=YES MaxTime=INFINITE State=UP
PartitionName=debug Nodes=$HPC_SITE_NAME MaxTime=60 State=UP
PartitionName=multi Nodes=n1,n2 MaxTime=INFINITE State=UP
CONF
  echo "CgroupPlugin=disabled" >"$up/etc/slurm/cgroup.conf"
  head -c 1024 /dev/urandom >"$up/etc/munge/munge.key"
  chown "$(root_uid munge)" "$up/etc/munge/munge.key"
  chmod 400 "$up/etc/munge/munge.key"

  ssh-keygen -q -t ed25519 -N '' -C "$HPC_SITE_NAME" -f "$up/etc/ssh/ssh_host_ed25519_key"
  cat >"$up/etc/ssh/sshd_config" <<CONF
ListenAddress $HPC_SITE_ADDR
Port 22
HostKey /etc/ssh/ssh_host_ed25519_key
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
UsePAM no
AllowUsers $HPC_SITE_USER
AuthorizedKeysFile .ssh/authorized_keys
PidFile /run/sshd.pid
Subsystem sftp internal-sftp
# Tests log in with wrong keys on purpose; OpenSSH >= 9.8 would then refuse the test host for a while.
PerSourcePenalties no
CONF
  cat >"$up/etc/hosts" <<HOSTS
127.0.0.1 localhost
$HPC_POOL_ADDR hpc-pool
$HPC_SITE_ADDR $HPC_SITE_NAME
HOSTS

  # The login user's key and the host key the client pins.
  mkdir -p "$SITE_STATE/client"
  chmod 700 "$SITE_STATE/client"
  ssh-keygen -q -t ed25519 -N '' -C "hpcop-local-stack" -f "$SITE_STATE/client/id_ed25519"
  cp "$SITE_STATE/client/id_ed25519.pub" "$up/home/$HPC_SITE_USER/.ssh/authorized_keys"
  chown -R "$(root_uid "$HPC_SITE_USER"):$(root_uid "$HPC_SITE_USER")" "$up/home/$HPC_SITE_USER"
  chmod 700 "$up/home/$HPC_SITE_USER/.ssh"
  chmod 600 "$up/home/$HPC_SITE_USER/.ssh/authorized_keys"
  echo "$HPC_SITE_ADDR $(cut -d' ' -f1-2 "$up/etc/ssh/ssh_host_ed25519_key.pub")" >"$SITE_STATE/client/known_hosts"
  cat >"$SITE_STATE/client/ssh_config" <<CONF
Host $HPC_SITE_NAME $HPC_SITE_ADDR
  HostName $HPC_SITE_ADDR
  User $HPC_SITE_USER
  IdentityFile $SITE_STATE/client/id_ed25519
  IdentitiesOnly yes
  UserKnownHostsFile $SITE_STATE/client/known_hosts
  StrictHostKeyChecking yes
  BatchMode yes
  ConnectTimeout 5
CONF

  # SGE: the cell was made for master host $HPC_SITE_NAME when the root was built (hack/build-rootfs.sh); the
  # queue and the parallel environment the sge adapter asks for (-pe smp N) are added at start-up.
  cat >"$up/usr/local/share/hpcop/smp.pe" <<CONF
pe_name            smp
slots              999
user_lists         NONE
xuser_lists        NONE
start_proc_args    NONE
stop_proc_args     NONE
allocation_rule    \$pe_slots
control_slaves     FALSE
job_is_first_task  TRUE
urgency_slots      min
accounting_summary FALSE
qsort_args         NONE
CONF
  {
    printf '%-21s %s\n' qname all.q hostlist "$HPC_SITE_NAME" seq_no 0 load_thresholds NONE \
      suspend_thresholds NONE nsuspend 1 suspend_interval 00:05:00 priority 0 min_cpu_interval 00:05:00 \
      processors UNDEFINED qtype "BATCH INTERACTIVE" ckpt_list NONE pe_list smp rerun FALSE slots 4 \
      tmpdir /tmp shell /bin/sh prolog NONE epilog NONE shell_start_mode posix_compliant starter_method NONE \
      suspend_method NONE resume_method NONE terminate_method NONE notify 00:00:60 owner_list NONE \
      user_lists NONE xuser_lists NONE subordinate_list NONE complex_values NONE projects NONE \
      xprojects NONE calendar NONE initial_state default
    for l in s_rt h_rt s_cpu h_cpu s_fsize h_fsize s_data h_data s_stack h_stack s_core h_core s_rss h_rss \
      s_vmem h_vmem; do printf '%-21s %s\n' "$l" INFINITY; done
  } >"$up/usr/local/share/hpcop/all.q"
  cat >"$up/usr/local/sbin/hpcop-sge-start" <<INIT
#!/bin/sh
# Starts the SGE cell of the site (qmaster, then execd) and adds queue all.q and PE smp when missing.
set -e
q() { runuser -u sgeadmin -- qconf "\$@"; }
# until SECONDS COMMAND...: poll every 0.2 s.
until_ok() {
  _n=\$((\$1 * 5)); shift
  until "\$@" >/dev/null 2>&1; do
    _n=\$((_n - 1)); [ "\$_n" -gt 0 ] || { echo "hpcop-sge-start: timed out: \$*" >&2; return 1; }
    sleep 0.2
  done
}
install -d -o sgeadmin -g sgeadmin /run/gridengine
/usr/sbin/sge_qmaster
until_ok 30 q -sh
/usr/sbin/sge_execd
until_ok 30 q -se $HPC_SITE_NAME
q -ss 2>/dev/null | grep -qx $HPC_SITE_NAME || q -as $HPC_SITE_NAME
q -sp smp >/dev/null 2>&1 || q -Ap /usr/local/share/hpcop/smp.pe
q -sq all.q >/dev/null 2>&1 || q -Aq /usr/local/share/hpcop/all.q
# Schedule every 2 s (the default 15 s only slows the tests down), like SLURM's sched_interval=2 above.
q -ssconf | sed 's/^schedule_interval .*/schedule_interval                 0:0:2/' >/run/gridengine/sconf
q -Msconf /run/gridengine/sconf
echo "hpcop-sge-start: SGE cell default up on $HPC_SITE_NAME (queue all.q, PE smp)"
INIT
  chmod 755 "$up/usr/local/sbin/hpcop-sge-start"

  cat >"$up/usr/local/sbin/hpcop-site-init" <<'INIT'
#!/bin/sh
# The site's services, as a login node + controller + compute node would run them.
set -e
install -d -o munge -g munge -m 0755 /run/munge
install -d -o slurm -g slurm /var/lib/slurm/slurmctld /var/log/slurm /run/slurm
install -d /var/lib/slurm/slurmd/$(hostname) /var/lib/slurm/slurmd/n1 /var/lib/slurm/slurmd/n2
install -d -m 0755 /run/sshd
runuser -u munge -- /usr/sbin/munged
/usr/sbin/slurmctld -D &
/usr/sbin/slurmd -D &
/usr/sbin/slurmd -D -N n1 &
/usr/sbin/slurmd -D -N n2 &
# The SGE daemons detach; they end with this pid namespace. A failure shows in stack.sh status.
/usr/local/sbin/hpcop-sge-start || echo "hpcop-site-init: SGE did not start" >&2
/usr/sbin/sshd -D -e &
wait
INIT
  chmod 755 "$up/usr/local/sbin/hpcop-site-init"
}

site_client() {
  mkdir -p "$HPC_STACK/bin"
  install_script "$HPC_STACK/bin/ssh" <<SH
#!/bin/sh
# ssh with the local stack's site entry (login key, pinned host key): \`ssh $HPC_SITE_NAME sinfo\`.
exec /usr/bin/ssh -F "$SITE_STATE/client/ssh_config" "\$@"
SH
}

site_exec() { nsenter --target "$(cat "$PIDS/site.init")" --net --mount --uts --pid -- "$@"; }

# slurm_state_ok STATE: a node state (sinfo %T) that serves jobs. A busy node (mixed, allocated, completing)
# is as healthy as an idle one; a suffix (idle* not responding, idle~ powered off, ...) or a drain is not.
slurm_state_ok() {
  case $1 in
    idle | mixed | allocated | completing) return 0 ;;
    *) return 1 ;;
  esac
}

# site_ready: every node of every partition serves jobs (sinfo prints one state per partition and state).
site_ready() {
  states=$("$HPC_STACK/bin/ssh" "$HPC_SITE_NAME" sinfo -h -o %T 2>/dev/null) || return 1
  [ -n "$states" ] || return 1
  for st in $states; do slurm_state_ok "$st" || return 1; done
}

# sge_ready: the queue instance on the site host is up with no state flag (an execd not yet reporting shows
# "au"), asked over SSH as the login user, like the operator does.
sge_ready() {
  "$HPC_STACK/bin/ssh" "$HPC_SITE_NAME" qstat -f -q "all.q@$HPC_SITE_NAME" 2>/dev/null |
    awk -v q="all.q@$HPC_SITE_NAME" '$1 == q && NF == 5 { ok = 1 } END { exit !ok }'
}

site_up() {
  if ! pid_alive "$PIDS/site.pid"; then
    rm -rf "$SITE_STATE"
    site_config
    start_namespace site "$HPC_NETNS" "$HPC_SITE_NAME" "$SITE_STATE" -- /usr/local/sbin/hpcop-site-init
  fi
  site_client
  wait_for 60 "the SLURM site to answer sinfo over SSH" site_ready
  wait_for 60 "the SGE queue all.q@$HPC_SITE_NAME to be up (qstat -f over SSH)" sge_ready
}

site_status() {
  status_line slurm-site site "$HPC_SITE_USER@$HPC_SITE_ADDR:22" site_ready
  status_line sge-site site "$HPC_SITE_USER@$HPC_SITE_ADDR:22" sge_ready
}
