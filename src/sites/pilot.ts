/**
 * The pilot batch script: a job on the HPC site that starts an HTCondor startd joining the VirtualCluster's
 * pool, advertises `VirtualCluster = "<ns>/<name>"`, runs only that VirtualCluster's jobs, exits when idle
 * and before its walltime ends. Every value is quoted for the shell; the VirtualCluster's setup snippet is
 * embedded base64-encoded, so it cannot break the script around it.
 */
import type { BatchSystemAdapter, PilotRequest } from './batch.js';
import {
  NODE_ATTRS,
  dedicatedEnv,
  hostsCommand,
  multiNodeScript,
  nodeIdentityLines,
  nodeMasterLines,
  starterEnvironmentLine,
} from './pilot-nodes.js';
import { shellQuote } from './shell.js';

export type CondorSource =
  /** condor_master is installed on the site, in sbinDir. */
  | { source: 'path'; sbinDir: string }
  /** `module load <module>` provides condor_master. */
  | { source: 'module'; module: string }
  /** The operator uploaded an HTCondor release tarball (bin/, sbin/, lib/, libexec/) to `tarball`. */
  | { source: 'bundle'; tarball: string };

export interface PilotOptions {
  adapter: BatchSystemAdapter;
  request: PilotRequest;
  /** namespace/name of the VirtualCluster. */
  virtualCluster: string;
  allocation: string;
  collectorHost: string;
  /** The pool's trust domain (the token's issuer). */
  trustDomain: string;
  /**
   * Where the pilot's token is (uploaded by the operator, mode 0600): the shared pool token, copied into the
   * pilot's private directory; or the pilot's own token directory, read in place (the operator renews the
   * token there while the pilot is queued) and removed when the pilot exits.
   */
  token: { shared: string } | { own: string };
  condor: CondorSource;
  setup?: string;
  idleShutdownSeconds: number;
  /** Seconds before the walltime ends at which the pilot shuts down gracefully. */
  shutdownMarginSeconds?: number;
  /** Scratch directory on the worker for pilot state; unset or empty: $TMPDIR, else /tmp. */
  scratchDir?: string;
  /** The allocation's container runtime hint (auto: let the wrapper choose). */
  containerRuntime?: string;
  updateIntervalSeconds?: number;
  /**
   * GPUs of the pilot: above 0 its startd runs HTCondor's GPU discovery and advertises what it finds (the GPUs
   * the batch system bound to the job, where it binds them); 0 or unset: discovery is off, no GPU advertised.
   */
  gpus?: number;
  /** Extra condor_gpu_discovery options (GPU_DISCOVERY_EXTRA), set by the operator's admin, e.g. -simulate:4,2. */
  gpuDiscoveryExtra?: string;
  /**
   * The Name of the schedd the VirtualCluster's steps go to: a multi-node pilot's startds name its dedicated
   * scheduler, which runs gang steps. Unset: the nodes take single-node steps only.
   */
  dedicatedScheduler?: string;
}

/**
 * condor_gpu_discovery options as GPU_DISCOVERY_EXTRA carries them: words that start with `-` (`-simulate:4,2`,
 * `-nvml`), nothing HTCondor would expand (`$(...)`) or a shell would read. The --pilot-gpu-discovery-extra
 * flag is checked against it too.
 */
export const GPU_DISCOVERY_OPTIONS = /^-[A-Za-z0-9_:,.=-]+( -[A-Za-z0-9_:,.=-]+)*$/;

/** A site path: `~/x` becomes `"$HOME"/'x'` (expanded by the site's shell), anything else is quoted. */
export function sitePath(p: string): string {
  if (p === '~') return '"$HOME"';
  if (p.startsWith('~/')) return `"$HOME"/${shellQuote(p.slice(2))}`;
  return shellQuote(p);
}

/** Counts and seconds go into directives and HTCondor settings as digits: whole numbers only. */
function wholeNumber(field: string, n: number, min: number): number {
  if (!Number.isSafeInteger(n) || n < min || n > 2 ** 31 - 1)
    throw new Error(`pilot ${field} must be a whole number from ${min} to ${2 ** 31 - 1}, not ${n}`);
  return n;
}

/**
 * Values written into the script must stay on their line: quoted, a line break would still start a line
 * that a batch system scanning for `#SBATCH`/`#PBS`/`#$` directives may read (SGE looks at every line).
 */
function oneLine(field: string, v: string | undefined): void {
  if (v !== undefined && /[\n\r]/.test(v)) throw new Error(`pilot ${field} must not contain a line break`);
}

