/**
 * everyJob (test/support/stack/condor-jobs.ts), which the e2e and chaos tests use to find every job a schedd
 * ever had: a job that leaves the queue for the history between its two reads is found, once. The fresh-clone
 * CI once lost two finished indices of a set to a helper that read the history first.
 */
import { describe, expect, it } from '@jest/globals';
import { everyJob } from '../support/stack/condor-jobs.js';

type Ad = Record<string, unknown>;

/** A schedd whose one job leaves the queue for the history right after the first read, whichever it is. */
function leavingAfterFirstRead() {
  const queue: Ad[] = [{ ClusterId: 7, ProcId: 0, JobStatus: 2 }];
  const history: Ad[] = [];
  const leave = () => {
    const ad = queue.shift();
    if (ad) history.push({ ...ad, JobStatus: 4 });
  };
  const read = async (from: Ad[]) => {
    const seen = from.map((a) => ({ ...a }));
    leave();
    return seen;
  };
  return { query: () => read(queue), history: () => read(history) };
}

describe('everyJob', () => {
  it('finds a job that leaves the queue between the two reads, once, as its history ad', async () => {
    const { all, queue, history } = await everyJob(leavingAfterFirstRead(), 'true', ['JobStatus']);
    expect(queue).toHaveLength(1);
    expect(history).toHaveLength(1);
    expect(all).toEqual([{ ClusterId: 7, ProcId: 0, JobStatus: 4 }]);
  });
});
