import { describe, expect, it } from '@jest/globals';
import {
  T0,
  defaultSettings,
  makeHPCJob,
  makeTrackedJob,
  observe,
} from '../../../test/support/builders/hpcjob.js';
import { makeVirtualCluster } from '../../../test/support/builders/virtualcluster.js';
import type { MatchAnalysis } from '../../condor/match-analysis.js';
import { schedulableVerdict } from './schedulable.js';
import { Requeue } from './reasons.js';
import { transition } from './transition.js';

const settings = defaultSettings({ matchAnalysisAfterMs: 60_000, matchAnalysisEveryMs: 300_000 });
const queued = () => makeHPCJob().submitted(1, '7.0');
const conditionOf = (t: ReturnType<typeof transition>) =>
  t.status.conditions?.find((c) => c.type === 'Schedulable');

function analysis(patch: Partial<MatchAnalysis> = {}): MatchAnalysis {
  return {
    machines: 12,
    rejectedByJob: 12,
    rejectedBySlots: 0,
    runningYours: 0,
    servingOthers: 0,
    available: 0,
    clauses: [
      { condition: 'TARGET.HasCVMFS is true', matched: 0 },
      { condition: 'TARGET.Memory >= RequestMemory', matched: 0 },
      { condition: 'TARGET.HasFileTransfer', matched: 12 },
    ],
    jobValues: { RequestMemory: '64000 (mb)', FileSystemDomain: '"vm"' },
    ...patch,
  };
}

/** The transition of a job that waited 70 s and was analysed as matching no slot. */
function waitedUnmatched(job: ReturnType<ReturnType<typeof queued>['obj']>) {
  const obs = observe()
    .at(T0 + 70_000)
    .current(makeTrackedJob(job).obj())
    .analysis(analysis())
    .obj();
  return transition(job, obs, settings);
}

describe('Why a step is not running: the Schedulable condition', () => {
  it('says nothing and asks nothing while the job has been idle less than matchAnalysisAfterMs', () => {
    const job = queued().obj();
    const t = transition(
      job,
      observe()
        .at(T0 + 30_000)
        .current(makeTrackedJob(job).obj())
        .obj(),
      settings,
    );
    expect(conditionOf(t)).toBeUndefined();
    expect(t.afterWrite.map((e) => e.kind)).not.toContain('analyze');
    expect(t.requeueAfterMs).toBeLessThanOrEqual(30_000);
  });

  it('asks for the analysis once the job has waited long enough', () => {
    const job = queued().obj();
    const tracked = makeTrackedJob(job).obj();
    const t = transition(
      job,
      observe()
        .at(T0 + 61_000)
        .current(tracked)
        .obj(),
      settings,
    );
    expect(t.afterWrite).toContainEqual({ kind: 'analyze', job: tracked });
    expect(conditionOf(t)).toBeUndefined();
    // The analyzer tells the HPCJob when the answer comes; the timer is only the safety net.
    expect(t.requeueAfterMs).toBe(Requeue.AnalysisPending);
  });

  it('writes NoMatchingSlot naming each failing clause with the requested value, with one Event', () => {
    const job = queued().obj();
    const obs = observe()
      .at(T0 + 70_000)
      .current(makeTrackedJob(job).obj())
      .analysis(analysis(), T0 + 65_000)
      .obj();
    const t = transition(job, obs, settings);
    expect(conditionOf(t)).toMatchObject({
      status: 'False',
      reason: 'NoMatchingSlot',
      message:
        '0 of 12 machines match: TARGET.HasCVMFS is true; TARGET.Memory >= RequestMemory (requested RequestMemory = 64000 (mb))',
    });
    expect(t.events.filter((e) => e.reason === 'NotSchedulable')).toHaveLength(1);
    expect(t.afterWrite.map((e) => e.kind)).not.toContain('analyze');
    const again = transition({ ...job, status: t.status }, obs, settings);
    expect(again.events.filter((e) => e.reason === 'NotSchedulable')).toHaveLength(0);
  });

  it('refreshes an analysis older than matchAnalysisEveryMs', () => {
    const job = queued().obj();
    const obs = observe()
      .at(T0 + 400_000)
      .current(makeTrackedJob(job).obj())
      .analysis(analysis(), T0 + 65_000)
      .obj();
    expect(transition(job, obs, settings).afterWrite.map((e) => e.kind)).toContain('analyze');
  });

  it('turns True when the job starts, and is never added to a step that started at once', () => {
    const job = queued().obj();
    const waited = waitedUnmatched(job);
    const started = transition(
      { ...job, status: waited.status },
      observe()
        .at(T0 + 80_000)
        .current(makeTrackedJob(job).running('slot3@node7').obj())
        .obj(),
      settings,
    );
    expect(conditionOf(started)).toMatchObject({
      status: 'True',
      reason: 'Matched',
      message: 'matched slot3@node7',
    });
    const quick = transition(job, observe().current(makeTrackedJob(job).running().obj()).obj(), settings);
    expect(conditionOf(quick)).toBeUndefined();
  });

  it('turns True when a short job ends before it was ever seen running', () => {
    const job = queued().obj();
    const waited = waitedUnmatched(job);
    const ended = transition(
      { ...job, status: waited.status },
      observe()
        .at(T0 + 90_000)
        .current(makeTrackedJob(job).completed(0).obj(), { state: 'done' })
        .obj(),
      settings,
    );
    expect(conditionOf(ended)).toMatchObject({ status: 'True', reason: 'Matched' });
  });

  it('says NoWorkerFits when the step is bigger than any worker of its VirtualCluster', () => {
    const vc = makeVirtualCluster('small')
      .allocation((a) => a.slurm('login.example').workers({ cores: 2, memory: '4Gi' }))
      .status((s) => s.phase('Running'))
      .obj();
    const job = queued()
      .virtualCluster('small')
      .spec({ resources: { cpus: 8 } })
      .obj();
    const obs = observe()
      .at(T0 + 70_000)
      .virtualCluster(vc)
      .current(makeTrackedJob(job).obj())
      .analysis(analysis())
      .obj();
    expect(conditionOf(transition(job, obs, settings))).toMatchObject({
      status: 'False',
      reason: 'NoWorkerFits',
      message: expect.stringContaining('asks for 8 cores'),
    });
  });

  it('does not analyse a job held for spec.suspend', () => {
    const job = queued().spec({ suspend: true }).obj();
    const t = transition(
      job,
      observe()
        .at(T0 + 70_000)
        .current(makeTrackedJob(job).obj())
        .obj(),
      settings,
    );
    expect(t.afterWrite.map((e) => e.kind)).not.toContain('analyze');
  });
});

