/**
 * HPCJobSet on the local stack (real kube-apiserver, HTCondor pool): a set's indices go out as ONE cluster,
 * get HPC_INDEX and HPC_ITEM_<KEY> in their environment and $(...) in args, an index that fails once is
 * retried on its own, parallelism bounds what is in HTCondor, suspend holds, cancel-indices removes, the
 * TTL and deletion clean up (nothing of the set stays in the queue). Small N: CI time matters.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { runCli } from '../../src/cli/cli.js';
import { adNumber } from '../../src/condor/parse.js';
import { classAdLiteral } from '../../src/condor/submit-description.js';
import type { HPCJobSet, HPCJobSetSpec } from '../../src/crds/hpcjobset.js';
import { createNamespace, deleteNamespace, installCRDs, keepCRDsInstalled } from '../support/stack/kube.js';
import { OperatorProcess } from '../support/stack/operator.js';
import { kubeConfig, schedd, uniqueName, waitFor } from '../support/stack/stack.js';

const kc = kubeConfig();
const sd = schedd();
const co = kc.makeApiClient(k8s.CustomObjectsApi);
const SETS = { group: 'hpc.scailfin.io', version: 'v1alpha1', plural: 'hpcjobsets' };
/** Never matched: the jobs stay idle, so that suspend and cancel meet them in the queue. */
const NEVER = 'TARGET.HPCNeverMatches =?= true';

async function create(ns: string, name: string, spec: Partial<HPCJobSetSpec>): Promise<void> {
  const body = {
    apiVersion: 'hpc.scailfin.io/v1alpha1',
    kind: 'HPCJobSet',
    metadata: { name, namespace: ns },
    spec,
  };
  await co.createNamespacedCustomObject({ ...SETS, namespace: ns, body });
}

async function get(ns: string, name: string): Promise<HPCJobSet | undefined> {
  try {
    return (await co.getNamespacedCustomObject({ ...SETS, namespace: ns, name })) as HPCJobSet;
  } catch (e) {
    if ((e as k8s.ApiException<unknown>).code === 404) return undefined;
    throw e;
  }
}

async function patch(ns: string, name: string, body: unknown): Promise<void> {
  await co.patchNamespacedCustomObject(
    { ...SETS, namespace: ns, name, body },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
  );
}

/** Waits until the set's status passes `test`, and returns it. */
function waitForSet(ns: string, name: string, what: string, test: (s: HPCJobSet) => boolean, ms = 120_000) {
  return waitFor(
    `${name}: ${what}`,
    async () => {
      const s = await get(ns, name);
      return s && test(s) ? s : undefined;
    },
    ms,
    500,
  );
}

/** kubectl hpc in-process, against the stack's API server. */
async function hpc(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, {
    out: { write: (s: string | Uint8Array) => out.push(String(s)) },
    err: { write: (s: string | Uint8Array) => err.push(String(s)) },
    env: process.env,
  });
  return { code, out: out.join(''), err: err.join('') };
}

/**
 * The set's jobs, as [ClusterId, index, attempt, JobStatus, acknowledged (1/0)]: those in the queue not yet
 * acknowledged ('live'), or every one it ever had ('all': the queue and the history).
 */
async function jobsOf(set: HPCJobSet, which: 'live' | 'all'): Promise<number[][]> {
  const c = `HPCJobUID == ${classAdLiteral(set.metadata.uid as string)}`;
  const attrs = ['ClusterId', 'HPCJobSetIndex', 'HPCJobAttempt', 'JobStatus'];
  const row = (ad: Record<string, unknown>) => [
    ...attrs.map((a) => adNumber(ad, a) as number),
    ad.HPCAck === true ? 1 : 0,
  ];
  const queue = (await sd.query(c, [...attrs, 'HPCAck'])).map(row);
  if (which === 'live') return queue.filter((r) => r[4] === 0);
  const history = (await sd.history(c, [...attrs, 'HPCAck'], { limit: 100 })).map(row);
  const key = (r: number[]) => `${r[0]}.${r[1]}.${r[2]}`;
  const seen = new Set(history.map(key));
  return [...history, ...queue.filter((r) => !seen.has(key(r)))];
}

