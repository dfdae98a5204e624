import { describe, expect, it } from '@jest/globals';
import { T0, iso } from '../../../test/support/builders/hpcjob.js';
import {
  makeHPCJobSet,
  makeSetJob,
  observeSet,
  setSettings,
} from '../../../test/support/builders/hpcjobset.js';
import { transitionSet } from './transition.js';
import type { SetEffect, SetObservation } from './transition-types.js';

const run = (set: Parameters<typeof transitionSet>[0], obs: SetObservation) =>
  transitionSet(set, obs, setSettings());
const submitted = (effects: SetEffect[]) => effects.flatMap((e) => (e.kind === 'submit' ? e.entries : []));
const retryOnExit1 = {
  limit: 3,
  backoff: { initial: '10s' },
  rules: [{ onExitCodes: [1], action: 'retry' as const }],
};
/** The job ad's QDate for a submission at `ms`. */
const qdate = (ms: number) => ({ QDate: Math.floor(ms / 1000) });

describe('HPCJobSet template.activeDeadlineSeconds, per index', () => {
  it('removes the job of an index past its deadline, fails the index for good (DeadlineExceeded), and looks again at the next', () => {
    const set = makeHPCJobSet().spec({ count: 2 }).template({ activeDeadlineSeconds: 60 }).obj();
    const obs = observeSet()
      .at(T0 + 61_000)
      .jobs(
        makeSetJob(set, 0).running(),
        makeSetJob(set, 1)
          .ad(qdate(T0 + 30_000))
          .running(),
      )
      .obj();
    const t = run(set, obs);
    expect(t.afterWrite).toContainEqual({
      kind: 'remove',
      target: { job: { jobId: '9.0', uid: 'uid-sweep' } },
      reason: 'HPCJobSet index activeDeadlineSeconds exceeded',
    });
    expect(t.status).toMatchObject({ failed: '0', running: '1', counts: { failed: 1, running: 1 } });
    expect(t.status.indexRecords).toEqual([
      {
        index: 0,
        failedAttempts: 1,
        jobId: '9.0',
        failureCategory: 'DeadlineExceeded',
        message: 'activeDeadlineSeconds (60) exceeded',
        firstSubmitTime: iso(T0),
      },
    ]);
    // Index 1 was submitted 30 s later: its deadline is 29 s away.
    expect(t.requeueAfterMs).toBe(29_000);
    expect(submitted(t.afterWrite)).toEqual([]);
  });

  it('leaves alone an index whose attempt already ended: its outcome stands', () => {
    const set = makeHPCJobSet().spec({ count: 1 }).template({ activeDeadlineSeconds: 60 }).obj();
    const t = run(
      set,
      observeSet()
        .at(T0 + 120_000)
        .jobs(makeSetJob(set, 0).completed(0))
        .obj(),
    );
    expect(t.status).toMatchObject({ phase: 'Succeeded', succeeded: '0' });
  });

  it('counts from the first submission across retries (the record keeps it)', () => {
    const set = makeHPCJobSet()
      .spec({ count: 1 })
      .template({ activeDeadlineSeconds: 100, retryPolicy: retryOnExit1 })
      .obj();
    const first = run(
      set,
      observeSet()
        .at(T0 + 20_000)
        .jobs(makeSetJob(set, 0).completed(1, T0 + 20_000))
        .obj(),
    );
    expect(first.status.indexRecords?.[0]).toMatchObject({ failedAttempts: 1, firstSubmitTime: iso(T0) });
    const retried = makeHPCJobSet()
      .spec({ count: 1 })
      .template({ activeDeadlineSeconds: 100, retryPolicy: retryOnExit1 })
      .status(first.status)
      .obj();
    // Attempt 2 was submitted at +40 s; 100 s from the first submission is over at +101 s.
    const second = makeSetJob(retried, 0, 2, '10.0')
      .ad(qdate(T0 + 40_000))
      .running();
    const t = run(
      retried,
      observeSet()
        .at(T0 + 101_000)
        .jobs(second)
        .obj(),
    );
    expect(t.status).toMatchObject({ phase: 'Failed', failed: '0' });
    expect(t.status.indexRecords?.[0]).toMatchObject({
      failedAttempts: 2,
      failureCategory: 'DeadlineExceeded',
      firstSubmitTime: iso(T0),
    });
  });

  it('fails an index waiting for its retry once the deadline passed, and never submits it again', () => {
    const set = makeHPCJobSet()
      .spec({ count: 1 })
      .template({ activeDeadlineSeconds: 100, retryPolicy: retryOnExit1 })
      .status({
        indexRecords: [
          {
            index: 0,
            failedAttempts: 1,
            jobId: '9.0',
            failureCategory: 'ExitCode',
            exitCode: 1,
            message: 'exited with code 1',
            firstSubmitTime: iso(T0),
            nextRetryTime: iso(T0 + 200_000),
          },
        ],
      })
      .obj();
    const t = run(
      set,
      observeSet()
        .at(T0 + 150_000)
        .obj(),
    );
    expect(submitted(t.afterWrite)).toEqual([]);
    expect(t.status).toMatchObject({ phase: 'Failed', failed: '0' });
    expect(t.status.indexRecords?.[0]).toMatchObject({
      failureCategory: 'DeadlineExceeded',
      failedAttempts: 1,
    });
    expect(t.status.indexRecords?.[0]?.nextRetryTime).toBeUndefined();
  });

  it('keeps no firstSubmitTime in records without a deadline', () => {
    const set = makeHPCJobSet().spec({ count: 1 }).template({ retryPolicy: retryOnExit1 }).obj();
    const t = run(set, observeSet().jobs(makeSetJob(set, 0).completed(1)).obj());
    expect(t.status.indexRecords?.[0]).toMatchObject({ failedAttempts: 1 });
    expect(t.status.indexRecords?.[0]?.firstSubmitTime).toBeUndefined();
  });
});