/** Refuses values that cannot be carried in the script (a line break, a count that is not whole). */
function checkOptions(o: PilotOptions): void {
  const r = o.request;
  oneLine('virtualCluster', o.virtualCluster);
  oneLine('allocation', o.allocation);
  oneLine('collectorHost', o.collectorHost);
  oneLine('trustDomain', o.trustDomain);
  oneLine('token', 'shared' in o.token ? o.token.shared : o.token.own);
  oneLine('scratchDir', o.scratchDir);
  oneLine('containerRuntime', o.containerRuntime);
  oneLine('dedicatedScheduler', o.dedicatedScheduler);
  if (o.dedicatedScheduler !== undefined && !/^[A-Za-z0-9_.@-]+$/.test(o.dedicatedScheduler))
    throw new Error(`pilot dedicatedScheduler ${JSON.stringify(o.dedicatedScheduler)} is not a schedd name`);
  if (o.gpuDiscoveryExtra !== undefined && !GPU_DISCOVERY_OPTIONS.test(o.gpuDiscoveryExtra))
    throw new Error(
      `pilot gpuDiscoveryExtra ${JSON.stringify(o.gpuDiscoveryExtra)} is not a list of -options`,
    );
  const c = o.condor;
  oneLine(
    `condor.${c.source === 'path' ? 'sbinDir' : c.source === 'module' ? 'module' : 'tarball'}`,
    c.source === 'path' ? c.sbinDir : c.source === 'module' ? c.module : c.tarball,
  );
  wholeNumber('walltimeSeconds', r.walltimeSeconds, 1);
  wholeNumber('nodes', r.nodes, 1);
  wholeNumber('cores', r.cores, 1);
  wholeNumber('memoryMiB', r.memoryMiB, 1);
  if (r.gpus !== undefined) wholeNumber('request.gpus', r.gpus, 0);
  if (o.gpus !== undefined) wholeNumber('gpus', o.gpus, 0);
  wholeNumber('idleShutdownSeconds', o.idleShutdownSeconds, 0);
  if (o.shutdownMarginSeconds !== undefined) wholeNumber('shutdownMarginSeconds', o.shutdownMarginSeconds, 0);
  if (o.updateIntervalSeconds !== undefined) wholeNumber('updateIntervalSeconds', o.updateIntervalSeconds, 1);
}

/**
 * How long a pilot of `walltimeSeconds` takes steps: its daemons shut down gracefully this long after they
 * start, `shutdownMarginSeconds` (default: a tenth of the walltime, at most 10 minutes) before the batch system
 * would kill it. Its advertised end (HPCPilotEnd) is its start plus this.
 */
export function pilotLifetimeSeconds(walltimeSeconds: number, shutdownMarginSeconds?: number): number {
  const margin = shutdownMarginSeconds ?? Math.min(600, Math.floor(walltimeSeconds / 10));
  return Math.max(60, walltimeSeconds - margin);
}

/**
 * A step may start only if it ends before the pilot does: the pilot's HPCPilotEnd, less the step's
 * HPCWalltimeNeeded (its walltime plus the VirtualCluster's margin), must not have passed. A step without one
 * (none given, no default) may start until HPCPilotEnd: the startd's own shutdown comes a few seconds later
 * (it counts from its start, and looks at each update), and without this a step could start in between
 * (bench/walltime saw steps start 12-14 s after the end). Running steps are never stopped by START.
 */
export const WALLTIME_START =
  '(time() < MY.HPCPilotEnd && (TARGET.HPCWalltimeNeeded =?= undefined || time() + TARGET.HPCWalltimeNeeded <= MY.HPCPilotEnd))';

/**
 * How often the pilot's master looks at DAEMON_SHUTDOWN (it does at each of its updates, by default every 5
 * minutes): often enough to exit within the shutdown margin, else the batch system kills a short pilot at its
 * time limit and the operator counts it as failed (bench/walltime: 3-minute pilots, an 18 s margin).
 */
export function masterUpdateIntervalSeconds(
  walltimeSeconds: number,
  updateIntervalSeconds: number,
  shutdownMarginSeconds?: number,
): number {
  const margin = walltimeSeconds - pilotLifetimeSeconds(walltimeSeconds, shutdownMarginSeconds);
  return Math.max(5, Math.min(updateIntervalSeconds, Math.floor(margin / 3)));
}