describe('schedulableVerdict', () => {
  it('names the VirtualCluster scaling up when its pilots are on their way', () => {
    const vc = makeVirtualCluster('gpu')
      .status((s) => s.workers({ requested: 3, queued: 2, running: 0 }))
      .obj();
    expect(schedulableVerdict(analysis({ machines: 0, rejectedByJob: 0 }), vc)).toEqual({
      reason: 'VirtualClusterScalingUp',
      message:
        'VirtualCluster gpu is scaling up: 2 pilots queued in the batch system, 0 running, 3 requested',
    });
  });

  it('says Priority when matching slots run other jobs, SlotsBusy when they could run it', () => {
    expect(schedulableVerdict(analysis({ rejectedByJob: 8, servingOthers: 4 })).reason).toBe('Priority');
    expect(schedulableVerdict(analysis({ rejectedByJob: 11, available: 1 }))).toEqual({
      reason: 'SlotsBusy',
      message: "1 of 12 machines can run it; waiting for free resources and the negotiator's next cycle",
    });
  });

  it('notes what the example slot has, or that it lacks the attribute', () => {
    const a = analysis({
      machines: 1,
      rejectedByJob: 1,
      exampleSlot: { name: 'slot1@hpc-pool', values: { 'TARGET.Memory': '16384 (mb)' } },
    });
    expect(schedulableVerdict(a).message).toBe(
      '0 of 1 machines match: TARGET.HasCVMFS is true (TARGET.HasCVMFS undefined on slot1@hpc-pool); ' +
        'TARGET.Memory >= RequestMemory (requested RequestMemory = 64000 (mb), slot1@hpc-pool has 16384 (mb))',
    );
  });

  it('says the pool has no slots', () => {
    expect(schedulableVerdict(analysis({ machines: 0, rejectedByJob: 0 }))).toEqual({
      reason: 'NoMatchingSlot',
      message: 'the pool has no slots',
    });
  });
});
