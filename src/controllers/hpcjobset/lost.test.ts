/**
 * An index whose job the status saw (running or held) and that left the queue without the operator seeing it
 * end (condor_rm -forcex by a person while no replica watched, a spool lost): found by the simulation
 * (seed 31: a replica crashed, the next one submitted the same index's attempt 1 again; seed 51: a job
 * removed while idle, and the replica watching submitted the same attempt again).
 */
import { describe, expect, it } from '@jest/globals';
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
const policy = (limit: number) => ({ limit, backoff: { initial: '10s', factor: 2, max: '1m' } });

/** Three indices; the last status saw 0 and 1 running, 2 held. */
const seen = (limit: number) =>
  makeHPCJobSet()
    .template({ retryPolicy: policy(limit) })
    .status({
      phase: 'Running',
      total: 3,
      counts: { pending: 0, queued: 0, running: 2, held: 1, succeeded: 0, failed: 0, cancelled: 0 },
      running: '0-1',
      held: '2',
      startTime: '2026-01-01T00:00:00Z',
    });

describe('HPCJobSet transition: an attempt whose job left the queue unseen', () => {
  it('is a failed attempt (Lost): the index is retried as its next attempt, never the same one again', () => {
    const set = seen(2).obj();
    const t = run(set, observeSet().jobs(makeSetJob(set, 1).running()).obj());
    expect(submitted(t.afterWrite)).toEqual([]);
    expect(t.status.indexRecords).toEqual([
      expect.objectContaining({ index: 0, failedAttempts: 1, failureCategory: 'Lost' }),
      expect.objectContaining({ index: 2, failedAttempts: 1, failureCategory: 'Lost' }),
    ]);
    expect(t.status.indexRecords?.[0]?.nextRetryTime).toBeDefined();
    expect(t.status.indexRecords?.[0]).not.toHaveProperty('jobId');
    expect(t.status.counts).toMatchObject({ running: 1, pending: 2 });
    // After the backoff: attempt 2 of both.
    const later = run(
      { ...set, status: t.status },
      observeSet()
        .at(Date.parse(t.status.indexRecords?.[1]?.nextRetryTime ?? '') + 1)
        .jobs(makeSetJob(set, 1).running())
        .obj(),
    );
    expect(submitted(later.afterWrite)).toEqual([
      { index: 0, attempt: 2 },
      { index: 2, attempt: 2 },
    ]);
  });

  it('counts the queued (idle) indices the status listed too', () => {
    const set = makeHPCJobSet()
      .spec({ count: 2 })
      .status({
        phase: 'Running',
        total: 2,
        counts: { pending: 0, queued: 2, running: 0, held: 0, succeeded: 0, failed: 0, cancelled: 0 },
        queued: '0-1',
      })
      .obj();
    const t = run(set, observeSet().jobs(makeSetJob(set, 1)).obj());
    expect(submitted(t.afterWrite)).toEqual([]);
    expect(t.status.indexRecords).toEqual([
      expect.objectContaining({ index: 0, failedAttempts: 1, failureCategory: 'Lost' }),
    ]);
    expect(t.status).toMatchObject({ queued: '1', counts: { queued: 1, pending: 1 } });
  });

  it('ends the index failed when no retry is left', () => {
    const set = seen(0).obj();
    const t = run(set, observeSet().jobs(makeSetJob(set, 1).running(), makeSetJob(set, 2).held(13)).obj());
    expect(submitted(t.afterWrite)).toEqual([]);
    expect(t.status).toMatchObject({ failed: '0', counts: { failed: 1, running: 1, held: 1 } });
  });

  it('is decided only once the queue was read after every submission, with the schedd answering', () => {
    const set = seen(2).obj();
    for (const obs of [observeSet().unsettled().obj(), observeSet().unreachable().obj()]) {
      const t = run(set, obs);
      expect(submitted(t.afterWrite)).toEqual([]);
      expect(t.status.indexRecords).toBeUndefined();
      // Nor forgotten meanwhile (seed 1600: the next status said pending, and the index ran again as attempt 1).
      expect(t.status).toMatchObject({ counts: set.status?.counts, running: '0-1', held: '2' });
    }
  });

  it('waits for the first read of the queue: until then nothing is followed, lost or submitted', () => {
    const set = seen(2).obj();
    const obs = observeSet().obj();
    obs.state = { synced: false, reachable: true };
    const t = run(set, obs);
    expect(submitted(t.afterWrite)).toEqual([]);
    // The counts and ranges stay what the last status said (not every index pending).
    expect(t.status).toMatchObject({ counts: set.status?.counts, running: '0-1', held: '2' });
    expect(t.status.indexRecords).toBeUndefined();
    expect(t.requeueAfterMs).toBeDefined();
  });
});