/** The HTCondor configuration of the pilot's startd, as _CONDOR_ environment variables. */
function condorEnv(o: PilotOptions): [string, string][] {
  const multi = o.request.nodes > 1;
  const lifetime = pilotLifetimeSeconds(o.request.walltimeSeconds, o.shutdownMarginSeconds);
  const env: [string, string][] = [
    ['_CONDOR_CONDOR_HOST', o.collectorHost],
    ['_CONDOR_COLLECTOR_HOST', o.collectorHost],
    // Sites put workers behind NAT: the schedd reaches the startd through the collector.
    ['_CONDOR_CCB_ADDRESS', '$(COLLECTOR_HOST)'],
    ['_CONDOR_TRUST_DOMAIN', o.trustDomain],
    ['_CONDOR_UID_DOMAIN', o.trustDomain],
    ['_CONDOR_SEC_CLIENT_AUTHENTICATION_METHODS', 'IDTOKENS,FS'],
    ['_CONDOR_DAEMON_LIST', 'MASTER, STARTD'],
    ['_CONDOR_USE_SHARED_PORT', 'False'],
    ['_CONDOR_NUM_CPUS', String(o.request.cores)],
    ['_CONDOR_MEMORY', String(o.request.memoryMiB)],
    ['_CONDOR_NUM_SLOTS_TYPE_1', '1'],
    ['_CONDOR_SLOT_TYPE_1', '100%'],
    ['_CONDOR_SLOT_TYPE_1_PARTITIONABLE', 'True'],
    ['_CONDOR_VirtualCluster', JSON.stringify(o.virtualCluster)],
    ['_CONDOR_HPCAllocation', JSON.stringify(o.allocation)],
    ['_CONDOR_HPCPilot', JSON.stringify(o.request.name)],
    ['_CONDOR_HPCContainerRuntime', JSON.stringify(o.containerRuntime ?? 'auto')],
    [
      '_CONDOR_STARTD_ATTRS',
      `VirtualCluster HPCAllocation HPCPilot HPCContainerRuntime HPCPilotEnd${multi ? ` ${NODE_ATTRS}` : ''}`,
    ],
    // Only this VirtualCluster's jobs, and only those that end before the pilot does.
    [
      '_CONDOR_START',
      `(TARGET.HPCVirtualCluster =?= ${JSON.stringify(o.virtualCluster)}) && ${WALLTIME_START}`,
    ],
    // A multi-node pilot ends when all its nodes are idle (pilot-nodes.ts), not node by node.
    ...(multi
      ? []
      : [['_CONDOR_STARTD_NOCLAIM_SHUTDOWN', String(o.idleShutdownSeconds)] as [string, string]]),
    // Every daemon (the master last) shuts down gracefully before the batch system kills the pilot.
    ['_CONDOR_DAEMON_SHUTDOWN', `(time() - DaemonStartTime) > ${lifetime}`],
    ['_CONDOR_UPDATE_INTERVAL', String(o.updateIntervalSeconds ?? 60)],
    [
      '_CONDOR_MASTER_UPDATE_INTERVAL',
      String(
        masterUpdateIntervalSeconds(
          o.request.walltimeSeconds,
          o.updateIntervalSeconds ?? 60,
          o.shutdownMarginSeconds,
        ),
      ),
    ],
    ['_CONDOR_RUNBENCHMARKS', 'False'],
    // An unprivileged startd cannot use these on a shared HPC node.
    ['_CONDOR_MOUNT_UNDER_SCRATCH', ''],
    ['_CONDOR_USE_PID_NAMESPACES', 'False'],
    ['_CONDOR_BASE_CGROUP', ''],
    ['_CONDOR_CGROUP_MEMORY_LIMIT_POLICY', 'none'],
  ];
  if (!multi && o.containerRuntime && o.containerRuntime !== 'auto') {
    env.push(['_CONDOR_STARTER_JOB_ENVIRONMENT', `HPC_RUNTIME_ORDER=${o.containerRuntime}`]);
  }
  return [...env, ...gpuEnv(o), ...(multi ? dedicatedEnv(o.dedicatedScheduler) : [])];
}

/**
 * GPU discovery (HTCondor 23.5 and later run it by default, with STARTD_DETECT_GPUS): on for a pilot with GPUs
 * (set again in case the site's configuration turned it off), off for one without, which must not advertise
 * the GPUs of a node it shares (the batch system gave it none). The starter then gives each job the devices
 * it was assigned in CUDA_VISIBLE_DEVICES.
 */
function gpuEnv(o: PilotOptions): [string, string][] {
  if (!o.gpus) return [['_CONDOR_STARTD_DETECT_GPUS', 'false']];
  const env: [string, string][] = [['_CONDOR_STARTD_DETECT_GPUS', '-properties $(GPU_DISCOVERY_EXTRA)']];
  if (o.gpuDiscoveryExtra) env.push(['_CONDOR_GPU_DISCOVERY_EXTRA', o.gpuDiscoveryExtra]);
  return env;
}

