import { describe, expect, it } from '@jest/globals';
import { T0 } from '../../../test/support/builders/hpcjob.js';
import {
  makeHPCJobSet,
  makeSetJob,
  observeSet,
  setSettings,
} from '../../../test/support/builders/hpcjobset.js';
import { transitionSet } from './transition.js';
import type { SetObservation } from './transition-types.js';

const TIMEOUT = 600_000;
const run = (set: Parameters<typeof transitionSet>[0], obs: SetObservation) =>
  transitionSet(set, obs, setSettings({ outputFetchTimeoutMs: TIMEOUT }));

describe("HPCJobSet transition: an index's output comes back before its end is recorded", () => {
  const set = makeHPCJobSet().spec({ count: 2 }).obj();
  const ref = { jobId: '9.0', uid: 'uid-sweep' };

  it('asks for the sandbox of a completed index and keeps it running (not acknowledged) meanwhile', () => {
    const done = makeSetJob(set, 0).completed(0);
    const t = run(set, observeSet().jobs(done, makeSetJob(set, 1).running()).fetch('9.0', 'none').obj());
    expect(t.afterWrite).toContainEqual(expect.objectContaining({ kind: 'fetchOutput' }));
    expect(t.afterWrite).not.toContainEqual(expect.objectContaining({ kind: 'acknowledge' }));
    expect(t.status).toMatchObject({ counts: { running: 2, succeeded: 0 }, running: '0-1' });
    expect(t.requeueAfterMs).toBe(2000);
  });

  it('records the outcome and acknowledges once the fetch is done', () => {
    const t = run(set, observeSet().jobs(makeSetJob(set, 0).completed(0)).obj());
    expect(t.afterWrite).toContainEqual({ kind: 'acknowledge', job: ref });
    expect(t.afterWrite).not.toContainEqual(expect.objectContaining({ kind: 'fetchOutput' }));
    expect(t.status).toMatchObject({ succeeded: '0', counts: { succeeded: 1 } });
  });

  it('a failed attempt is fetched too (its stderr), then recorded', () => {
    const pending = { state: 'pending' as const, since: T0, failures: 0 };
    const waiting = run(set, observeSet().jobs(makeSetJob(set, 1).completed(2)).fetch('9.1', pending).obj());
    expect(waiting.status.failed).toBeUndefined();
    expect(waiting.status.running).toBe('1');
    const fetched = run(set, observeSet().jobs(makeSetJob(set, 1).completed(2)).obj());
    expect(fetched.status).toMatchObject({ failed: '1', counts: { failed: 1 } });
  });

  it('gives a fetch up when it cannot succeed, or failed for --output-fetch-timeout-seconds', () => {
    const job = () => makeSetJob(set, 0).completed(0);
    const broken = { state: 'failed' as const, error: 'not in the spool' };
    expect(run(set, observeSet().jobs(job()).fetch('9.0', broken).obj()).status.succeeded).toBe('0');
    const failing = { state: 'pending' as const, since: T0, failures: 3, lastError: 'timeout' };
    const early = observeSet()
      .at(T0 + TIMEOUT - 1)
      .jobs(job())
      .fetch('9.0', failing)
      .obj();
    expect(run(set, early).status.succeeded).toBeUndefined();
    const late = observeSet()
      .at(T0 + TIMEOUT)
      .jobs(job())
      .fetch('9.0', failing)
      .obj();
    expect(run(set, late).status.succeeded).toBe('0');
  });

  it('a removed index (never completed) has no sandbox: nothing is fetched', () => {
    const removed = makeSetJob(set, 0).removed('by hand');
    const t = run(set, observeSet().jobs(removed).obj());
    expect(t.afterWrite).not.toContainEqual(expect.objectContaining({ kind: 'fetchOutput' }));
  });
});
