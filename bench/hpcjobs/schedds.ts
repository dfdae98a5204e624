/**
 * Two schedds vs one: submit throughput. N HPCJobs whose jobs never match a slot are created at once (with
 * the finalizer, as the REANA backend creates them) for an operator of one schedd (--schedd-name), then for
 * one of both of the stack's schedds (--schedd-names, LeastQueued); each run is timed from the first create
 * to every HPCJob seen Queued, with the share each schedd got and the API writes per HPCJob. The floor, in
 * the same run: the schedds' own time for the same jobs, one condor_submit of N to one schedd, and N/2 to
 * each of the two at once.
 */
import { createNamespace, deleteNamespace, HPCJOBS } from '../../test/support/stack/kube.js';
import { loadStackEnv, schedd, uniqueName, waitFor } from '../../test/support/stack/stack.js';
import {
  NEVER,
  co,
  createHPCJobs,
  deleteHPCJobs,
  kc,
  listNames,
  phaseWatch,
  startOperator,
} from './cluster.js';
import { scheddOwnLimit } from './floors.js';
import { formatWrites, writesPerJob, type WritesByKind } from './writes.js';

export interface ScheddsRun {
  schedds: string[];
  seconds: number;
  /** HPCJobs per schedd, by status.schedd. */
  share: Record<string, number>;
  writes: WritesByKind;
}

export interface ScheddsRow {
  n: number;
  one: ScheddsRun;
  two: ScheddsRun;
  /** The schedds' own time: N jobs in one condor_submit to one schedd; N/2 to each of two at once. */
  ownOne: number;
  ownTwo: number;
}

const SPEC = { command: ['/bin/true'], requirements: NEVER };

export async function runSchedds(n: number): Promise<ScheddsRow> {
  const env = loadStackEnv();
  const [s1, s2] = [env.HPC_SCHEDD_NAME as string, env.HPC_SCHEDD2_NAME as string];
  const one = await submitRun(n, [s1]);
  const two = await submitRun(n, [s1, s2]);
  const ns = uniqueName(`bench-own-${n}`);
  const ownOne = await scheddOwnLimit(n, ns, schedd(s1));
  const t = Date.now();
  await Promise.all([s1, s2].map((s, i) => scheddOwnLimit(Math.ceil(n / 2), `${ns}-${i}`, schedd(s))));
  return { n, one, two, ownOne, ownTwo: (Date.now() - t) / 1000 };
}

/** One operator on `schedds`: create N HPCJobs, wait until all are Queued, count where they went, clean up. */
async function submitRun(n: number, schedds: string[]): Promise<ScheddsRun> {
  const ns = uniqueName(`bench-schedds-${schedds.length}`);
  await createNamespace(kc, ns);
  const op = await startOperator(ns, [`--schedd-names=${schedds.join(',')}`]);
  const watch = phaseWatch(ns);
  const names = Array.from({ length: n }, (_, i) => `job-${i}`);
  try {
    const m0 = await op.metrics();
    const t0 = Date.now();
    await createHPCJobs(ns, names, SPEC, true);
    const queued = (x: string) => watch.seen.get(x)?.get('Queued');
    await waitFor(`${n} HPCJobs Queued`, () => names.every(queued), 1_800_000, 500);
    const seconds = (Math.max(...names.map((x) => queued(x) as number)) - t0) / 1000;
    const writes = await writesPerJob(op, m0, await op.metrics(), n);
    const share = await shareOf(ns);
    await deleteHPCJobs(ns, names);
    // Gone only once their jobs are out of every queue (the finalizer): the next run starts from empty ones.
    await waitFor('the HPCJobs to be gone', async () => (await listNames(ns)).length === 0, 900_000, 1000);
    return { schedds, seconds, share, writes };
  } finally {
    watch.stop();
    await op.stop();
    await deleteNamespace(kc, ns);
  }
}

/** How many HPCJobs of `ns` each schedd got (status.schedd), from one list. */
async function shareOf(ns: string): Promise<Record<string, number>> {
  const list = (await co.listNamespacedCustomObject({ ...HPCJOBS, namespace: ns, limit: 10_000 })) as {
    items: { status?: { schedd?: string } }[];
  };
  const share: Record<string, number> = {};
  for (const i of list.items) share[i.status?.schedd ?? '-'] = (share[i.status?.schedd ?? '-'] ?? 0) + 1;
  return share;
}

const f = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '-');

export function reportSchedds(rows: ScheddsRow[]): void {
  if (rows.length === 0) return;
  console.log('\nTwo schedds vs one: N HPCJobs created at once (with the finalizer), create → all Queued\n');
  console.log('N | schedds | create→all Queued | HPCJobs/s | share | writes/job | schedds own (floor)');
  for (const r of rows)
    for (const [run, own] of [
      [r.one, r.ownOne],
      [r.two, r.ownTwo],
    ] as const)
      console.log(
        [
          r.n,
          run.schedds.length,
          `${f(run.seconds)} s`,
          f(r.n / run.seconds, 0),
          Object.entries(run.share)
            .map(([s, k]) => `${s} ${k}`)
            .join(', '),
          formatWrites(run.writes),
          `${f(own)} s`,
        ].join(' | '),
      );
  console.log('\nTargets');
  for (const r of rows) {
    const ratio = r.one.seconds / r.two.seconds;
    const ok = ratio >= 1;
    console.log(
      `  ${ok ? 'met    ' : 'MISSED '} two schedds submit at least as fast as one (N=${r.n}): ${f(ratio, 2)}x one's throughput; the schedds alone: ${f(r.ownOne / r.ownTwo, 2)}x (${f(r.ownOne)} s for N on one, ${f(r.ownTwo)} s for N/2 on each)`,
    );
  }
}
