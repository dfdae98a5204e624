import { describe, expect, it } from '@jest/globals';
import { API_VERSION } from '../../crds/common.js';
import { VIRTUALCLUSTER_KIND, type VirtualCluster } from '../../crds/virtualcluster.js';
import {
  T0,
  defaultSettings,
  iso,
  makeHPCJob,
  makeTrackedJob,
  observe,
} from '../../../test/support/builders/hpcjob.js';
import { transition } from './transition.js';

const settings = defaultSettings();
const kinds = (effects: { kind: string }[]) => effects.map((e) => e.kind);
const conditionOf = (t: ReturnType<typeof transition>, type: string) =>
  t.status.conditions?.find((c) => c.type === type);

function virtualCluster(
  name: string,
  phase?: string,
  patch: Partial<VirtualCluster['metadata']> = {},
): VirtualCluster {
  return {
    apiVersion: API_VERSION,
    kind: VIRTUALCLUSTER_KIND,
    metadata: { name, namespace: 'ns', uid: `uid-${name}`, ...patch },
    spec: {
      pool: { collectorHost: 'vc-cm:9618', scheddName: 'vc-schedd', pilotTokenSecretRef: { name: 'tok' } },
    },
    ...(phase ? { status: { phase: phase as NonNullable<VirtualCluster['status']>['phase'] } } : {}),
  };
}

