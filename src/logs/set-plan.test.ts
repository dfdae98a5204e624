import { describe, expect, it } from '@jest/globals';
import { makeHPCJobSet } from '../../test/support/builders/hpcjobset.js';
import { indicesText } from '../controllers/hpcjobset/index-state.js';
import { indexAttemptState, liveIndexPlan, planSetLogs } from './set-plan.js';

const q = { index: 1, stream: 'stdout' as const };

describe("planSetLogs: an HPCJobSet index's log", () => {
  it('an ended index is its file in the set directory; one not ended is looked for in the queue', () => {
    const set = makeHPCJobSet()
      .status({ failed: '1', indexRecords: [{ index: 2, failedAttempts: 1 }] })
      .obj();
    expect(planSetLogs(set, { index: 1, stream: 'stderr' }, '/d')).toMatchObject({
      kind: 'file',
      path: '/d/hpc-1.stderr',
    });
    expect(planSetLogs(set, { index: 2, stream: 'stdout' }, '/d')).toEqual({
      kind: 'find',
      attempt: 2,
      path: '/d/hpc-2.stdout',
    });
  });

  it('says why a cancelled index has no output, and names the range of an out-of-range index', () => {
    const set = makeHPCJobSet().status({ cancelled: '1' }).obj();
    const plan = planSetLogs(set, q, '/d');
    expect(plan.kind === 'file' && plan.missing).toBe(
      "index 1 of hpcjobset sweep (indices 0-2) was cancelled: it has no stdout (the output of a cancelled index's job is not fetched)",
    );
    const one = makeHPCJobSet().spec({ count: 1 }).obj();
    expect(planSetLogs(one, q, '/d')).toEqual({
      kind: 'refuse',
      status: 404,
      message: 'hpcjobset sweep has no index 1: it has 1 (index 0 only)',
    });
    expect(indicesText(0)).toBe('no indices');
  });
});

describe('liveIndexPlan and indexAttemptState', () => {
  const set = makeHPCJobSet().status({ running: '1' }).obj();
  const find = { ...q, attempt: 1, path: '/d/hpc-1.stdout' };

  it("follows the index's unacknowledged job of the attempt, by its id and the set's uid", () => {
    const jobs = [{ jobId: '8.1', attempt: 1, acked: false }];
    expect(liveIndexPlan(set, find, jobs, { name: 's' })).toEqual({
      kind: 'live',
      attempt: 1,
      ref: { jobId: '8.1', uid: 'uid-sweep' },
      target: { name: 's' },
      path: '/d/hpc-1.stdout',
    });
    const acked = [{ jobId: '8.1', attempt: 1, acked: true }];
    expect(liveIndexPlan(set, find, acked, { name: 's' })).toMatchObject({ kind: 'refuse', status: 409 });
  });

  it('an attempt ends when its index ended or its record counts it as failed; a new set is another', () => {
    expect(indexAttemptState(set, 'uid-sweep', 1, 1)).toBe('running');
    const retried = makeHPCJobSet()
      .status({ indexRecords: [{ index: 1, failedAttempts: 1 }] })
      .obj();
    expect(indexAttemptState(retried, 'uid-sweep', 1, 1)).toBe('ended');
    expect(indexAttemptState(retried, 'uid-sweep', 1, 2)).toBe('running');
    const done = makeHPCJobSet().status({ succeeded: '0-2' }).obj();
    expect(indexAttemptState(done, 'uid-sweep', 1, 1)).toBe('ended');
    expect(indexAttemptState(done, 'uid-other', 1, 1)).toBe('gone');
    expect(indexAttemptState(undefined, 'uid-sweep', 1, 1)).toBe('gone');
  });
});
