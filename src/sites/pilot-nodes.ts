/**
 * Pilots of several nodes (workers.nodes > 1): the batch script starts the same node part once per node through
 * the site's launcher (SLURM srun, PBS/Torque pbsdsh, LSF blaunch, SGE qrsh -inherit) and waits for them all.
 * Each node part runs its own condor_master + startd, named `<pilot>-<batch id>-n<index>`, all advertising the
 * same HPCPilot, and a ParallelSchedulingGroup of the allocation so that a gang step (the parallel universe)
 * takes nodes of one pilot only. Idle shutdown is decided for the allocation as a whole: a node that left
 * alone would keep its node allocated and unusable for gang steps.
 */
import type { BatchSystemAdapter } from './batch.js';
import { shellQuote } from './shell.js';

/** The node part, decoded and run by a shell on each node; its index is its first argument. */
function nodeCommand(nodePartBase64: string, index: string): string {
  return `printf %s ${nodePartBase64} | base64 -d | /bin/sh -s -- ${index}`;
}

/**
 * Batch-script lines that start the node part once per node in the background, adding each launcher's pid to
 * `$pids`. SLURM is verified on the local stack; the others follow their documented usage (see
 * docs/site-admin-guide.md) and are checked as text only.
 */
export function launchLines(adapter: BatchSystemAdapter, nodePartBase64: string): string[] {
  const loop = (hosts: string, start: (h: string) => string): string[] => [
    'i=0',
    `for h in $(${hosts}); do`,
    `  ${start('"$h"')} &`,
    '  pids="$pids $!"; i=$((i + 1))',
    'done',
  ];
  const cmd = nodeCommand(nodePartBase64, '$i');
  switch (adapter.name) {
    case 'slurm':
      // SLURM_NODEID is the node's index in the step, set by srun on each node.
      return [
        `srun --nodes="$SLURM_NNODES" --ntasks-per-node=1 /bin/sh -c ${shellQuote(nodeCommand(nodePartBase64, '"$SLURM_NODEID"'))} &`,
        'pids="$pids $!"',
      ];
    case 'pbs':
    case 'torque':
      // pbsdsh -n <k> runs on the k-th line of PBS_NODEFILE; the first line of each host is its node.
      return loop(
        `awk '!s[$0]++ { print NR - 1 }' "$PBS_NODEFILE"`,
        (k) => `pbsdsh -n ${k} -- /bin/sh -c "${cmd}"`,
      );
    case 'lsf':
      // blaunch runs its command through a shell on the host, like rsh.
      return loop(hostsCommand(adapter), (h) => `blaunch -z ${h} "${cmd}"`);
    case 'sge':
      return loop(hostsCommand(adapter), (h) => `qrsh -inherit -nostdin ${h} "${cmd}"`);
    default:
      throw new Error(`no per-node launcher for batch system ${adapter.name}`);
  }
}

/** The allocation's hosts in the batch system's order, one per line (a shell command for the node part). */
export function hostsCommand(adapter: BatchSystemAdapter): string {
  switch (adapter.name) {
    case 'slurm':
      return 'scontrol show hostnames "$SLURM_JOB_NODELIST"';
    case 'pbs':
    case 'torque':
      return `awk '!s[$0]++' "$PBS_NODEFILE"`;
    case 'lsf':
      return `printf '%s\\n' $LSB_HOSTS | awk '!s[$0]++'`;
    default:
      return `awk '{ print $1 }' "$PE_HOSTFILE"`;
  }
}

/**
 * What a gang step's job wrapper needs to launch its command across the allocation, passed by each startd to
 * its jobs (STARTER_JOB_ENVIRONMENT, HTCondor's quoted form): the launcher, the node count and hosts, and on
 * SLURM the job to attach srun to. SLURM_OVERLAP lets that srun share the CPUs the startds' own step holds
 * (without it srun waits for ever: "Requested nodes are busy").
 */
