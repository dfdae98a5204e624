/**
 * The schedd switched off for 60 s (CHAOS_SCHEDD_OUTAGE_SECONDS) in the middle of a run: HPCJobs keep their
 * phase, show SchedulerReachable=False (reason SchedulerUnavailable), HPCJobs created meanwhile wait, and once
 * the schedd is back everything finishes with exactly one HTCondor job per attempt.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createNamespace, deleteNamespace, installCRDs } from '../support/stack/kube.js';
import { OperatorProcess } from '../support/stack/operator.js';
import { kubeConfig, uniqueName, waitFor } from '../support/stack/stack.js';
import { FINAL, createMany, ledger, listHPCJobs, waitAllFinal, waitQueueEmpty } from './helpers/audit.js';
import { scheddRunning, startSchedd, stopSchedd } from './helpers/faults.js';

const kc = kubeConfig();
const ns = uniqueName('chaos-schedd');
const OUTAGE_SECONDS = Number(process.env.CHAOS_SCHEDD_OUTAGE_SECONDS ?? 60);
const op = new OperatorProcess({ namespace: ns, operatorId: ns, extraArgs: ['--log-level=info'] });

beforeAll(async () => {
  await installCRDs(kc);
  await createNamespace(kc, ns);
  await op.start();
});

afterAll(async () => {
  if (!scheddRunning()) await startSchedd();
  await op.stop();
  await deleteNamespace(kc, ns);
});

describe(`the schedd stopped for ${OUTAGE_SECONDS} s mid-run`, () => {
  it('keeps state, reports SchedulerUnavailable, resumes, and loses or doubles nothing', async () => {
    const before = Array.from({ length: 30 }, (_, i) => `before-${i}`);
    await createMany(ns, before, { command: ['/bin/sh', '-c', 'sleep 15; echo done'] });
    await waitFor(
      'some HPCJobs to run',
      async () => (await listHPCJobs(ns)).filter((j) => j.status?.phase === 'Running').length >= 4,
      180_000,
      1000,
    );
    const idsBefore = new Map((await listHPCJobs(ns)).map((j) => [j.metadata.name, j.status?.jobId]));

    await stopSchedd();
    try {
      const unavailable = await waitFor(
        'an HPCJob to show SchedulerUnavailable',
        async () =>
          (await listHPCJobs(ns)).find(
            (j) =>
              j.status?.conditions?.find((c) => c.type === 'SchedulerReachable')?.reason ===
              'SchedulerUnavailable',
          ),
        120_000,
        1000,
      );
      expect(unavailable.status?.conditions?.find((c) => c.type === 'SchedulerReachable')?.status).toBe(
        'False',
      );
      // New work during the outage waits instead of failing.
      await createMany(
        ns,
        Array.from({ length: 10 }, (_, i) => `during-${i}`),
        { command: ['/bin/sh', '-c', 'echo done'] },
      );
      await new Promise((r) => setTimeout(r, OUTAGE_SECONDS * 1000));
      const during = await listHPCJobs(ns);
      // Nothing was given up on: no HPCJob is Lost or Failed, and none went backwards.
      expect(
        during.filter((j) => ['Failed', 'Lost'].includes(j.status?.phase ?? '')).map((j) => j.metadata.name),
      ).toEqual([]);
      for (const j of during.filter((x) => x.metadata.name.startsWith('during-')))
        expect(j.status?.jobId).toBeUndefined();
      // What was submitted keeps its HTCondor job.
      for (const j of during.filter((x) => idsBefore.get(x.metadata.name)))
        expect(j.status?.jobId).toBe(idsBefore.get(j.metadata.name));
    } finally {
      await startSchedd();
    }

    const jobs = await waitAllFinal(ns, 40, 600_000);
    await waitQueueEmpty(ns);
    expect(
      jobs
        .filter((j) => j.status?.phase !== 'Succeeded')
        .map((j) => `${j.metadata.name}: ${j.status?.message}`),
    ).toEqual([]);
    expect(jobs.every((j) => FINAL.includes(j.status?.phase ?? ''))).toBe(true);
    const l = await ledger(ns, jobs);
    expect(l.doubled).toEqual([]);
    expect(l.orphans).toEqual([]);
    expect(l.mismatched).toEqual([]);
    // One attempt each: the outage is not the step's failure.
    expect(jobs.filter((j) => j.status?.attempt !== 1).map((j) => j.metadata.name)).toEqual([]);
    const reachable = jobs.map((j) => j.status?.conditions?.find((c) => c.type === 'SchedulerReachable'));
    expect(reachable.filter((c) => c && c.status !== 'True')).toEqual([]);
  });
});