describe('HPCJob transition: a new attempt', () => {
  it('asks for the finalizer first, then for a submission, recording the schedd before it', () => {
    const job = makeHPCJob().withoutFinalizer().obj();
    const t = transition(job, observe().scheduler().obj(), settings);
    expect(t.addFinalizer).toBe(true);
    expect(t.afterWrite).toEqual([
      { kind: 'submit', attempt: 1, memoryMiB: 1024, virtualCluster: undefined },
    ]);
    expect(t.status).toMatchObject({ phase: 'Pending', schedd: 'schedd@ap', pool: 'cm:9618' });
    expect(conditionOf(t, 'Accepted')?.status).toBe('True');
    // On the default pool the first status waits for the job to be in the queue (one write for both).
    expect(t.deferStatus).toBe(true);
  });

  it('does not judge or submit before the schedd was read once', () => {
    const t = transition(
      makeHPCJob().obj(),
      observe()
        .scheduler({ state: { synced: false, reachable: true } })
        .obj(),
      settings,
    );
    expect(t.afterWrite).toEqual([]);
    expect(t.requeueAfterMs).toBe(1000);
  });

  it('records the submitted attempt, clears the outcome and drops the secret copies', () => {
    const job = makeHPCJob().status({ phase: 'Pending', schedd: 'schedd@ap' }).obj();
    const obs = observe().submission({ state: 'submitted', jobId: '12.0', adopted: false }).obj();
    const t = transition(job, obs, settings);
    expect(t.status).toMatchObject({
      phase: 'Submitted',
      attempt: 1,
      jobId: '12.0',
      clusterId: 12,
      procId: 0,
    });
    expect(t.status.firstSubmitTime).toBe(iso(T0));
    expect(t.afterWrite).toEqual([
      { kind: 'clearSubmission', attempt: 1 },
      { kind: 'attemptSubmitted', attempt: 1 },
    ]);
    expect(t.deferStatus).toBe(false);
    // Status says it all: the Event only with --lifecycle-events.
    expect(t.events).toEqual([]);
    const withEvents = transition(job, obs, defaultSettings({ lifecycleEvents: true }));
    expect(withEvents.events.map((e) => e.reason)).toEqual(['Submitted']);
  });

  it('adopts a job of the next attempt that is already in the queue instead of submitting again', () => {
    const job = makeHPCJob().obj();
    const existing = makeTrackedJob(job, 1, '30.0').obj();
    const t = transition(job, observe().jobs(existing).obj(), settings);
    expect(kinds(t.afterWrite)).not.toContain('submit');
    expect(t.status.jobId).toBe('30.0');
    expect(conditionOf(t, 'Submitted')?.reason).toBe('Adopted');
  });

  it('waits while the submission is in flight', () => {
    const t = transition(makeHPCJob().obj(), observe().submission({ state: 'in-flight' }).obj(), settings);
    expect(t.afterWrite).toEqual([]);
  });

  it('retries a failed condor_submit with jitter and says so once', () => {
    const obs = observe()
      .submission({ state: 'failed', permanent: false, message: 'Failed to connect', at: T0 })
      .obj();
    const t = transition(makeHPCJob().obj(), obs, settings);
    expect(t.afterWrite).toEqual([{ kind: 'clearSubmission', attempt: 1 }]);
    expect(conditionOf(t, 'Submitted')).toMatchObject({ status: 'False', reason: 'SubmitFailed' });
    expect(t.events.map((e) => e.reason)).toEqual(['SubmitFailed']);
    expect(t.requeueAfterMs).toBe(7500);
  });

  it('fails the HPCJob on a permanent staging problem, naming it', () => {
    const obs = observe()
      .submission({
        state: 'failed',
        permanent: true,
        reason: 'StagingUnavailable',
        message: 'no mount',
        at: T0,
      })
      .obj();
    const t = transition(makeHPCJob().obj(), obs, settings);
    expect(t.status.phase).toBe('Failed');
    expect(conditionOf(t, 'Accepted')).toMatchObject({ status: 'False', reason: 'StagingUnavailable' });
  });

  it('counts a job the schedd refuses as a failed attempt (SubmitError)', () => {
    const obs = observe()
      .submission({ state: 'failed', permanent: true, message: 'Parse error', at: T0 })
      .obj();
    const t = transition(makeHPCJob().retry({ limit: 0 }).obj(), obs, settings);
    expect(t.status.phase).toBe('Failed');
    expect(t.status.attempts?.[0]).toMatchObject({ outcome: 'Failed', failureCategory: 'SubmitError' });
  });

  it('holds off a new attempt until the backoff is over', () => {
    const job = makeHPCJob()
      .status({ phase: 'Pending', nextRetryTime: iso(T0 + 30_000) })
      .obj();
    const t = transition(job, observe().obj(), settings);
    expect(t.afterWrite).toEqual([]);
    expect(t.requeueAfterMs).toBe(30_000);
  });

  it('does not submit while suspended', () => {
    const t = transition(makeHPCJob().spec({ suspend: true }).obj(), observe().obj(), settings);
    expect(t.afterWrite).toEqual([]);
    expect(conditionOf(t, 'Suspended')?.status).toBe('True');
  });

  it('raises the memory of the next attempt by the factor of the rule that matched', () => {
    const job = makeHPCJob()
      .retry({ rules: [{ onHoldCodes: [34], action: 'retry', memoryFactor: 1.5 }] })
      .submitted(1, '7.0', { outcome: 'Retried', failureCategory: 'Hold', holdCode: 34 })
      .status({ phase: 'Pending' })
      .obj();
    const t = transition(job, observe().obj(), settings);
    expect(t.afterWrite).toContainEqual({
      kind: 'submit',
      attempt: 2,
      memoryMiB: 1536,
      virtualCluster: undefined,
    });
  });
});