/** The directives and what the script is. */
function header(o: PilotOptions): string[] {
  return [
    '#!/bin/sh',
    ...o.adapter.directives(o.request),
    // JSON strings: a line break in a name cannot end the comment and start a command.
    `# Pilot ${JSON.stringify(o.request.name)} of VirtualCluster ${JSON.stringify(o.virtualCluster)}, allocation ${JSON.stringify(o.allocation)}.`,
    '# Written by the HPC operator; it starts an HTCondor startd that joins the pool, then exits when idle.',
  ];
}

/**
 * The private scratch directory and the setup snippet. A node of a multi-node pilot also learns its index
 * (its first argument) and the batch job's id.
 */
function preamble(o: PilotOptions, multi: boolean): string[] {
  const q = shellQuote;
  const lines: string[] = ['set -u'];
  if (multi) lines.push('I=${1:-0}', 'J=${SLURM_JOB_ID:-${PBS_JOBID:-${LSB_JOBID:-${JOB_ID:-$$}}}}');
  lines.push(
    // The pilot's own directory (the pool token goes there): new, private (0700) and with an unpredictable
    // name. A fixed name (it was <name>-<pid>) on a shared node can be made first by anyone, who then gets
    // the token, or a symlink.
    `B=${o.scratchDir ? sitePath(o.scratchDir) : '"${TMPDIR:-/tmp}"'}`,
    `mkdir -p "$B" && D=$(mktemp -d "$B"/hpcop-pilot-${q(o.request.name)}${multi ? '-n"$I"' : ''}-XXXXXX) || { echo "hpc pilot: cannot make a private directory in $B" >&2; exit 1; }`,
    'mkdir -p "$D/log" "$D/spool" "$D/execute" "$D/lock" "$D/run" "$D/tokens.d" || exit 1',
    // The pilot's own token directory (set below when it has one) goes with it. Emptied first: batch systems
    // pass the submitter's environment on, and a variable of the same name there must never be removed.
    // A node of a multi-node pilot never sets it: the batch script removes it after the last node.
    "HPCOP_OWN_TOKEN_DIR=''",
    'trap \'rm -rf "$D"; [ -n "$HPCOP_OWN_TOKEN_DIR" ] && rm -rf "$HPCOP_OWN_TOKEN_DIR"\' EXIT',
    "trap 'exit 143' TERM INT",
  );
  if (o.setup) {
    lines.push(`# The VirtualCluster's setup (base64 of spec.allocations[].setup).`);
    lines.push(`eval "$(printf '%s' ${q(Buffer.from(o.setup, 'utf8').toString('base64'))} | base64 -d)"`);
  }
  return lines;
}

/** Where condor_master comes from: MASTER=... */
function condorSourceLines(c: CondorSource): string[] {
  const q = shellQuote;
  switch (c.source) {
    case 'path':
      return [`MASTER=${sitePath(c.sbinDir)}/condor_master`];
    case 'module':
      return [
        'if ! command -v module >/dev/null 2>&1; then',
        '  for init in /usr/share/lmod/lmod/init/sh /etc/profile.d/lmod.sh /usr/share/modules/init/sh /etc/profile.d/modules.sh; do',
        '    if [ -r "$init" ]; then . "$init" && break; fi',
        '  done',
        'fi',
        `module load ${q(c.module)} || { echo 'hpc pilot: module load failed:' ${q(c.module)} >&2; exit 1; }`,
        'MASTER=$(command -v condor_master)',
      ];
    case 'bundle':
      return [
        'mkdir -p "$D/release" && tar -xzf ' +
          sitePath(c.tarball) +
          ' -C "$D/release" --strip-components=1 || exit 1',
        'export PATH="$D/release/bin:$D/release/sbin:$PATH"',
        'export LD_LIBRARY_PATH="$D/release/lib:$D/release/lib/condor${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"',
        'export _CONDOR_RELEASE_DIR="$D/release" _CONDOR_LIBEXEC="$D/release/libexec"',
        'MASTER="$D/release/sbin/condor_master"',
      ];
  }
}

