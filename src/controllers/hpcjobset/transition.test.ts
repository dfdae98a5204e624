import { describe, expect, it } from '@jest/globals';
import { T0, iso } from '../../../test/support/builders/hpcjob.js';
import {
  makeHPCJobSet,
  makeSetJob,
  observeSet,
  setSettings,
} from '../../../test/support/builders/hpcjobset.js';
import { HPCJobSetAnnotations } from '../../crds/hpcjobset.js';
import { SUSPEND_REASON } from '../hpcjob/job-state.js';
import { transitionSet } from './transition.js';
import type { SetEffect, SetObservation } from './transition-types.js';

const run = (set: Parameters<typeof transitionSet>[0], obs: SetObservation) =>
  transitionSet(set, obs, setSettings());

const kinds = (effects: SetEffect[]) => effects.map((e) => e.kind);
const submitted = (effects: SetEffect[]) => effects.flatMap((e) => (e.kind === 'submit' ? e.entries : []));
const retryOnExit1 = {
  limit: 2,
  backoff: { initial: '10s', factor: 2, max: '1m' },
  rules: [{ onExitCodes: [1], action: 'retry' as const }],
};

describe('HPCJobSet transition: submitting', () => {
  it('adds its finalizer and submits every index in one submission', () => {
    const t = run(makeHPCJobSet().withoutFinalizer().obj(), observeSet().obj());
    expect(t.addFinalizer).toBe(true);
    expect(submitted(t.afterWrite)).toEqual([0, 1, 2].map((index) => ({ index, attempt: 1 })));
    expect(kinds(t.afterWrite)).toEqual(['submit']);
    expect(t.status).toMatchObject({ phase: 'Running', total: 3, counts: { pending: 3 } });
  });

  it('keeps at most spec.parallelism indices in HTCondor', () => {
    const set = makeHPCJobSet().spec({ count: 5, parallelism: 2 }).obj();
    expect(submitted(run(set, observeSet().obj()).afterWrite).map((e) => e.index)).toEqual([0, 1]);
    const one = observeSet().jobs(makeSetJob(set, 0).running()).obj();
    expect(submitted(run(set, one).afterWrite).map((e) => e.index)).toEqual([1]);
    const two = observeSet().jobs(makeSetJob(set, 0).running(), makeSetJob(set, 1)).obj();
    expect(submitted(run(set, two).afterWrite)).toEqual([]);
  });

  it('submits at most 5,000 indices per condor_submit (its memory counts against the pod), the rest in the next', () => {
    // Found by bench/hpcjobset.ts at 100,000: 20,000 at once were more than the schedd takes (its
    // MAX_JOBS_PER_SUBMISSION), and then more than condor_submit could hold in the chart's 1 GiB.
    const set = makeHPCJobSet().spec({ count: 12_000 }).obj();
    const first = submitted(run(set, observeSet().obj()).afterWrite);
    expect([first.length, first[0]?.index, first.at(-1)?.index]).toEqual([5_000, 0, 4_999]);
    const queued = Array.from({ length: 5_000 }, (_, i) => makeSetJob(set, i));
    const second = submitted(
      run(
        set,
        observeSet()
          .jobs(...queued)
          .obj(),
      ).afterWrite,
    );
    expect([second.length, second[0]?.index]).toEqual([5_000, 5_000]);
  });

  it('submits nothing until the queue was read after the last submission, or while the schedd is away', () => {
    const set = makeHPCJobSet().obj();
    const t = run(set, observeSet().unsettled().obj());
    expect(submitted(t.afterWrite)).toEqual([]);
    expect(t.requeueAfterMs).toBe(1000);
    const away = run(set, observeSet().unreachable().obj());
    expect(submitted(away.afterWrite)).toEqual([]);
    expect(away.status.conditions).toContainEqual(
      expect.objectContaining({ type: 'SchedulerReachable', status: 'False', message: 'connection refused' }),
    );
  });

  it('waits after a failed submission, then submits again', () => {
    const set = makeHPCJobSet().obj();
    const failed = { state: 'failed' as const, permanent: false, message: 'schedd busy', at: T0 };
    const soon = run(
      set,
      observeSet()
        .at(T0 + 2000)
        .submission(failed)
        .obj(),
    );
    expect(submitted(soon.afterWrite)).toEqual([]);
    expect(soon.status.message).toContain('; submitting failed: schedd busy');
    const later = run(
      set,
      observeSet()
        .at(T0 + 11_000)
        .submission(failed)
        .obj(),
    );
    expect(submitted(later.afterWrite)).toHaveLength(3);
  });
});

