/**
 * HPCJobSet benchmark (make bench) on the local stack; prints a table with the targets met or missed; not a
 * test.
 *
 *   node --import tsx bench/hpcjobset.ts [N]      (default 100000)
 *
 * One HPCJobSet of N indices whose jobs never match a slot (they stay queued: submission and tracking only),
 * against the floor measured in the same run: one condor_submit of the same N-proc description (the jobs the
 * operator would make, rendered by the same code, timed from the rendered text) on the same schedd, in
 * chunks of SetLimit.perSubmission as the operator submits them. Targets (issue 15): the set submitted
 * (every index seen queued) within 2x of the floor; operator peak RSS at most 300 MiB; its status written at
 * most once per tracker tick (MIN_STATUS_INTERVAL_MS apart); and the status object's size.
 */
import * as k8s from '@kubernetes/client-node';
import { jobIdsOf } from '../src/condor/parse.js';
import { classAdLiteral, renderSubmitTable } from '../src/condor/submit-description.js';
import { MIN_STATUS_INTERVAL_MS, SetLimit } from '../src/controllers/hpcjobset/reasons.js';
import { buildSetTable } from '../src/controllers/hpcjobset/set-jobs.js';
import type { HPCJobSet } from '../src/crds/hpcjobset.js';
import { createNamespace, deleteNamespace, installCRDs } from '../test/support/stack/kube.js';
import { REPO, uniqueName, waitFor } from '../test/support/stack/stack.js';
import { NEVER, co, kc, sd, startOperator, usage } from './hpcjobs/cluster.js';
import { removeBenchJobs } from './hpcjobs/floors.js';

const SETS = { group: 'hpc.scailfin.io', version: 'v1alpha1', plural: 'hpcjobsets' };
const TEMPLATE = { command: ['/bin/true'], args: ['$(HPC_INDEX)'], requirements: NEVER };

/**
 * (floor) condor_submit of the set's own description, timed: one call, or one per SetLimit.perSubmission
 * indices back to back (HTCondor's MAX_JOBS_PER_SUBMISSION refuses more in one). Its jobs are then
 * acknowledged and removed.
 */
async function floorSeconds(ns: string, n: number): Promise<number> {
  const tag = `${ns}-floor`;
  const set = {
    metadata: { name: 'floor', namespace: ns, uid: tag },
    spec: { count: n, template: TEMPLATE },
  } as unknown as HPCJobSet;
  const options = { operatorId: tag, wrapperPath: `${REPO}/wrapper/hpc-wrapper.sh`, attemptDir: '/tmp' };
  let seconds = 0;
  let submitted = 0;
  for (let from = 0; from < n; from += SetLimit.perSubmission) {
    const size = Math.min(SetLimit.perSubmission, n - from);
    const entries = Array.from({ length: size }, (_, i) => ({ index: from + i, attempt: 1 }));
    const table = buildSetTable(set, entries, options);
    const t = Date.now();
    submitted += jobIdsOf(await sd.submit(renderSubmitTable(table), { cwd: '/tmp', procs: size })).length;
    seconds += (Date.now() - t) / 1000;
  }
  if (submitted !== n) throw new Error(`the floor submitted ${submitted} jobs, not ${n}`);
  const mine = `HPCOperator == ${classAdLiteral(tag)}`;
  // Removed jobs stay in the queue until acknowledged (leave_in_queue): acknowledge them first.
  await sd.edit(mine, 'HPCAck', true);
  await removeBenchJobs(sd, mine);
  return seconds;
}

interface Watch {
  statusWrites: number[];
  stop: () => void;
}

/** The times the set's status changed, as the API server's watch reports them. */
function watchStatus(ns: string, name: string): Watch {
  const statusWrites: number[] = [];
  let last = '';
  let abort: AbortController | undefined;
  void new k8s.Watch(kc)
    .watch(
      `/apis/${SETS.group}/${SETS.version}/namespaces/${ns}/${SETS.plural}`,
      { fieldSelector: `metadata.name=${name}` },
      (_type: string, obj: HPCJobSet) => {
        const s = JSON.stringify(obj.status ?? {});
        if (s !== last && s !== '{}') statusWrites.push(Date.now());
        last = s;
      },
      () => undefined,
    )
    .then((a) => (abort = a));
  return { statusWrites, stop: () => abort?.abort() };
}