describe('HPCJob transition: VirtualClusters', () => {
  it('goes to the VirtualCluster pool and records its collector', () => {
    const job = makeHPCJob().virtualCluster('vc').obj();
    const vc = virtualCluster('vc', 'Running');
    const t = transition(
      job,
      observe()
        .virtualCluster(vc)
        .scheduler({ name: 'vc-schedd', target: { name: 'vc-schedd', pool: 'vc-cm:9618' } })
        .obj(),
      settings,
    );
    expect(t.status).toMatchObject({ schedd: 'vc-schedd', pool: 'vc-cm:9618', virtualCluster: 'ns/vc' });
    expect(t.afterWrite[0]).toMatchObject({ kind: 'submit', virtualCluster: 'ns/vc' });
  });

  it('adopts a job a timed-out submit committed even after its VirtualCluster is gone (found by the simulation, seed 3143)', () => {
    const job = makeHPCJob()
      .virtualCluster('vc')
      .status({ phase: 'Pending', schedd: 'vc-schedd', pool: 'vc-cm:9618', virtualCluster: 'ns/vc' })
      .obj();
    const committed = makeTrackedJob(job, 1, '2.0').completed(0).obj();
    const t = transition(job, observe().virtualCluster('missing').jobs(committed).obj(), settings);
    expect(t.status).toMatchObject({ phase: 'Submitted', attempt: 1, jobId: '2.0' });
    expect(conditionOf(t, 'Submitted')?.reason).toBe('Adopted');
  });

  it('waits for a missing VirtualCluster and fails after the wait', () => {
    const job = makeHPCJob().virtualCluster('vc').obj();
    const waiting = transition(job, observe().virtualCluster('missing').obj(), settings);
    expect(waiting.status.phase).toBe('Pending');
    expect(conditionOf(waiting, 'VirtualClusterReady')?.reason).toBe('NotFound');
    const late = transition(
      job,
      observe()
        .virtualCluster('missing')
        .at(T0 + 700_000)
        .obj(),
      settings,
    );
    expect(late.status.phase).toBe('Failed');
    expect(conditionOf(late, 'Failed')?.reason).toBe('VirtualClusterUnavailable');
  });

  it('Running attempt stuck when its VirtualCluster is deleted, Terminated or Failed: it is followed to its end', () => {
    for (const vc of [
      virtualCluster('vc', 'Terminated'),
      virtualCluster('vc', 'Failed'),
      'missing' as const,
    ]) {
      const job = makeHPCJob()
        .virtualCluster('vc')
        .submitted(1, '7.0', {}, 'vc-schedd')
        .status({ virtualCluster: 'ns/vc', pool: 'vc-cm:9618', phase: 'Running' })
        .obj();
      const done = makeTrackedJob(job, 1, '7.0').completed(0).obj();
      const obs = observe().virtualCluster(vc).current(done, { state: 'done' }).obj();
      const t = transition(job, obs, settings);
      expect(t.status.phase).toBe('Succeeded');
      expect(t.afterWrite).toContainEqual({ kind: 'acknowledge', job: { jobId: '7.0', uid: 'uid-step' } });
    }
  });

  it('Running attempt stuck when its VirtualCluster is gone: the deadline still applies', () => {
    const job = makeHPCJob()
      .virtualCluster('vc')
      .spec({ activeDeadlineSeconds: 60 })
      .submitted(1, '7.0', {}, 'vc-schedd')
      .status({ virtualCluster: 'ns/vc', pool: 'vc-cm:9618' })
      .obj();
    const t = transition(
      job,
      observe()
        .virtualCluster('missing')
        .at(T0 + 61_000)
        .obj(),
      settings,
    );
    expect(t.status.phase).toBe('Failed');
    expect(t.afterWrite).toContainEqual({
      kind: 'remove',
      target: { uid: 'uid-step' },
      reason: 'HPCJob activeDeadlineSeconds exceeded',
    });
  });

  it('Running attempt stuck when its VirtualCluster is deleted: an idle job that can never run fails after the wait', () => {
    const job = makeHPCJob()
      .virtualCluster('vc')
      .submitted(1, '7.0', {}, 'vc-schedd')
      .status({ virtualCluster: 'ns/vc', pool: 'vc-cm:9618' })
      .obj();
    const idle = makeTrackedJob(job, 1, '7.0').obj();
    const first = transition(job, observe().virtualCluster('missing').current(idle).obj(), settings);
    expect(first.status.phase).toBe('Queued');
    expect(conditionOf(first, 'VirtualClusterReady')?.reason).toBe('NotFound');
    const later = transition(
      { ...job, status: first.status },
      observe()
        .virtualCluster('missing')
        .current(idle)
        .at(T0 + 601_000)
        .obj(),
      settings,
    );
    expect(later.status.phase).toBe('Failed');
    expect(conditionOf(later, 'Failed')?.reason).toBe('VirtualClusterUnavailable');
    expect(later.afterWrite).toEqual([
      {
        kind: 'remove',
        target: { job: { jobId: '7.0', uid: 'uid-step' } },
        reason: "the HPCJob's VirtualCluster is gone: the job can never run",
      },
      { kind: 'acknowledge', job: { jobId: '7.0', uid: 'uid-step' } },
    ]);
  });

  it('warns once when no worker of the VirtualCluster can hold the step', () => {
    const vc = virtualCluster('vc', 'Running');
    vc.spec.allocations = [
      {
        name: 'a',
        batchSystem: 'slurm',
        loginHost: 'login',
        user: 'u',
        credentials: { secretName: 's' },
        workers: { cores: 2, memory: '2Gi' },
      },
    ];
    const job = makeHPCJob()
      .virtualCluster('vc')
      .spec({ resources: { cpus: 8 } })
      .obj();
    const t = transition(job, observe().virtualCluster(vc).obj(), settings);
    expect(conditionOf(t, 'VirtualClusterReady')?.reason).toBe('NoWorkerFits');
    expect(t.events.map((e) => e.reason)).toContain('NoWorkerFits');
  });
});

