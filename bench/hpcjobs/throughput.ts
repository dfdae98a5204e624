/**
 * N HPCJobs applied at once whose jobs never match a slot: submission and tracking, state changes made en
 * masse with condor_hold / condor_release (the time until each HPCJob shows them read from a watch), and the
 * floors of floors.ts measured in the same run.
 */
import { createNamespace, deleteNamespace } from '../../test/support/stack/kube.js';
import type { OperatorProcess } from '../../test/support/stack/operator.js';
import { uniqueName, waitFor } from '../../test/support/stack/stack.js';
import {
  NEVER,
  createHPCJobs,
  deleteHPCJobs,
  kc,
  percentile,
  phaseWatch,
  sd,
  startOperator,
  usage,
  type PhaseWatch,
} from './cluster.js';
import {
  apiWritesFloor,
  createAndWriteFloor,
  perJobStrategy,
  scheddOwnLimit,
  type PerJob,
} from './floors.js';
import { measuringCpu, type CpuShare } from './cpu-share.js';
import { settle } from './settle.js';
import { startTimeline } from './timeline.js';
import { writesPerJob, type WritesByKind } from './writes.js';

export interface Latency {
  hold: number[];
  release: number[];
}

export interface Row {
  n: number;
  /** Created with the operator's finalizer in the manifest (as the REANA backend does), or without. */
  withFinalizer: boolean;
  createSeconds: number;
  createToSubmittedSeconds: number;
  /** Where the machine's CPU went from the first create to the last HPCJob Queued. */
  submitCpu: CpuShare;
  condorSubmits: number;
  adoptQueries: number;
  trackQueriesPerMinute: number;
  historyPerMinute: number;
  /** A slice of 100 jobs changed while all N are tracked, and every job changed at once. */
  latency: { slice: Latency; all: Latency };
  cpuSeconds: number;
  peakRssMiB: number;
  /** V8 heap in use and reserved, and memory outside it (buffers), at the end of the run (MiB). */
  heapUsedMiB: number;
  heapTotalMiB: number;
  externalMiB: number;
  /** API writes per HPCJob: from create to all Queued, and over the whole run (hold and release included). */
  submitWrites: WritesByKind;
  allWrites: WritesByKind;
  scheddOwnSeconds: number;
  apiWritesSeconds: number;
  /** (d) The API server alone: the same N creates plus one status write each, and the CPU it took. */
  createAndWriteSeconds: number;
  createAndWriteCpu: CpuShare;
  perJob?: PerJob;
}

/** job-0 … job-99: the jobs of the 100-job slice, by HPCJobRef (namespace/name). */
const SLICE_CONSTRAINT = 'regexp("/job-[0-9][0-9]?$", HPCJobRef)';
const SLICE = Array.from({ length: 100 }, (_, i) => `job-${i}`);
/** What every benchmark HPCJob runs (the finalizer, or not, is the run's choice). */
const SPEC = {
  command: ['/bin/true'],
  requirements: NEVER,
  // A hold by hand (code 1) is reported and left alone for an hour: the bench releases it itself.
  retryPolicy: { backoff: { initial: '1h' }, rules: [{ onHoldCodes: [1], action: 'release' }] },
};

/**
 * One run of N HPCJobs. `withFinalizer`: created with the operator's finalizer (as the REANA backend creates
 * them) instead of the way `kubectl apply` does (the operator then adds it: one write more per HPCJob).
 */
