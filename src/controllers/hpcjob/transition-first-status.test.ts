/**
 * A new HPCJob's first status (pure): on the default pool it waits until the job is in the queue, so that
 * "submitted" and "queued" (or "running") are one write (docs/design.md, API writes per step); it is written
 * at once when it has something to say, and on a VirtualCluster.
 */
import { describe, expect, it } from '@jest/globals';
import {
  T0,
  defaultSettings,
  makeHPCJob,
  makeTrackedJob,
  observe,
} from '../../../test/support/builders/hpcjob.js';
import { makeVirtualCluster } from '../../../test/support/builders/virtualcluster.js';
import { transition } from './transition.js';

const settings = defaultSettings();
const kinds = (effects: { kind: string }[]) => effects.map((e) => e.kind);
const conditionOf = (t: ReturnType<typeof transition>, type: string) =>
  t.status.conditions?.find((c) => c.type === type);

describe("HPCJob transition: a new HPCJob's first status", () => {
  it("writes a new HPCJob's first status once its job is in the queue: submitted and queued in one", () => {
    const job = makeHPCJob().obj();
    const submitted = { state: 'submitted', jobId: '12.0', adopted: false } as const;
    const notYet = transition(job, observe().submission(submitted).unsettled().obj(), settings);
    expect(notYet.deferStatus).toBe(true);
    expect(notYet.afterWrite).toEqual([]);
    expect(notYet.requeueAfterMs).toBe(5000);
    const queued = makeTrackedJob(job, 1, '12.0').obj();
    const t = transition(job, observe().submission(submitted).jobs(queued).obj(), settings);
    expect(t.deferStatus).toBe(false);
    expect(t.status).toMatchObject({ phase: 'Queued', attempt: 1, jobId: '12.0', schedd: 'schedd@ap' });
    expect(conditionOf(t, 'Submitted')?.reason).toBe('Submitted');
    expect(conditionOf(t, 'SchedulerReachable')?.status).toBe('True');
    expect(t.samples.phases).toEqual(['Queued']);
    expect(kinds(t.afterWrite)).toEqual(['clearSubmission', 'attemptSubmitted']);
  });

  it("records a new HPCJob's job as Running at once when it started before the queue was read", () => {
    const job = makeHPCJob().obj();
    const running = makeTrackedJob(job, 1, '12.0').running().obj();
    const obs = observe()
      .submission({ state: 'submitted', jobId: '12.0', adopted: false })
      .jobs(running)
      .obj();
    const t = transition(job, obs, defaultSettings({ lifecycleEvents: true }));
    expect(t.status).toMatchObject({ phase: 'Running', jobId: '12.0' });
    expect(t.events.map((e) => e.reason)).toEqual(['Submitted', 'Started']);
  });

  it("lets a new HPCJob's first status wait out a short input spool (SpoolingInput hold), not a long one", () => {
    const job = makeHPCJob().obj();
    const spooling = makeTrackedJob(job, 1, '12.0').held(16, 0, 'Spooling input data files', T0).obj();
    const submitted = { state: 'submitted', jobId: '12.0', adopted: false } as const;
    const soon = transition(
      job,
      observe()
        .submission(submitted)
        .jobs(spooling)
        .at(T0 + 2000)
        .obj(),
      settings,
    );
    expect(soon.deferStatus).toBe(true);
    expect(soon.afterWrite).toEqual([]);
    // The spool's end is a status change the tracker reports; the timer only ends the wait (10 s from QDate).
    expect(soon.requeueAfterMs).toBe(8000);
    const late = transition(
      job,
      observe()
        .submission(submitted)
        .jobs(spooling)
        .at(T0 + 20_000)
        .obj(),
      settings,
    );
    expect(late.deferStatus).toBe(false);
    expect(late.status).toMatchObject({ phase: 'Submitted', jobId: '12.0' });
  });

  it('records the submission when a read of the queue since did not show the job (then follows it up)', () => {
    const job = makeHPCJob().obj();
    const obs = observe().submission({ state: 'submitted', jobId: '12.0', adopted: false }).obj();
    const t = transition(job, obs, settings);
    expect(t.deferStatus).toBe(false);
    expect(t.status).toMatchObject({ phase: 'Submitted', jobId: '12.0' });
  });

  it('writes the first status at once when the schedd does not answer, or on a VirtualCluster', () => {
    const down = transition(makeHPCJob().obj(), observe().unreachable().obj(), settings);
    expect(down.deferStatus).toBe(false);
    expect(conditionOf(down, 'SchedulerReachable')?.status).toBe('False');
    const vc = makeVirtualCluster('vc')
      .status((st) => st.phase('Running'))
      .obj();
    const onVc = transition(
      makeHPCJob().virtualCluster('vc').obj(),
      observe().virtualCluster(vc).obj(),
      settings,
    );
    expect(kinds(onVc.afterWrite)).toEqual(['submit']);
    expect(onVc.deferStatus).toBe(false);
  });
});