async function getSet(ns: string, name: string): Promise<HPCJobSet | undefined> {
  try {
    return (await co.getNamespacedCustomObject({ ...SETS, namespace: ns, name })) as HPCJobSet;
  } catch {
    return undefined;
  }
}

async function run(n: number): Promise<void> {
  const ns = uniqueName('bench-set');
  await createNamespace(kc, ns);
  const op = await startOperator(ns);
  try {
    const floor = await floorSeconds(ns, n);
    const watch = watchStatus(ns, 'sweep');
    const t = Date.now();
    await co.createNamespacedCustomObject({
      ...SETS,
      namespace: ns,
      body: {
        apiVersion: 'hpc.scailfin.io/v1alpha1',
        kind: 'HPCJobSet',
        metadata: { name: 'sweep' },
        spec: { count: n, template: TEMPLATE },
      },
    });
    const queued = await waitFor(
      `all ${n} indices queued`,
      async () => {
        const s = await getSet(ns, 'sweep');
        return s?.status?.counts?.queued === n && s;
      },
      1_800_000,
      500,
    );
    const submitted = (Date.now() - t) / 1000;
    // A quiet half minute of tracking, then the peak.
    await new Promise((r) => setTimeout(r, 30_000));
    const { hwm, cpu } = usage(op.pid as number);
    watch.stop();
    const gaps = watch.statusWrites.slice(1).map((x, i) => x - (watch.statusWrites[i] as number));
    report({
      n,
      floor,
      submitted,
      hwm,
      cpu,
      writes: watch.statusWrites.length,
      minGap: Math.min(...gaps),
      bytes: JSON.stringify(queued).length,
    });
    await co.deleteNamespacedCustomObject({ ...SETS, namespace: ns, name: 'sweep' });
    await waitFor(
      'the set and its jobs to be gone',
      async () => !(await getSet(ns, 'sweep')),
      1_800_000,
      1000,
    );
  } finally {
    await op.stop();
    await deleteNamespace(kc, ns);
  }
}

function report(r: {
  n: number;
  floor: number;
  submitted: number;
  hwm: number;
  cpu: number;
  writes: number;
  minGap: number;
  bytes: number;
}): void {
  const met = (ok: boolean) => (ok ? 'met' : 'MISSED');
  console.log(`\nOne HPCJobSet of ${r.n} indices (jobs never match: submission and tracking only)\n`);
  console.log('target | measured | floor (same run) | result');
  console.log(
    `create → all indices queued ≤ 2x one condor_submit | ${r.submitted.toFixed(1)} s | ${r.floor.toFixed(1)} s | ${met(r.submitted <= 2 * r.floor)} (${(r.submitted / r.floor).toFixed(2)}x)`,
  );
  console.log(
    `operator peak RSS ≤ 300 MiB | ${r.hwm.toFixed(0)} MiB (CPU ${r.cpu.toFixed(1)} s) | - | ${met(r.hwm <= 300)}`,
  );
  const gap = Number.isFinite(r.minGap) ? `${r.minGap} ms` : '-';
  // The watch sees writes as the API server sends them: allow 10 % for delivery jitter.
  console.log(
    `status written at most once per tick (${MIN_STATUS_INTERVAL_MS} ms) | ${r.writes} writes, closest ${gap} apart | - | ${met(!(r.minGap < MIN_STATUS_INTERVAL_MS * 0.9))}`,
  );
  console.log(`status object size | ${(r.bytes / 1024).toFixed(1)} KiB | - | -`);
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 100_000);
  if (!Number.isInteger(n) || n < 1 || n > 100_000) throw new Error('N: 1 to 100000');
  await installCRDs(kc);
  await run(n);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
