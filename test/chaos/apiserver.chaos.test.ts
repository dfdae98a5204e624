/**
 * The kube-apiserver killed mid-run while jobs keep changing in HTCondor, and etcd compacted past the
 * operator's last resourceVersion before it comes back, so that its watches resume into 410 Gone: the
 * operator relists without restarting and every HPCJob still shows every transition it went through.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createNamespace, deleteNamespace, eventReasons, installCRDs } from '../support/stack/kube.js';
import { OperatorProcess } from '../support/stack/operator.js';
import { kubeConfig, uniqueName, waitFor } from '../support/stack/stack.js';
import { createMany, ledger, listHPCJobs, waitAllFinal, waitQueueEmpty } from './helpers/audit.js';
import { compactEtcd, etcdPut, etcdRevision, killApiserver, startStack } from './helpers/faults.js';

const kc = kubeConfig();
const ns = uniqueName('chaos-apiserver');
// With the Events of the plain life cycle: the test checks that Events recorded while the API server was
// away are written once it is back.
const op = new OperatorProcess({
  namespace: ns,
  operatorId: ns,
  extraArgs: ['--log-level=info', '--lifecycle-events=true'],
});
const JOBS = 20;

beforeAll(async () => {
  await installCRDs(kc);
  await createNamespace(kc, ns);
  await op.start();
});

afterAll(async () => {
  await op.stop();
  await deleteNamespace(kc, ns);
});

describe('kube-apiserver restarted and watches forced into 410 Gone', () => {
  it('recovers without restarting the operator and misses no transition', async () => {
    const names = Array.from({ length: JOBS }, (_, i) => `step-${i}`);
    await createMany(ns, names, { command: ['/bin/sh', '-c', 'sleep 10; echo done'] });
    await waitFor(
      'every HPCJob to be submitted',
      async () => (await listHPCJobs(ns)).every((j) => j.status?.jobId),
      180_000,
      1000,
    );
    const m0 = await op.metrics();
    const expiredBefore = await op.metric('hpc_informer_restarts_total', { reason: 'expired' }, m0);
    const relistsBefore = await op.metric('hpc_informer_relists_total', {}, m0);
    const pid = op.pid;

    await killApiserver();
    try {
      // The jobs run and end in HTCondor while nobody can write their HPCJobs.
      await new Promise((r) => setTimeout(r, 20_000));
      for (let i = 0; i < 5; i++) await etcdPut(`/hpcop-chaos/${ns}/${i}`);
      await compactEtcd(await etcdRevision());
    } finally {
      startStack();
    }

    const jobs = await waitAllFinal(ns, JOBS, 600_000);
    // The same process, never restarted.
    expect(op.running).toBe(true);
    expect(op.pid).toBe(pid);
    const m1 = await op.metrics();
    const expired =
      (await op.metric('hpc_informer_restarts_total', { reason: 'expired' }, m1)) - expiredBefore;
    const relists = (await op.metric('hpc_informer_relists_total', {}, m1)) - relistsBefore;
    console.log(`after the apiserver restart: ${expired} watches expired (410), ${relists} relists`);
    expect(relists).toBeGreaterThan(0);

    // Every transition is on record: each job started and ended with its exit code.
    for (const j of jobs) {
      expect(j.status?.phase).toBe('Succeeded');
      expect(j.status?.attempts).toHaveLength(1);
      expect(j.status?.attempts?.[0]).toMatchObject({ outcome: 'Succeeded', exitCode: 0 });
      expect(j.status?.attempts?.[0]?.startTime).toBeDefined();
      expect(j.status?.attempts?.[0]?.endTime).toBeDefined();
    }
    // The Events tell the same story, a Started included although no run was seen running.
    for (const j of jobs) {
      const reasons = await eventReasons(kc, ns, j.metadata.name, ['Submitted', 'Started', 'Succeeded']);
      expect({ job: j.metadata.name, reasons }).toEqual({
        job: j.metadata.name,
        reasons: expect.arrayContaining(['Submitted', 'Started', 'Succeeded']),
      });
    }
    await waitQueueEmpty(ns);
    const l = await ledger(ns, jobs);
    expect(l.doubled).toEqual([]);
    expect(l.orphans).toEqual([]);
    expect(l.mismatched).toEqual([]);

    // The watch works again: a new HPCJob is picked up.
    await createMany(ns, ['after'], { command: ['/bin/true'] });
    const after = await waitFor(
      'the HPCJob created after the restart to finish',
      async () =>
        (await listHPCJobs(ns)).find((j) => j.metadata.name === 'after' && j.status?.phase === 'Succeeded'),
      180_000,
      1000,
    );
    expect(after.status?.attempts).toHaveLength(1);
  });
});