describe('HPCJob transition: deadline, cancel, retry by hand', () => {
  it('activeDeadlineSeconds sliding once attempts beyond 50 are trimmed: it counts from firstSubmitTime', () => {
    const job = makeHPCJob().spec({ activeDeadlineSeconds: 3600 }).submitted(60, '99.0').obj();
    // The trimmed history starts with attempt 60, submitted long after the first one.
    const status = job.status!;
    status.firstSubmitTime = iso(T0 - 7200_000);
    const t = transition(job, observe().obj(), settings);
    expect(t.status.phase).toBe('Failed');
    expect(conditionOf(t, 'Failed')?.reason).toBe('DeadlineExceeded');
  });

  it('cancels on a new cancel token and removes the job in the final pass', () => {
    const job = makeHPCJob().submitted(1, '7.0').annotate('hpc.scailfin.io/cancel', 'c1').obj();
    const t = transition(job, observe().obj(), settings);
    expect(t.status).toMatchObject({ phase: 'Failed', cancelToken: 'c1' });
    expect(t.status.attempts?.[0]?.outcome).toBe('Cancelled');
    const running = makeTrackedJob(job, 1, '7.0').running().obj();
    const after = transition({ ...job, status: t.status }, observe().jobs(running).obj(), settings);
    expect(after.afterWrite).toEqual([
      {
        kind: 'remove',
        target: { job: { jobId: '7.0', uid: 'uid-step' } },
        reason: 'HPCJob already finished',
      },
    ]);
  });

  it('starts one more attempt of a finished HPCJob on a new retry token, keeping its history', () => {
    const job = makeHPCJob()
      .submitted(1, '7.0', { outcome: 'Failed' })
      .status({ phase: 'Failed', completionTime: iso(T0) })
      .annotate('hpc.scailfin.io/retry', 'r1')
      .obj();
    const t = transition(job, observe().obj(), settings);
    expect(t.status).toMatchObject({ phase: 'Pending', retryToken: 'r1', attempt: 1 });
    expect(t.status.completionTime).toBeUndefined();
    expect(t.events.map((e) => e.reason)).toEqual(['RetryRequested']);
  });

  it('rejects a spec that fails validation without submitting', () => {
    const job = makeHPCJob().spec({ requirements: 'Memory > (' }).obj();
    const t = transition(job, observe().obj(), settings);
    expect(t.status.phase).toBe('Failed');
    expect(conditionOf(t, 'Accepted')).toMatchObject({ status: 'False', reason: 'InvalidRequirements' });
    expect(kinds(t.afterWrite)).toEqual([]);
  });
});