export async function runThroughput(n: number, withFinalizer = false): Promise<Row> {
  const ns = uniqueName(`bench-${n}`);
  await createNamespace(kc, ns);
  let op = await startOperator(ns);
  const watch = phaseWatch(ns);
  const names = Array.from({ length: n }, (_, i) => `job-${i}`);
  try {
    const m0 = await op.metrics();
    const submitted = await submitAll(op, ns, names, watch, withFinalizer);
    progress(n, 'submitted', submitted);
    const m1 = await op.metrics();
    const tracking = await quietMinute(op);
    const slice = await changeStates(
      op,
      watch,
      SLICE.filter((x) => names.includes(x)),
      `HPCOperator == "${ns}" && ${SLICE_CONSTRAINT}`,
    );
    const all = await changeStates(op, watch, names, `HPCOperator == "${ns}"`);
    const { cpu, hwm } = usage(op.pid as number);
    progress(n, 'all changed at once (s)', {
      holdP99: percentile(all.hold, 99),
      releaseP99: percentile(all.release, 99),
      cpu,
      hwm,
    });
    const m3 = await op.metrics();
    const memory = await condorAndMemory(op, m3);
    // (b) on the same objects with the operator stopped: it would react to every write (a reconcile each,
    // on the same two cores) and finish its own work meanwhile. A new operator process cleans up after.
    await op.stop();
    const apiWritesSeconds = await apiWritesFloor(ns, names);
    progress(n, '(b) API writes', { apiWritesSeconds });
    op = await startOperator(ns);
    const floors = await cleanupAndFloors(ns, names, n);
    progress(n, '(a) schedd own', floors);
    const { result: createAndWriteSeconds, cpu: createAndWriteCpu } = await measuringCpu(op.pid, () =>
      floorInOwnNamespace(ns, names),
    );
    progress(n, '(d) API creates + writes', { createAndWriteSeconds, createAndWriteCpu });
    return {
      n,
      withFinalizer,
      createAndWriteSeconds,
      createAndWriteCpu,
      ...submitted,
      ...tracking,
      ...memory,
      latency: { slice, all },
      cpuSeconds: cpu,
      peakRssMiB: hwm,
      submitWrites: await writesPerJob(op, m0, m1, n),
      allWrites: await writesPerJob(op, m0, m3, n),
      apiWritesSeconds,
      ...floors,
    };
  } finally {
    watch.stop();
    await op.stop();
    await deleteNamespace(kc, ns);
  }
}

/** What was measured so far, printed at once: a long run that fails later keeps it. */
function progress(n: number, what: string, values: object): void {
  console.log(`  N=${n} ${what}: ${JSON.stringify(values)}`);
}

/**
 * Creates the HPCJobs and waits until every one was seen Queued, with a timeline of the phase and where the
 * machine's CPU went over it (cpu-share.ts).
 */
async function submitAll(
  op: OperatorProcess,
  ns: string,
  names: string[],
  watch: PhaseWatch,
  withFinalizer: boolean,
) {
  const created = { count: 0 };
  const stop = startTimeline(`N=${names.length} create → Queued`, op.pid, async () => {
    const m = await op.metrics();
    return {
      created: created.count,
      queued: names.filter((x) => watch.seen.get(x)?.has('Queued')).length,
      submitted: await op.metric('hpc_hpcjob_submissions_total', {}, m),
      condorSubmits: await op.metric(
        'hpc_condor_command_duration_seconds_count',
        { command: 'condor_submit' },
        m,
      ),
      highLane: await op.metric('workqueue_depth', { priority: 'high' }, m),
    };
  });
  try {
    const t0 = Date.now();
    const { result: createSeconds, cpu } = await measuringCpu(op.pid, async () => {
      await createHPCJobs(ns, names, SPEC, withFinalizer, created);
      const createSeconds = (Date.now() - t0) / 1000;
      const queued = (x: string) => watch.seen.get(x)?.has('Queued');
      await waitFor(`${names.length} HPCJobs Queued`, () => names.every(queued), 1_800_000, 500);
      return createSeconds;
    });
    const at = (x: string) => watch.seen.get(x)?.get('Submitted') ?? watch.seen.get(x)?.get('Queued') ?? 0;
    const submittedAt = Math.max(...names.map(at));
    return { createSeconds, createToSubmittedSeconds: (submittedAt - t0) / 1000, submitCpu: cpu };
  } finally {
    stop();
  }
}

