/**
 * HPCJob at scale and across crashes: 200 HPCJobs at once go out in a handful of condor_submit calls and are
 * tracked with one condor_q per tick; a kill -9 between condor_submit and the status write (a test-only
 * failpoint) leaves exactly one HTCondor job after the restart. How many condor_submit calls a burst takes
 * depends on how fast the operator sees the creates, so it runs alone (e2e-lane: solo, test/e2e/lanes.sh).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { adNumber } from '../../src/condor/parse.js';
import { classAdLiteral } from '../../src/condor/submit-description.js';
import {
  createHPCJob,
  createNamespace,
  deleteHPCJob,
  deleteNamespace,
  getHPCJob,
  installCRDs,
  waitForPhase,
} from '../support/stack/kube.js';
import { everyJob } from '../support/stack/condor-jobs.js';
import { OperatorProcess } from '../support/stack/operator.js';
import { kubeConfig, schedd, uniqueName, waitFor } from '../support/stack/stack.js';

const kc = kubeConfig();
const sd = schedd();

async function inBatches<T>(items: T[], size: number, fn: (t: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

describe('200 HPCJobs at once', () => {
  const ns = uniqueName('e2e-scale');
  const op = new OperatorProcess({ namespace: ns, operatorId: ns });

  beforeAll(async () => {
    await installCRDs(kc);
    await createNamespace(kc, ns);
    await op.start();
  });

  afterAll(async () => {
    await op.stop();
    await deleteNamespace(kc, ns);
  });

  it('are submitted in at most 10 condor_submit calls and tracked with one condor_q per poll tick', async () => {
    const names = Array.from({ length: 200 }, (_, i) => `burst-${i}`);
    // Never matched, so they stay queued: this measures submission and tracking, not the two cores.
    await inBatches(names, 50, (name) =>
      createHPCJob(kc, ns, name, { command: ['/bin/true'], requirements: 'TARGET.HPCNeverMatches =?= true' }),
    );
    await waitFor(
      'all 200 HPCJobs to be Queued',
      async () => {
        const phases = await Promise.all(names.map(async (n) => (await getHPCJob(kc, ns, n))?.status?.phase));
        return phases.every((p) => p === 'Queued');
      },
      180_000,
      1000,
    );
    // One scrape, so that the numbers are consistent with each other.
    const m = await op.metrics();
    const calls = (labels: Record<string, string>) =>
      op.metric('hpc_condor_command_duration_seconds_count', labels, m);
    const submits = await calls({ command: 'condor_submit' });
    const queries = await calls({ command: 'condor_q', purpose: 'track' });
    const adoptChecks = await calls({ command: 'condor_q', purpose: 'adopt' });
    const allQueries = await calls({ command: 'condor_q' });
    // The readiness ping (purpose other) runs before the tracker has synced.
    const probes = await calls({ command: 'condor_q', purpose: 'other' });
    const polls = await op.metric('hpc_condor_tracker_poll_duration_seconds_count', {}, m);
    const submitted = await op.metric('hpc_hpcjob_submissions_total', { result: 'submitted' }, m);
    expect(submitted).toBe(200);
    expect(submits).toBeGreaterThanOrEqual(1);
    expect(submits).toBeLessThanOrEqual(10);
    // condor_q runs once per tracker tick, plus one adoption check before each condor_submit (and the
    // readiness probe before the tracker runs): none per job.
    expect(queries).toBe(polls);
    expect(adoptChecks).toBeLessThanOrEqual(submits);
    expect(allQueries).toBe(queries + adoptChecks + probes);
    expect(probes).toBeLessThanOrEqual(2);
    console.log(
      `200 HPCJobs: ${submits} condor_submit calls, ${queries} condor_q calls over ${polls} tracker polls`,
    );

    // The finalizers remove all 200 jobs with batched condor_rm calls.
    await inBatches(names, 50, (name) => deleteHPCJob(kc, ns, name));
    await waitFor(
      'all HPCJobs to be gone',
      async () => (await Promise.all(names.map((n) => getHPCJob(kc, ns, n)))).every((j) => j === undefined),
      180_000,
      1000,
    );
    const left = await sd.query(`HPCOperator == ${classAdLiteral(ns)}`, ['JobStatus']);
    expect(left).toEqual([]);
    const removes = await op.metric('hpc_condor_command_duration_seconds_count', { command: 'condor_rm' });
    expect(removes).toBeLessThanOrEqual(20);
  });
});

describe('kill -9 between condor_submit and the status write', () => {
  const ns = uniqueName('e2e-crash');

  beforeAll(async () => {
    await installCRDs(kc);
    await createNamespace(kc, ns);
  });

  afterAll(async () => {
    await deleteNamespace(kc, ns);
  });

  it('leaves exactly one HTCondor job for the HPCJob after the restart', async () => {
    const crashing = new OperatorProcess({
      namespace: ns,
      operatorId: ns,
      env: { HPCOP_FAILPOINT: 'exit-after-submit' },
    });
    await crashing.start();
    const created = await createHPCJob(kc, ns, 'survivor', { command: ['/bin/sh', '-c', 'echo survived'] });
    // The failpoint kills the process with SIGKILL right after condor_submit returned (exit status 128 + 9).
    const code = await crashing.exited();
    expect(code).toBe(137);
    const before = await getHPCJob(kc, ns, 'survivor');
    expect(before?.status?.jobId).toBeUndefined();
    const constraint = `HPCOperator == ${classAdLiteral(ns)} && HPCJobUID == ${classAdLiteral(created.metadata.uid)}`;
    expect(await sd.query(constraint, ['HPCJobAttempt'])).toHaveLength(1);

    const restarted = new OperatorProcess({ namespace: ns, operatorId: ns, logDir: crashing.logDir });
    await restarted.start();
    try {
      const done = await waitForPhase(kc, ns, 'survivor', ['Succeeded', 'Failed']);
      expect(done.status?.phase).toBe('Succeeded');
      expect(done.status?.attempts).toHaveLength(1);
      expect(done.status?.conditions?.find((c) => c.type === 'Submitted')?.reason).toBe('Adopted');
      const all = await waitFor('the job to be acknowledged and leave the queue', async () => {
        const { queue, history } = await everyJob(sd, constraint, ['HPCJobAttempt']);
        return queue.length === 0 ? history : undefined;
      });
      expect(all).toHaveLength(1);
      expect(adNumber(all[0]!, 'HPCJobAttempt')).toBe(1);
      expect(`${adNumber(all[0]!, 'ClusterId')}.${adNumber(all[0]!, 'ProcId')}`).toBe(done.status?.jobId);
      await deleteHPCJob(kc, ns, 'survivor');
      await waitFor('the HPCJob to be gone', async () => (await getHPCJob(kc, ns, 'survivor')) === undefined);
    } finally {
      await restarted.stop();
    }
  });
});