describe('HPCJobSet transition: following indices', () => {
  it('counts and ranges indices by state, acknowledges what succeeded, and ends Succeeded', () => {
    const set = makeHPCJobSet().spec({ count: 4 }).obj();
    const obs = observeSet()
      .jobs(
        makeSetJob(set, 0).completed(0),
        makeSetJob(set, 1).running(),
        makeSetJob(set, 2),
        makeSetJob(set, 3).running(),
      )
      .obj();
    const t = run(set, obs);
    expect(t.status).toMatchObject({
      counts: { succeeded: 1, running: 2, queued: 1, pending: 0, failed: 0 },
      succeeded: '0',
      running: '1,3',
    });
    expect(t.afterWrite).toContainEqual({ kind: 'acknowledge', job: { jobId: '9.0', uid: 'uid-sweep' } });
    const done = makeHPCJobSet().spec({ count: 4 }).status({ succeeded: '0-3' }).obj();
    const end = run(done, observeSet().obj());
    expect(end.status).toMatchObject({
      phase: 'Succeeded',
      counts: { succeeded: 4 },
      completionTime: iso(T0 + 1000),
    });
  });

  it('retries a failed index on its own after backoff, then ends it failed at the retry limit', () => {
    const set = makeHPCJobSet().template({ retryPolicy: retryOnExit1 }).obj();
    const first = run(
      set,
      observeSet()
        .jobs(makeSetJob(set, 1).completed(1), makeSetJob(set, 0).running(), makeSetJob(set, 2).running())
        .obj(),
    );
    expect(first.status.indexRecords).toEqual([
      expect.objectContaining({
        index: 1,
        failedAttempts: 1,
        exitCode: 1,
        failureCategory: 'ExitCode',
        nextRetryTime: iso(T0 + 1000 + 10_000),
      }),
    ]);
    expect(first.status.counts).toMatchObject({ pending: 1, failed: 0 });
    expect(submitted(first.afterWrite)).toEqual([]);
    const recorded = makeHPCJobSet().template({ retryPolicy: retryOnExit1 }).status(first.status).obj();
    // The failed job is still in the queue until acknowledged: it is not counted again.
    const due = observeSet()
      .at(T0 + 12_000)
      .jobs(
        makeSetJob(recorded, 1).completed(1),
        makeSetJob(recorded, 0).running(),
        makeSetJob(recorded, 2).running(),
      )
      .obj();
    const second = run(recorded, due);
    expect(submitted(second.afterWrite)).toEqual([{ index: 1, attempt: 2 }]);
    expect(second.status.indexRecords?.[0]).toMatchObject({ failedAttempts: 1, exitCode: 1 });
    expect(second.status.indexRecords?.[0]?.nextRetryTime).toBeUndefined();
    const last = makeHPCJobSet()
      .template({ retryPolicy: retryOnExit1 })
      .status({ indexRecords: [{ index: 1, failedAttempts: 2 }], succeeded: '0,2' })
      .obj();
    const t = run(
      last,
      observeSet()
        .jobs(makeSetJob(last, 1, 3, '11.0').completed(1))
        .obj(),
    );
    expect(t.status).toMatchObject({ phase: 'Failed', failed: '1', counts: { failed: 1, succeeded: 2 } });
    expect(t.events).toContainEqual(expect.objectContaining({ reason: 'IndicesFailed', type: 'Warning' }));
  });

  it('cancels listed indices: their jobs go, they are never submitted, the others go on', () => {
    const set = makeHPCJobSet().spec({ count: 4 }).annotate(HPCJobSetAnnotations.CancelIndices, '1-2').obj();
    const t = run(set, observeSet().jobs(makeSetJob(set, 1).running()).obj());
    expect(t.afterWrite).toContainEqual(
      expect.objectContaining({ kind: 'remove', target: { job: { jobId: '9.1', uid: 'uid-sweep' } } }),
    );
    expect(submitted(t.afterWrite).map((e) => e.index)).toEqual([0, 3]);
    expect(t.status).toMatchObject({ cancelled: '1-2', counts: { cancelled: 2, pending: 2 } });
    const bad = makeHPCJobSet().annotate(HPCJobSetAnnotations.CancelIndices, '7').obj();
    expect(run(bad, observeSet().obj()).status.message).toContain('the set has indices 0 to 2');
  });

  it('cancels the whole set: every job goes and it ends Failed (Cancelled)', () => {
    const set = makeHPCJobSet().status({ succeeded: '0' }).annotate(HPCJobSetAnnotations.Cancel, 'now').obj();
    const t = run(set, observeSet().jobs(makeSetJob(set, 1).running()).obj());
    expect(t.afterWrite).toContainEqual({
      kind: 'remove',
      target: { uid: 'uid-sweep' },
      reason: 'HPCJobSet cancelled',
    });
    expect(t.status).toMatchObject({ phase: 'Failed', cancelToken: 'now', cancelled: '1-2', succeeded: '0' });
    expect(t.status.conditions).toContainEqual(
      expect.objectContaining({ type: 'Failed', reason: 'Cancelled' }),
    );
  });

  it('suspends: holds its jobs and submits nothing; resumes: releases what it held', () => {
    const set = makeHPCJobSet().spec({ suspend: true }).obj();
    const t = run(set, observeSet().jobs(makeSetJob(set, 0).running()).obj());
    expect(t.afterWrite).toEqual([
      { kind: 'hold', job: { jobId: '9.0', uid: 'uid-sweep' }, reason: SUSPEND_REASON },
    ]);
    expect(t.status.phase).toBe('Suspended');
    const resumed = makeHPCJobSet().spec({ suspend: false, count: 1 }).obj();
    const held = makeSetJob(resumed, 0).held(1, 0, SUSPEND_REASON);
    const r = run(resumed, observeSet().jobs(held).obj());
    expect(r.afterWrite).toEqual([
      {
        kind: 'release',
        job: { jobId: '9.0', uid: 'uid-sweep' },
        holdSince: Math.floor((T0 + 30_000) / 1000),
      },
    ]);
  });
});

