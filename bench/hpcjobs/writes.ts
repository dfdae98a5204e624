/**
 * API writes per HPCJob, by kind, from the operator's own counter (hpc_hpcjob_api_writes_total: finalizer
 * patches, status patches, Event creates and series patches, other), and the steady-path scenario: HPCJobs
 * that are submitted, run and succeed, created with and without the finalizer.
 */
import type { OperatorProcess } from '../../test/support/stack/operator.js';
import { uniqueName, waitFor } from '../../test/support/stack/stack.js';
import { createNamespace, deleteNamespace } from '../../test/support/stack/kube.js';
import {
  createHPCJobs,
  deleteHPCJobs,
  eventsAbout,
  kc,
  listNames,
  phaseWatch,
  sd,
  startOperator,
  type PhaseWatch,
} from './cluster.js';

export const WRITE_KINDS = ['finalizer', 'status', 'event-create', 'event-patch', 'other'] as const;
export type WritesByKind = Record<(typeof WRITE_KINDS)[number] | 'total', number>;

/** Writes per HPCJob by kind between two metric snapshots, for `n` HPCJobs. */
export async function writesPerJob(
  op: OperatorProcess,
  before: Map<string, number>,
  after: Map<string, number>,
  n: number,
): Promise<WritesByKind> {
  const out = { total: 0 } as WritesByKind;
  for (const kind of WRITE_KINDS) {
    const delta =
      (await op.metric('hpc_hpcjob_api_writes_total', { kind }, after)) -
      (await op.metric('hpc_hpcjob_api_writes_total', { kind }, before));
    out[kind] = delta / n;
    out.total += delta / n;
  }
  return out;
}

/** `1.0 (finalizer 0.0, status 1.0, event-create 0.0, event-patch 0.0, other 0.0)` */
export function formatWrites(w: WritesByKind): string {
  return `${w.total.toFixed(2)} (${WRITE_KINDS.map((k) => `${k} ${w[k].toFixed(2)}`).join(', ')})`;
}

export interface SteadyRow {
  n: number;
  withFinalizer: boolean;
  /** From the first create to the last HPCJob seen Succeeded. */
  createToSucceededSeconds: number;
  /** As the operator counted them (hpc_hpcjob_api_writes_total). */
  writes: WritesByKind;
  /** As the API server showed them, per HPCJob: watch MODIFIED events (object writes) and Events about it. */
  seen: { objectWrites: number; events: number };
}

/** The steady path: `n` HPCJobs of `/bin/true` each, submitted, run and succeeded; writes counted per kind. */
export async function runSteady(n: number): Promise<SteadyRow[]> {
  const ns = uniqueName(`bench-steady-${n}`);
  await createNamespace(kc, ns);
  const op = await startOperator(ns);
  const watch = phaseWatch(ns);
  try {
    const rows: SteadyRow[] = [];
    for (const withFinalizer of [true, false]) rows.push(await steadyBatch(op, ns, watch, n, withFinalizer));
    return rows;
  } finally {
    watch.stop();
    await op.stop();
    await deleteNamespace(kc, ns);
  }
}

async function steadyBatch(
  op: OperatorProcess,
  ns: string,
  watch: PhaseWatch,
  n: number,
  withFinalizer: boolean,
): Promise<SteadyRow> {
  const names = Array.from({ length: n }, (_, i) => `${withFinalizer ? 'fin' : 'plain'}-${i}`);
  const before = await op.metrics();
  const t0 = Date.now();
  await createHPCJobs(ns, names, { command: ['/bin/true'] }, withFinalizer);
  await waitFor(
    `${n} HPCJobs Succeeded`,
    () => names.every((x) => watch.seen.get(x)?.has('Succeeded')),
    1_800_000,
    500,
  );
  const last = Math.max(...names.map((x) => watch.seen.get(x)?.get('Succeeded') ?? 0));
  // Acknowledged and gone from the queue: nothing of the step is left to write.
  await waitFor(
    'the steady jobs to leave the queue',
    async () => (await sd.query(`HPCOperator == "${ns}"`, ['JobStatus'])).length === 0,
    600_000,
    1000,
  );
  // Events go out from a buffer after the status: give the last ones a moment.
  await new Promise((r) => setTimeout(r, 2000));
  const after = await op.metrics();
  const writes = await writesPerJob(op, before, after, n);
  const objectWrites = names.reduce((sum, x) => sum + (watch.modified.get(x) ?? 0), 0) / n;
  const seen = { objectWrites, events: (await eventsAbout(ns, names)) / n };
  // Gone before the next batch counts: deletion (the finalizer's removal) is not the steady path.
  await deleteHPCJobs(ns, names);
  await waitFor(
    'the steady HPCJobs to be deleted',
    async () => (await listNames(ns)).length === 0,
    600_000,
    1000,
  );
  return { n, withFinalizer, createToSucceededSeconds: (last - t0) / 1000, writes, seen };
}

export function reportSteady(rows: SteadyRow[]): void {
  if (rows.length === 0) return;
  console.log(
    '\nThe steady path: HPCJobs of /bin/true submitted, run and succeeded (writes per HPCJob by kind)\n',
  );
  console.log(
    "N | created with the finalizer | create → all Succeeded | API writes per HPCJob (the operator's count) | seen by the API server: object writes + Events",
  );
  for (const r of rows)
    console.log(
      `${r.n} | ${r.withFinalizer ? 'yes' : 'no'} | ${r.createToSucceededSeconds.toFixed(1)} s | ${formatWrites(r.writes)} | ${r.seen.objectWrites.toFixed(2)} + ${r.seen.events.toFixed(2)}`,
    );
  console.log('\nTargets');
  for (const r of rows) {
    const what = `N=${r.n}: ${r.writes.total.toFixed(2)}`;
    if (r.withFinalizer)
      console.log(
        `  ${r.writes.total <= 3 ? 'met    ' : 'MISSED '} steady path at most 3 API writes per HPCJob (created with the finalizer, as the REANA backend does): ${what}`,
      );
    else
      console.log(
        `  info    created without the finalizer (the operator adds it before submitting): ${what}`,
      );
  }
}