export function starterEnvironmentLine(adapter: BatchSystemAdapter, nodes: number, runtime?: string): string {
  const words = [
    `HPC_PILOT_BATCH=${adapter.name}`,
    `HPC_PILOT_NODES=${nodes}`,
    'HPC_PILOT_HOSTS=$HPCOP_HOSTS',
  ];
  if (adapter.name === 'slurm')
    words.push(
      'SLURM_JOB_ID=$SLURM_JOB_ID',
      'SLURM_JOB_NODELIST=$SLURM_JOB_NODELIST',
      'SLURM_NNODES=$SLURM_NNODES',
      'SLURM_OVERLAP=1',
    );
  if (runtime && runtime !== 'auto') words.push(`HPC_RUNTIME_ORDER=${shellQuote(runtime)}`);
  return `export _CONDOR_STARTER_JOB_ENVIRONMENT="\\"${words.join(' ')}\\""`;
}

/**
 * The settings that make the node's startd part of one dedicated group (static: the shell-dependent values are
 * set by nodeIdentityLines). RANK makes a dedicated claim rank 1, and CLAIM_WORKLIFE ends such a claim when its
 * job ends: the schedd's dedicated scheduler releases claims with a command a pilot startd cannot
 * authenticate (it has no pool signing key), so the slots would otherwise stay Claimed.
 */
export function dedicatedEnv(dedicatedScheduler: string | undefined): [string, string][] {
  if (!dedicatedScheduler) return [];
  return [
    ['_CONDOR_DedicatedScheduler', JSON.stringify(`DedicatedScheduler@${dedicatedScheduler}`)],
    ['_CONDOR_RANK', 'Scheduler =?= $(DedicatedScheduler)'],
    ['_CONDOR_CLAIM_WORKLIFE', 'ifThenElse(CurrentRank =?= 1.0, 0, 1200)'],
    ['_CONDOR_SUSPEND', 'False'],
    ['_CONDOR_CONTINUE', 'True'],
    ['_CONDOR_PREEMPT', 'False'],
    ['_CONDOR_KILL', 'False'],
    ['_CONDOR_WANT_SUSPEND', 'False'],
    ['_CONDOR_WANT_VACATE', 'False'],
  ];
}

/** Attributes a node's startd adds to STARTD_ATTRS. */
export const NODE_ATTRS =
  'HPCPilotNode HPCPilotNodes HPCBatchJobId ParallelSchedulingGroup DedicatedScheduler';

/** The node's index, batch id, name and group (after `I` and `J` are set). */
export function nodeIdentityLines(pilot: string, nodes: number): string[] {
  const q = shellQuote;
  return [
    `export _CONDOR_MASTER_NAME=${q(pilot)}-"$J"-n"$I"`,
    'export _CONDOR_STARTD_NAME="$_CONDOR_MASTER_NAME"',
    `export _CONDOR_HPCPilotNode="$I" _CONDOR_HPCPilotNodes=${nodes} _CONDOR_HPCBatchJobId="\\"$J\\""`,
    `export _CONDOR_ParallelSchedulingGroup="\\"${pilot}-$J\\""`,
  ];
}

/**
 * Idle shutdown of the whole pilot: every node asks the collector (the pilot's token may READ) whether any
 * slot of this batch job is Claimed, and shuts its own master down after `idleSeconds` without one. All nodes
 * see the same answer, so they leave together. A failed query counts as busy: a pilot is never ended on a
 * collector it cannot read (its walltime still ends it).
 */
function idleWatchLines(pilot: string, idleSeconds: number, pollSeconds: number): string[] {
  const constraint = `HPCPilot =?= \\"${pilot}\\" && HPCBatchJobId =?= \\"$J\\" && State =?= \\"Claimed\\"`;
  return [
    'hpcop_idle_watch() {',
    // Its sleep goes with it: a sleep left behind would hold the node's output open after the node is done.
    "  nap=''",
    '  trap \'[ -n "$nap" ] && kill "$nap" 2>/dev/null; exit 0\' TERM',
    '  since=$(date +%s)',
    '  while kill -0 "$master" 2>/dev/null; do',
    `    sleep ${pollSeconds} & nap=$!`,
    '    wait "$nap"',
    `    busy=$("$STATUS" -const "${constraint}" -af Name 2>/dev/null) || busy=unknown`,
    '    now=$(date +%s)',
    '    [ -n "$busy" ] && since=$now',
    `    if [ $((now - since)) -ge ${idleSeconds} ]; then`,
    `      echo "hpc pilot: no step on any node for ${idleSeconds}s: node $I shuts down" >&2`,
    '      kill -TERM "$master" 2>/dev/null; return',
    '    fi',
    '  done',
    '}',
    'hpcop_idle_watch </dev/null & watch=$!',
  ];
}

