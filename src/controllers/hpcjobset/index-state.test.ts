import { describe, expect, it } from '@jest/globals';
import { hasEnded, indexWhere, rangesInclude } from './index-state.js';

describe('rangesInclude', () => {
  it('finds an index in single items and ranges, and reads a cut list up to the cut', () => {
    expect(rangesInclude('0-2,5,7-9', 8)).toBe(true);
    expect(rangesInclude('0-2,5,7-9', 5)).toBe(true);
    expect(rangesInclude('0-2,5,7-9', 6)).toBe(false);
    expect(rangesInclude('0-2,...', 2)).toBe(true);
    expect(rangesInclude('', 0)).toBe(false);
    expect(rangesInclude(undefined, 0)).toBe(false);
  });
});

describe("indexWhere: an index's state from the set's status", () => {
  const counts = { pending: 0, queued: 0, running: 1, held: 0, succeeded: 2, failed: 1, cancelled: 0 };

  it('knows an index on a list exactly, with its record when it failed', () => {
    const record = { index: 3, failedAttempts: 2, jobId: '7.3', exitCode: 1 };
    const status = { counts, succeeded: '0-1', failed: '3', running: '2', indexRecords: [record] };
    expect(indexWhere(status, 1)).toEqual({ states: ['succeeded'], failedAttempts: 0 });
    expect(indexWhere(status, 2).states).toEqual(['running']);
    const failed = indexWhere(status, 3);
    expect(failed).toEqual({ states: ['failed'], failedAttempts: 2, record });
    expect(hasEnded(failed)).toBe(true);
    expect(hasEnded(indexWhere(status, 2))).toBe(false);
  });

  it('an index on the queued list is queued; on no list, pending or what cut lists leave possible', () => {
    const queued = { counts: { ...counts, queued: 2, pending: 1 }, queued: '3-4' };
    expect(indexWhere(queued, 4).states).toEqual(['queued']);
    expect(indexWhere(queued, 0).states).toEqual(['pending']);
    expect(indexWhere({ ...queued, queued: '3,...' }, 0).states).toEqual(['queued', 'pending']);
  });

  it('an index on no list is what the counts leave possible, and a backing-off one is pending', () => {
    const both = { ...counts, queued: 2, pending: 3 };
    expect(indexWhere({ counts: both, running: '0' }, 4).states).toEqual(['queued', 'pending']);
    expect(indexWhere({ counts: { ...counts, queued: 2 } }, 4).states).toEqual(['queued']);
    const cutList = { counts: { ...counts, pending: 1 }, running: '0-3,...' };
    expect(indexWhere(cutList, 9).states).toEqual(['pending', 'running']);
    const backoff = { index: 4, failedAttempts: 1, nextRetryTime: '2026-12-03T11:00:00Z' };
    expect(indexWhere({ counts: both, indexRecords: [backoff] }, 4)).toMatchObject({
      states: ['pending'],
      failedAttempts: 1,
    });
    expect(indexWhere(undefined, 0).states).toEqual(['pending']);
  });
});
