import { describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import type { JobAd } from './parse.js';
import type { ScheddClient } from './schedd.js';
import { JobTracker, sameAd } from './tracker.js';

/** A schedd stand-in that records the constraints it is asked and answers from a table of ads. */
function fakeSchedd(queue: JobAd[], history: JobAd[] = []) {
  const asked: string[] = [];
  const schedd = {
    label: 'fake',
    query: async (constraint: string) => {
      asked.push(constraint);
      const delta = constraint.includes('EnteredCurrentStatus >=');
      return queue.filter((ad) => !delta || ad.Changed === true).map((ad) => ({ ...ad }));
    },
    history: async () => history.map((ad) => ({ ...ad })),
    edit: async () => true,
  };
  return { schedd: schedd as unknown as ScheddClient, asked, queue };
}

const ad = (proc: number, status: number, extra: JobAd = {}): JobAd => ({
  ClusterId: 7,
  ProcId: proc,
  HPCJobUID: `uid-${proc}`,
  HPCJobAttempt: 1,
  HPCJobRef: `ns/job-${proc}`,
  JobStatus: status,
  ...extra,
});

describe('JobTracker', () => {
  it('reads the whole queue first, then only what changed, then the whole queue again to find leavers', async () => {
    const { schedd, asked, queue } = fakeSchedd([ad(0, 1), ad(1, 1)], [ad(1, 4, { ExitCode: 0 })]);
    const changes: string[] = [];
    const tracker = new JobTracker(schedd, {
      operatorId: 'op',
      log: pino({ level: 'silent' }),
      onChange: (ref) => changes.push(ref),
      fullPollIntervalMs: 200,
    });
    await tracker.pollNow();
    expect(asked[0]).toBe('HPCOperator == "op"');
    expect(changes.sort()).toEqual(['ns/job-0', 'ns/job-1']);

    // job-0 starts running: the delta read sees it; job-1, unchanged, is not read but still known.
    changes.length = 0;
    queue[0] = ad(0, 2, { Changed: true });
    await tracker.pollNow();
    expect(asked[1]).toMatch(/^HPCOperator == "op" && EnteredCurrentStatus >= time\(\) - \d+$/);
    expect(changes).toEqual(['ns/job-0']);
    expect(tracker.find('uid-0', 1)?.ad.JobStatus).toBe(2);
    expect(tracker.find('uid-1', 1)?.source).toBe('queue');

    // job-1 leaves the queue: no delta can tell; the next whole read does, and its end comes from history.
    changes.length = 0;
    queue.splice(1, 1);
    await tracker.pollNow();
    expect(changes).toEqual([]);
    await new Promise((r) => setTimeout(r, 250));
    await tracker.pollNow();
    expect(asked[3]).toBe('HPCOperator == "op"');
    // Reported on leaving and again with its history (the work queue folds the two).
    expect([...new Set(changes)]).toEqual(['ns/job-1']);
    expect(tracker.find('uid-1', 1)).toMatchObject({ source: 'history', ad: { JobStatus: 4, ExitCode: 0 } });
  });

  it('compares ads by value, lists and nested ads included', () => {
    expect(sameAd({ A: 1, B: 'x', C: null }, { A: 1, B: 'x', C: null })).toBe(true);
    expect(sameAd({ A: 1 }, { A: 2 })).toBe(false);
    expect(sameAd({ A: 1 }, { A: 1, B: 2 })).toBe(false);
    expect(sameAd({ A: 1, B: 2 }, { A: 1 })).toBe(false);
    expect(sameAd({ L: [1, 2] }, { L: [1, 2] })).toBe(true);
    expect(sameAd({ L: [1, 2] }, { L: [2, 1] })).toBe(false);
  });
});
