/**
 * HPCJob end to end: the operator as a real process, the real kube-apiserver and the real HTCondor pool.
 * Steps that need shared state across attempts use the pool's shared /reana directory (the local stack
 * bind-mounts .stack/shared/reana there), as a site's shared file system would.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { adNumber } from '../../src/condor/parse.js';
import { classAdLiteral } from '../../src/condor/submit-description.js';
import {
  createHPCJob,
  createNamespace,
  deleteHPCJob,
  deleteNamespace,
  eventReasons,
  getHPCJob,
  installCRDs,
  patchHPCJob,
  waitForPhase,
  type HPCJobObject,
} from '../support/stack/kube.js';
import { everyJob, jobIdOf } from '../support/stack/condor-jobs.js';
import { OperatorProcess } from '../support/stack/operator.js';
import { STACK, kubeConfig, schedd, uniqueName, waitFor } from '../support/stack/stack.js';

const kc = kubeConfig();
const sd = schedd();
const ns = uniqueName('e2e-hpcjob');
const operatorId = ns;
const op = new OperatorProcess({ namespace: ns, operatorId });
/** Host path and pool path of a scratch area the steps share across attempts. */
const sharedHost = join(STACK, 'shared/reana', ns);
const sharedPool = `/reana/${ns}`;

/** Every HTCondor job (queue and history) of an HPCJob, by its uid. */
async function condorJobsOf(uid: string) {
  const constraint = `HPCOperator == ${classAdLiteral(operatorId)} && HPCJobUID == ${classAdLiteral(uid)}`;
  return everyJob(sd, constraint, ['JobStatus', 'HPCJobAttempt']);
}

function condition(j: HPCJobObject, type: string) {
  return j.status?.conditions?.find((c) => c.type === type);
}

beforeAll(async () => {
  await installCRDs(kc);
  await createNamespace(kc, ns);
  mkdirSync(sharedHost, { recursive: true, mode: 0o777 });
  execFileSync('chmod', ['777', sharedHost]);
  await op.start();
});

afterAll(async () => {
  await op.stop();
  await deleteNamespace(kc, ns);
});