describe('HPCJobSet', () => {
  const ns = uniqueName('e2e-jobset');
  const op = new OperatorProcess({ namespace: ns, operatorId: ns });
  let stopKeeping: () => void = () => undefined;

  beforeAll(async () => {
    await installCRDs(kc);
    // Other checkouts on the shared stack install their own HPCJobSet CRD: keep this one's status schema.
    stopKeeping = keepCRDsInstalled(
      kc,
      (status) => !!status?.properties?.indexRecords?.items?.properties?.failedAttempts,
      1000,
      { crd: 'hpcjobsets.hpc.scailfin.io', part: 'status' },
    );
    await createNamespace(kc, ns);
    await op.start();
  });

  afterAll(async () => {
    stopKeeping();
    await op.stop();
    await deleteNamespace(kc, ns);
  });

  it('runs items as one cluster with their values as data, then goes after ttlSecondsAfterFinished', async () => {
    // The step checks what it got: a wrong value exits 3 and the set fails.
    const check =
      '[ "$1" = "$HPC_ITEM_name" ] && [ "$2" = "$HPC_INDEX" ] && [ "$HPC_ITEM_q" = "$WANT" ] || exit 3';
    const q = 'it\'s $(x) a,b "quoted"';
    await create(ns, 'items', {
      items: ['a', 'b', 'c'].map((name) => ({ name, q })),
      ttlSecondsAfterFinished: 3,
      template: {
        command: ['/bin/sh', '-c', check, 'step'],
        args: ['$(HPC_ITEM_name)', '$(HPC_INDEX)'],
        env: [{ name: 'WANT', value: q }],
      },
    });
    const done = await waitForSet(ns, 'items', 'Succeeded', (s) => s.status?.phase === 'Succeeded');
    expect(done.status).toMatchObject({ total: 3, succeeded: '0-2', counts: { succeeded: 3, failed: 0 } });
    const ran = await waitFor('the 3 jobs', async () => {
      const all = await jobsOf(done, 'all');
      return all.length === 3 && all;
    });
    expect(new Set(ran.map(([cluster]) => cluster)).size).toBe(1);
    expect(ran.map(([, index]) => index).sort()).toEqual([0, 1, 2]);
    await waitFor(
      'the set to be deleted by its TTL',
      async () => (await get(ns, 'items')) === undefined,
      30_000,
      500,
    );
  });

  it('retries the index that failed on its own, within parallelism', async () => {
    await create(ns, 'retry', {
      count: 4,
      parallelism: 2,
      template: {
        command: ['/bin/sh', '-c', '[ "$1" != 2 ] || [ "$HPC_ATTEMPT" -ge 2 ]', 'step'],
        args: ['$(HPC_INDEX)'],
        retryPolicy: {
          limit: 2,
          backoff: { initial: '1s', factor: 1, max: '1s' },
          rules: [{ onExitCodes: [1], action: 'retry' }],
        },
      },
    });
    const done = await waitForSet(ns, 'retry', 'Succeeded', (s) => s.status?.phase === 'Succeeded');
    expect(done.status?.counts).toMatchObject({ succeeded: 4, failed: 0 });
    expect(done.status?.indexRecords).toEqual([
      expect.objectContaining({ index: 2, failedAttempts: 1, exitCode: 1, failureCategory: 'ExitCode' }),
    ]);
    const ran = await jobsOf(done, 'all');
    expect(
      ran
        .filter(([, index]) => index === 2)
        .map(([, , attempt]) => attempt)
        .sort(),
    ).toEqual([1, 2]);
    expect(ran).toHaveLength(5);
    // kubectl hpc reads it: a row of counts, and the index that failed once.
    const status = await hpc('status', 'retry', '-n', ns);
    expect(status.out).toMatch(/^retry +Succeeded +4 +4 +0 +0 +0 +0 +0 /m);
    const described = await hpc('describe', 'hpcjobset/retry', '-n', ns);
    expect(described.out).toMatch(/^ +2 +1 +\S+ +ExitCode +1 /m);
  });

  it('suspends, cancels indices, holds again and cleans up on deletion', async () => {
    await create(ns, 'ops', {
      count: 3,
      suspend: true,
      template: { command: ['/bin/true'], requirements: NEVER },
    });
    const suspended = await waitForSet(ns, 'ops', 'Suspended', (s) => s.status?.phase === 'Suspended');
    expect(suspended.status?.counts).toMatchObject({ pending: 3 });
    expect(await jobsOf(suspended, 'all')).toEqual([]);

    await patch(ns, 'ops', { spec: { suspend: false } });
    await waitForSet(ns, 'ops', '3 queued', (s) => s.status?.counts?.queued === 3);
    await patch(ns, 'ops', { metadata: { annotations: { 'hpc.scailfin.io/cancel-indices': '1' } } });
    const cancelled = await waitForSet(
      ns,
      'ops',
      'index 1 cancelled',
      (s) => s.status?.cancelled === '1' && s.status.counts?.queued === 2,
    );
    // Removed, and acknowledged once status says so (it then leaves the queue at the schedd's next pass).
    await waitFor('the job of index 1 to be removed and acknowledged', async () =>
      (await jobsOf(cancelled, 'live')).every(([, index]) => index !== 1),
    );

    await patch(ns, 'ops', { spec: { suspend: true } });
    await waitForSet(ns, 'ops', '2 held', (s) => s.status?.counts?.held === 2);
    const held = await jobsOf(cancelled, 'live');
    expect(held.map(([, index, , status]) => [index, status]).sort()).toEqual([
      [0, 5],
      [2, 5],
    ]);

    await co.deleteNamespacedCustomObject({ ...SETS, namespace: ns, name: 'ops' });
    await waitFor('the set to be gone', async () => (await get(ns, 'ops')) === undefined, 60_000, 500);
    expect(await jobsOf(cancelled, 'live')).toEqual([]);
  });
});