/**
 * After the master is gone, the node withdraws its own slot ads (its token may ADVERTISE_STARTD): a startd
 * killed mid-shutdown (SLURM signals every process of the step, condor_procd included) exits without doing it,
 * and the collector would keep its slots for 15 minutes, where the dedicated scheduler keeps starting shadows.
 */
function withdrawLines(): string[] {
  return [
    'kill "$watch" 2>/dev/null',
    `printf 'MyType = "Query"\\nTargetType = "Machine"\\nRequirements = regexp("@%s@", Name)\\n' "$_CONDOR_STARTD_NAME" >"$D/withdraw.ad"`,
    '"$ADVERTISE" INVALIDATE_STARTD_ADS "$D/withdraw.ad" >/dev/null 2>&1 || echo "hpc pilot: could not withdraw the slots of $_CONDOR_STARTD_NAME" >&2',
  ];
}

/** Where the node part finds condor_status and condor_advertise: on PATH, else beside condor_master. */
const TOOL_LINES = [
  'STATUS=$(command -v condor_status || echo "${MASTER%/*}/../bin/condor_status")',
  'ADVERTISE=$(command -v condor_advertise || echo "${MASTER%/*}/condor_advertise")',
];

/**
 * The batch script of a multi-node pilot: the node part (base64, so nothing in it can break the script
 * around it) started on every node, then waited for. The pilot's own token directory is shared by its nodes
 * and removed here, after the last one is gone.
 */
export function multiNodeScript(
  header: string[],
  adapter: BatchSystemAdapter,
  nodePart: string,
  ownTokenDir: string | undefined,
): string {
  const b64 = Buffer.from(nodePart, 'utf8').toString('base64');
  const signals = ['TERM', 'INT', ...(adapter.warningSignal ? [adapter.warningSignal] : [])].join(' ');
  return [
    ...header,
    'set -u',
    "HPCOP_OWN_TOKEN_DIR=''",
    ...(ownTokenDir ? [`HPCOP_OWN_TOKEN_DIR=${ownTokenDir}`] : []),
    'trap \'[ -n "$HPCOP_OWN_TOKEN_DIR" ] && rm -rf "$HPCOP_OWN_TOKEN_DIR"\' EXIT',
    `# The node part (base64): one condor_master and startd per node, started by ${adapter.name}'s launcher.`,
    'pids=""',
    ...launchLines(adapter, b64),
    `trap 'kill -TERM $pids 2>/dev/null' ${signals}`,
    // wait returns early when a trapped signal arrives: wait again until each launcher is gone.
    'status=0',
    'for p in $pids; do',
    '  st=0; while kill -0 "$p" 2>/dev/null; do wait "$p"; st=$?; done',
    '  wait "$p" 2>/dev/null; last=$?; [ "$last" = 127 ] || st=$last',
    '  [ "$st" = 0 ] || status=$st',
    'done',
    'exit "$status"',
    '',
  ].join('\n');
}

/**
 * A node's master runs in the background: the node watches the whole pilot for idleness meanwhile, and
 * withdraws its slots once the master is gone. The batch system's warning signal (SGE) becomes a graceful
 * shutdown, as for a single-node pilot.
 */
export function nodeMasterLines(
  adapter: BatchSystemAdapter,
  pilot: string,
  idleSeconds: number,
  updateIntervalSeconds: number,
): string[] {
  const warn = adapter.warningSignal;
  const poll = Math.max(5, Math.min(30, updateIntervalSeconds));
  return [
    ...TOOL_LINES,
    ...(warn ? [`trap '' ${warn}`] : []),
    '"$MASTER" -f </dev/null &',
    'master=$!',
    `trap 'kill -TERM "$master" 2>/dev/null' TERM INT${warn ? ` ${warn}` : ''}`,
    ...idleWatchLines(pilot, idleSeconds, poll),
    'status=0',
    'while kill -0 "$master" 2>/dev/null; do wait "$master"; status=$?; done',
    'wait "$master" 2>/dev/null; last=$?',
    '[ "$last" = 127 ] || status=$last',
    ...withdrawLines(),
  ];
}