/** How the master runs: in the foreground, or behind a trap that turns the batch system's warning into TERM. */
function masterLines(adapter: BatchSystemAdapter): string[] {
  const warn = adapter.warningSignal;
  if (!warn)
    return [
      '# The master runs in the foreground: the batch job lives exactly as long as the pilot.',
      '"$MASTER" -f',
      'status=$?',
    ];
  return [
    `# ${adapter.name} warns the whole job with SIG${warn} before it kills it: the master ignores that signal`,
    '# (so does the startd it starts) and gets SIGTERM from here instead, a graceful shutdown that withdraws',
    '# the slots from the pool. The batch job still lives exactly as long as the pilot.',
    `trap '' ${warn}`,
    '"$MASTER" -f &',
    'master=$!',
    `trap 'kill -TERM "$master" 2>/dev/null' ${warn} TERM`,
    // wait returns early (status > 128) when a trapped signal arrives: wait again until the master is gone.
    'status=0',
    'while kill -0 "$master" 2>/dev/null; do wait "$master"; status=$?; done',
    // A shell that reaped the master in the trap still knows its status (127: it does not).
    'wait "$master" 2>/dev/null; last=$?',
    '[ "$last" = 127 ] || status=$last',
  ];
}

/** Where the daemons find the pilot's token: a private copy of the shared one, or its own, read in place. */
function tokenLines(t: PilotOptions['token'], multi: boolean): string[] {
  if ('shared' in t)
    return [
      `cp ${sitePath(t.shared)} "$D/tokens.d/pilot" && chmod 600 "$D/tokens.d/pilot" || exit 1`,
      'export _CONDOR_SEC_TOKEN_DIRECTORY="$D/tokens.d"',
    ];
  const v = multi ? 'T' : 'HPCOP_OWN_TOKEN_DIR';
  return [
    `${v}=${sitePath(t.own)}`,
    `[ -s "$${v}/token" ] || { echo "hpc pilot: no token of its own at $${v}" >&2; exit 1; }`,
    `export _CONDOR_SEC_TOKEN_DIRECTORY="$${v}"`,
  ];
}

/**
 * The pilot's batch script. With one node, the script is the startd's; with several, it starts the same node
 * part on each node (pilot-nodes.ts).
 */
export function pilotScript(o: PilotOptions): string {
  checkOptions(o);
  if (o.request.nodes === 1) return [...header(o), ...nodePart(o, false)].join('\n');
  const ownTokenDir = 'own' in o.token ? sitePath(o.token.own) : undefined;
  const part = ['#!/bin/sh', `# One node of pilot ${JSON.stringify(o.request.name)}.`, ...nodePart(o, true)];
  return multiNodeScript(header(o), o.adapter, part.join('\n'), ownTokenDir);
}

/** What runs on a node: the private directory, condor_master's configuration, the master itself. */
function nodePart(o: PilotOptions, multi: boolean): string[] {
  const q = shellQuote;
  const lines = [...preamble(o, multi), ...condorSourceLines(o.condor)];
  lines.push(
    '[ -x "$MASTER" ] || { echo "hpc pilot: no condor_master at $MASTER" >&2; exit 1; }',
    ...tokenLines(o.token, multi),
    'export _CONDOR_LOCAL_DIR="$D" _CONDOR_LOG="$D/log" _CONDOR_SPOOL="$D/spool" _CONDOR_EXECUTE="$D/execute"',
    'export _CONDOR_LOCK="$D/lock" _CONDOR_RUN="$D/run"',
  );
  if (multi) lines.push(...nodeIdentityLines(o.request.name, o.request.nodes));
  else
    lines.push(
      `export _CONDOR_MASTER_NAME=${q(o.request.name)}-"\${SLURM_JOB_ID:-\${PBS_JOBID:-\${LSB_JOBID:-\${JOB_ID:-$$}}}}"`,
      'export _CONDOR_STARTD_NAME="$_CONDOR_MASTER_NAME"',
    );
  for (const [k, v] of condorEnv(o)) lines.push(`export ${k}=${q(v)}`);
  if (multi)
    lines.push(
      `HPCOP_HOSTS=$(${hostsCommand(o.adapter)} | paste -sd, -)`,
      starterEnvironmentLine(o.adapter, o.request.nodes, o.containerRuntime),
    );
  // When the daemons will shut down (DAEMON_SHUTDOWN counts from the master's start, a moment later).
  const lifetime = pilotLifetimeSeconds(o.request.walltimeSeconds, o.shutdownMarginSeconds);
  lines.push(`export _CONDOR_HPCPilotEnd=$(( $(date +%s) + ${lifetime} ))`);
  lines.push(
    ...(multi
      ? nodeMasterLines(o.adapter, o.request.name, o.idleShutdownSeconds, o.updateIntervalSeconds ?? 60)
      : masterLines(o.adapter)),
    // condor_master exits 99 after DAEMON_SHUTDOWN: that is the normal end of a pilot.
    '[ "$status" = 99 ] && status=0',
    'exit "$status"',
    '',
  );
  return lines;
}