describe('HPCJobSet transition: the end', () => {
  it('on deletion removes its jobs, and drops the finalizer only once nothing of it can be in the queue', () => {
    const set = makeHPCJobSet().deleting().obj();
    const busy = run(
      set,
      observeSet().jobs(makeSetJob(set, 0).running(), makeSetJob(set, 1).completed(0)).obj(),
    );
    // One call for every job of the set, acknowledged as it is removed (it leaves at once, not in X).
    expect(busy.afterWrite).toEqual([
      { kind: 'discard', target: { uid: 'uid-sweep' }, reason: 'HPCJobSet deleted' },
      { kind: 'acknowledge', job: { jobId: '9.1', uid: 'uid-sweep' } },
    ]);
    expect(kinds(run(set, observeSet().unsettled().obj()).afterWrite)).toEqual([]);
    // Acknowledged but still in the queue: the finalizer waits until it left.
    const leaving = observeSet().jobs(makeSetJob(set, 1).completed(0).acked()).obj();
    expect(kinds(run(set, leaving).afterWrite)).toEqual([]);
    expect(kinds(run(set, observeSet().obj()).afterWrite)).toEqual([
      'removeFiles',
      'forget',
      'removeFinalizer',
    ]);
  });

  it('forces out a job that stays removed (X) past the grace, which HTCondor would keep', () => {
    const set = makeHPCJobSet().deleting().obj();
    const removed = makeSetJob(set, 0).removed('HPCJobSet deleted', T0).acked();
    expect(
      kinds(
        run(
          set,
          observeSet()
            .at(T0 + 30_000)
            .jobs(removed)
            .obj(),
        ).afterWrite,
      ),
    ).toEqual([]);
    expect(
      run(
        set,
        observeSet()
          .at(T0 + 60_000)
          .jobs(removed)
          .obj(),
      ).afterWrite,
    ).toEqual([{ kind: 'forceRemove', job: { jobId: '9.0', uid: 'uid-sweep' } }]);
    // Not while the schedd does not show its acknowledgement: then it waits for that, not its execute side.
    const unacked = makeSetJob(set, 0).removed('HPCJobSet deleted', T0).ackAsked();
    expect(
      kinds(
        run(
          set,
          observeSet()
            .at(T0 + 3_600_000)
            .jobs(unacked)
            .obj(),
        ).afterWrite,
      ),
    ).toEqual([]);
  });

  it('is deleted ttlSecondsAfterFinished after it ended', () => {
    const set = makeHPCJobSet()
      .spec({ ttlSecondsAfterFinished: 60 })
      .status({ phase: 'Succeeded', completionTime: iso(T0) })
      .obj();
    const early = run(
      set,
      observeSet()
        .at(T0 + 30_000)
        .obj(),
    );
    expect(early.requeueAfterMs).toBe(30_000);
    expect(
      kinds(
        run(
          set,
          observeSet()
            .at(T0 + 60_000)
            .obj(),
        ).afterWrite,
      ),
    ).toEqual(['deleteObject']);
  });

  it('fails at once on an item key that cannot be a variable name', () => {
    const set = makeHPCJobSet()
      .items([{ 'a-b': '1' }])
      .obj();
    const t = run(set, observeSet().obj());
    expect(t.status.phase).toBe('Failed');
    expect(t.status.conditions).toContainEqual(
      expect.objectContaining({ type: 'Accepted', status: 'False', reason: 'InvalidSpec' }),
    );
    expect(submitted(t.afterWrite)).toEqual([]);
  });
});

describe('HPCJobSet status at 100,000 indices', () => {
  it('stays small: counts and a few ranges, whatever runs', () => {
    const set = makeHPCJobSet()
      .spec({ count: 100_000 })
      .template({ retryPolicy: { limit: 0 } })
      .obj();
    const jobs = Array.from({ length: 100_000 }, (_, i) => {
      const j = makeSetJob(set, i, 1, `9.${i}`);
      return (i % 1000 === 999 ? j.completed(2) : i < 50_000 ? j.completed(0) : j.running()).obj();
    });
    const t = run(
      set,
      observeSet()
        .jobs(...jobs)
        .obj(),
    );
    expect(t.status.counts).toMatchObject({ succeeded: 49_950, failed: 100, running: 49_950 });
    expect(t.status.running).toMatch(/^50000-50998,51000-51998,/);
    expect(t.status.indexRecords).toHaveLength(100);
    expect(JSON.stringify(t.status).length).toBeLessThan(64 * 1024);
  });
});