/** Steady tracking cost: condor calls over a quiet minute, with N jobs tracked. */
async function quietMinute(op: OperatorProcess) {
  const m1 = await op.metrics();
  await new Promise((r) => setTimeout(r, 60_000));
  const m2 = await op.metrics();
  const delta = async (labels: Record<string, string>) =>
    (await op.metric('hpc_condor_command_duration_seconds_count', labels, m2)) -
    (await op.metric('hpc_condor_command_duration_seconds_count', labels, m1));
  return {
    trackQueriesPerMinute: await delta({ command: 'condor_q', purpose: 'track' }),
    historyPerMinute: await delta({ command: 'condor_history' }),
  };
}

/**
 * Status latency, from the moment HTCondor had changed the jobs (the command returned) to the CR showing it:
 * hold, then release, of the jobs `constraint` selects (`subset` by name), each once the operator has caught
 * up with what came before (settle.ts).
 */
async function changeStates(
  op: OperatorProcess,
  watch: PhaseWatch,
  subset: string[],
  constraint: string,
): Promise<Latency> {
  const latency: Latency = { hold: [], release: [] };
  for (const [action, phase, key] of [
    ['condor_hold', 'Held', 'hold'],
    ['condor_release', 'Queued', 'release'],
  ] as const) {
    console.log(`    before ${subset.length} ${key}: caught up ${JSON.stringify(await settle(op))}`);
    for (const x of subset) watch.seen.get(x)?.delete(phase);
    await sd.act(action, constraint, action === 'condor_hold' ? 'benchmark' : undefined);
    const done = Date.now();
    await waitFor(
      `${subset.length} HPCJobs ${phase}`,
      () => subset.every((x) => watch.seen.get(x)?.has(phase)),
      600_000,
      100,
    );
    for (const x of subset)
      latency[key].push(Math.max(0, (watch.seen.get(x)?.get(phase) as number) - done) / 1000);
  }
  return latency;
}

async function condorAndMemory(op: OperatorProcess, m: Map<string, number>) {
  const mib = async (name: string) => (await op.metric(name, {}, m)) / 2 ** 20;
  return {
    condorSubmits: await op.metric(
      'hpc_condor_command_duration_seconds_count',
      { command: 'condor_submit' },
      m,
    ),
    adoptQueries: await op.metric(
      'hpc_condor_command_duration_seconds_count',
      { command: 'condor_q', purpose: 'adopt' },
      m,
    ),
    heapUsedMiB: await mib('nodejs_heap_size_used_bytes'),
    heapTotalMiB: await mib('nodejs_heap_size_total_bytes'),
    externalMiB: await mib('nodejs_external_memory_bytes'),
  };
}

/**
 * (d) in a namespace of its own that no operator watches, deleted after. Created without the finalizer even
 * when the run had it: a create costs the same with one more string in it, and without an operator nothing
 * would take it off again.
 */
async function floorInOwnNamespace(ns: string, names: string[]): Promise<number> {
  const floorNs = `${ns}-api`;
  await createNamespace(kc, floorNs);
  try {
    return await createAndWriteFloor(floorNs, names);
  } finally {
    await deleteNamespace(kc, floorNs);
  }
}

/** Clean up through the operator (finalizers remove the jobs), then measure the schedd's own limit. */
async function cleanupAndFloors(ns: string, names: string[], n: number) {
  await deleteHPCJobs(ns, names);
  await waitFor(
    'the queue to be empty of the benchmark',
    async () => (await sd.query(`HPCOperator == "${ns}"`, ['JobStatus'])).length === 0,
    1_800_000,
    1000,
  );
  const scheddOwnSeconds = await scheddOwnLimit(n, ns);
  const perJob = n <= 1000 ? await perJobStrategy(n, ns) : undefined;
  return { scheddOwnSeconds, ...(perJob ? { perJob } : {}) };
}