describe('HPCJob on the local pool', () => {
  it('runs a success, an exit 3 and a held job to the right phase, with conditions, attempts and the Events of what went wrong', async () => {
    await Promise.all([
      createHPCJob(kc, ns, 'ok', { command: ['/bin/sh', '-c', 'echo hello from the pool'] }),
      createHPCJob(kc, ns, 'exit3', { script: 'echo about to fail >&2\nexit 3' }),
      // Runs past its walltime: HTCondor holds it with code 47 (JobExecuteExceeded), permanent by default.
      createHPCJob(kc, ns, 'held', { command: ['/bin/sleep', '300'], resources: { walltime: '3s' } }),
    ]);

    const ok = await waitForPhase(kc, ns, 'ok', ['Succeeded', 'Failed']);
    expect(ok.status?.phase).toBe('Succeeded');
    expect(ok.status?.attempts).toHaveLength(1);
    expect(ok.status?.attempts?.[0]).toMatchObject({ attempt: 1, outcome: 'Succeeded', exitCode: 0 });
    expect(ok.status?.attempts?.[0]?.jobId).toMatch(/^\d+\.0$/);
    expect(ok.status?.attempts?.[0]?.host).toContain('hpc-pool');
    expect(condition(ok, 'Succeeded')).toMatchObject({ status: 'True', observedGeneration: 1 });
    expect(condition(ok, 'Accepted')?.status).toBe('True');
    expect(ok.status?.completionTime).toBeDefined();
    expect(readFileSync(ok.status?.logs?.stdout as string, 'utf8')).toBe('hello from the pool\n');

    const failed = await waitForPhase(kc, ns, 'exit3', ['Succeeded', 'Failed']);
    expect(failed.status?.phase).toBe('Failed');
    expect(failed.status?.attempts?.[0]).toMatchObject({
      outcome: 'Failed',
      exitCode: 3,
      failureCategory: 'ExitCode',
    });
    expect(condition(failed, 'Failed')).toMatchObject({ status: 'True', reason: 'ExitCode' });
    expect(failed.status?.message).toContain('about to fail');

    const held = await waitForPhase(kc, ns, 'held', ['Succeeded', 'Failed']);
    expect(held.status?.phase).toBe('Failed');
    expect(held.status?.attempts?.[0]).toMatchObject({
      holdCode: 47,
      failureCategory: 'Hold',
      outcome: 'Failed',
    });
    expect(condition(held, 'Held')).toMatchObject({ status: 'True', reason: 'HoldCode47' });

    for (const [name, expected] of [
      ['exit3', ['Failed']],
      ['held', ['Held', 'Failed']],
    ] as const) {
      expect(await eventReasons(kc, ns, name, [...expected])).toEqual(expect.arrayContaining([...expected]));
    }
    // The plain life cycle (submitted, started, succeeded) is in status alone (--lifecycle-events is off):
    // Events only for what went wrong or what the operator did about it.
    for (const name of ['ok', 'exit3', 'held'])
      expect(await eventReasons(kc, ns, name, [], 0)).not.toEqual(
        expect.arrayContaining([expect.stringMatching(/^(Submitted|Started|Succeeded)$/)]),
      );

    // Every job left the queue once its end was recorded (acknowledged), and exists exactly once.
    for (const name of ['ok', 'exit3', 'held']) {
      const j = (await getHPCJob(kc, ns, name)) as HPCJobObject;
      const jobs = await waitFor(`the jobs of ${name} to leave the queue`, async () => {
        const c = await condorJobsOf(j.metadata.uid);
        return c.queue.length === 0 ? c : undefined;
      });
      expect(jobs.history).toHaveLength(1);
    }
  });

  it('retries a step that fails twice and then succeeds, recording 3 attempts', async () => {
    const counter = `${sharedPool}/count-retry`;
    await createHPCJob(kc, ns, 'flaky', {
      script: `n=$(cat ${counter} 2>/dev/null || echo 0); n=$((n + 1)); echo $n > ${counter}; echo "run $n"; [ "$n" -ge 3 ]`,
      retryPolicy: {
        limit: 3,
        backoff: { initial: '1s', factor: 1 },
        rules: [{ onExitCodes: [1], action: 'retry' }],
      },
    });
    const j = await waitForPhase(kc, ns, 'flaky', ['Succeeded', 'Failed'], 180_000);
    expect(j.status?.phase).toBe('Succeeded');
    expect(j.status?.attempt).toBe(3);
    expect(j.status?.attempts?.map((a) => a.outcome)).toEqual(['Retried', 'Retried', 'Succeeded']);
    expect(j.status?.attempts?.map((a) => a.exitCode)).toEqual([1, 1, 0]);
    expect(new Set(j.status?.attempts?.map((a) => a.jobId)).size).toBe(3);
    expect(readFileSync(join(sharedHost, 'count-retry'), 'utf8').trim()).toBe('3');
    // One Event for each failed attempt: their notes differ (attempt 1, attempt 2), so they are no series.
    const reasons = await waitFor('two AttemptFailed Events about flaky', async () => {
      const r = await eventReasons(kc, ns, 'flaky', ['AttemptFailed']);
      return r.filter((x) => x === 'AttemptFailed').length === 2 ? r : undefined;
    });
    expect(reasons).not.toContain('Retried');
    const jobs = await condorJobsOf(j.metadata.uid);
    expect(jobs.all.map((a) => adNumber(a, 'HPCJobAttempt')).sort()).toEqual([1, 2, 3]);
  });

  it('releases a held job by a release rule, and fails one by a fail rule with the hold code in status', async () => {
    // First run: leaves a marker, then overstays its walltime and is held (47). After the release it finds
    // the marker and exits 0.
    const marker = `${sharedPool}/marker-release`;
    const script = `if [ -e ${marker} ]; then echo second run; exit 0; fi; touch ${marker}; sleep 300`;
    await Promise.all([
      createHPCJob(kc, ns, 'release', {
        script,
        resources: { walltime: '3s' },
        retryPolicy: { backoff: { initial: '1s' }, rules: [{ onHoldCodes: [47], action: 'release' }] },
      }),
      createHPCJob(kc, ns, 'hold-fail', {
        command: ['/bin/sleep', '300'],
        resources: { walltime: '3s' },
        retryPolicy: { rules: [{ onHoldCodes: [47], action: 'fail' }] },
      }),
    ]);
    const released = await waitForPhase(kc, ns, 'release', ['Succeeded', 'Failed'], 180_000);
    expect(released.status?.phase).toBe('Succeeded');
    expect(released.status?.attempts).toHaveLength(1);
    expect(released.status?.attempts?.[0]).toMatchObject({ holdCode: 47, releases: 1, outcome: 'Succeeded' });
    expect(await eventReasons(kc, ns, 'release', ['Held', 'Released'])).toEqual(
      expect.arrayContaining(['Held', 'Released']),
    );

    const failed = await waitForPhase(kc, ns, 'hold-fail', ['Succeeded', 'Failed'], 120_000);
    expect(failed.status?.phase).toBe('Failed');
    expect(failed.status?.attempts?.[0]).toMatchObject({
      holdCode: 47,
      failureCategory: 'Hold',
      outcome: 'Failed',
    });
    expect(failed.status?.message).toContain('retryPolicy.rules[0]');
    expect(condition(failed, 'Failed')?.message).toContain('hold code 47');
  });

  it('removes the HTCondor job of a Running HPCJob that is deleted, then the HPCJob', async () => {
    const created = await createHPCJob(kc, ns, 'doomed', { command: ['/bin/sleep', '600'] });
    const running = await waitForPhase(kc, ns, 'doomed', ['Running']);
    const jobId = running.status?.jobId as string;
    expect((await condorJobsOf(created.metadata.uid)).queue).toHaveLength(1);
    await deleteHPCJob(kc, ns, 'doomed');
    await waitFor(
      'the HPCJob to be gone',
      async () => (await getHPCJob(kc, ns, 'doomed')) === undefined,
      60_000,
    );
    // The finalizer waited for the job to leave the queue.
    const after = await condorJobsOf(created.metadata.uid);
    expect(after.queue).toEqual([]);
    expect(after.history.map(jobIdOf)).toEqual([jobId]);
    expect(adNumber(after.history[0]!, 'JobStatus')).toBe(3);
  });

  it('holds a job for spec.suspend and releases it when unsuspended', async () => {
    await createHPCJob(kc, ns, 'pausable', { command: ['/bin/sleep', '8'] });
    await waitForPhase(kc, ns, 'pausable', ['Running', 'Queued']);
    await patchHPCJob(kc, ns, 'pausable', { spec: { suspend: true } });
    const suspended = await waitFor('the job to be suspended', async () => {
      const j = await getHPCJob(kc, ns, 'pausable');
      return condition(j as HPCJobObject, 'Suspended')?.reason === 'Suspended' ? j : undefined;
    });
    expect(suspended?.status?.phase).toBe('Held');
    await patchHPCJob(kc, ns, 'pausable', { spec: { suspend: false } });
    const done = await waitForPhase(kc, ns, 'pausable', ['Succeeded', 'Failed'], 120_000);
    expect(done.status?.phase).toBe('Succeeded');
    expect(done.status?.attempts).toHaveLength(1);
  });

  it('cancels a Running HPCJob by annotation and runs one more attempt of a finished one by annotation', async () => {
    // Attempt 1 sleeps until cancelled; any later attempt succeeds at once.
    const created = await createHPCJob(kc, ns, 'cancelme', {
      script: '[ "$HPC_ATTEMPT" -ge 2 ] || sleep 600',
    });
    await waitForPhase(kc, ns, 'cancelme', ['Running']);
    await patchHPCJob(kc, ns, 'cancelme', { metadata: { annotations: { 'hpc.scailfin.io/cancel': 'c1' } } });
    const cancelled = await waitForPhase(kc, ns, 'cancelme', ['Failed']);
    expect(cancelled.status?.cancelToken).toBe('c1');
    expect(condition(cancelled, 'Failed')?.reason).toBe('Cancelled');
    expect(cancelled.status?.attempts?.[0]?.outcome).toBe('Cancelled');
    await waitFor(
      'the cancelled job to leave the queue',
      async () => (await condorJobsOf(created.metadata.uid)).queue.length === 0,
    );
    // Still there, history kept; a retry annotation starts attempt 2 (a new HTCondor job, the first stays removed).
    await patchHPCJob(kc, ns, 'cancelme', { metadata: { annotations: { 'hpc.scailfin.io/retry': 'r1' } } });
    const retried = await waitFor('attempt 2 to succeed', async () => {
      const j = await getHPCJob(kc, ns, 'cancelme');
      return j?.status?.phase === 'Succeeded' ? j : undefined;
    });
    expect(retried?.status?.retryToken).toBe('r1');
    expect(retried?.status?.attempts?.map((a) => a.outcome)).toEqual(['Cancelled', 'Succeeded']);
    const jobs = await condorJobsOf(created.metadata.uid);
    expect(jobs.all.map((a) => adNumber(a, 'HPCJobAttempt')).sort()).toEqual([1, 2]);
    // The same annotation value again asks for nothing.
    await patchHPCJob(kc, ns, 'cancelme', { metadata: { labels: { touched: 'yes' } } });
    await new Promise((r) => setTimeout(r, 3000));
    expect((await getHPCJob(kc, ns, 'cancelme'))?.status?.attempts).toHaveLength(2);
  });

  it('marks an invalid spec Accepted=False and submits nothing', async () => {
    const created = await createHPCJob(kc, ns, 'invalid', {
      command: ['true'],
      requirements: '(TARGET.Memory > 1',
    });
    const j = await waitForPhase(kc, ns, 'invalid', ['Failed']);
    expect(condition(j, 'Accepted')).toMatchObject({ status: 'False', reason: 'InvalidRequirements' });
    expect(condition(j, 'Accepted')?.message).toContain('spec.requirements');
    expect(j.status?.attempts ?? []).toEqual([]);
    expect((await condorJobsOf(created.metadata.uid)).all).toEqual([]);
  });

  it('shows phase, attempts and job id in kubectl get', () => {
    const out = execFileSync('kubectl', ['get', 'hpcjobs', '-n', ns, 'ok'], { env: process.env }).toString();
    const [header, row] = out.trim().split('\n');
    expect(header?.split(/\s+/)).toEqual(['NAME', 'PHASE', 'ATTEMPTS', 'JOB', 'VIRTUALCLUSTER', 'AGE']);
    expect(row).toMatch(/^ok\s+Succeeded\s+1\s+\d+\.0\s+\d+[smh]\d*[sm]?$/);
  });
});
