import { describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { FakeSchedd, tags } from '../../test/support/fake-schedd.js';
import { ManualClock } from '../../test/support/manual-clock.js';
import { CondorError } from './errors.js';
import { JobStatus } from './job-status.js';
import type { JobAd } from './parse.js';
import type { ScheddApi } from './schedd-api.js';
import { MIN_HISTORY_MISSES } from './history-lookups.js';
import { sameAd } from './queue-snapshot.js';
import { JobTracker, type TrackerOptions } from './tracker.js';

const log = pino({ level: 'silent' });

function setup(o: Partial<TrackerOptions> = {}) {
  const clock = new ManualClock();
  const schedd = new FakeSchedd(clock);
  const changes: string[] = [];
  const tracker = new JobTracker(schedd, {
    operatorId: 'op',
    clock,
    log,
    onChange: (ref) => changes.push(ref),
    fullPollIntervalMs: 30_000,
    absentAfterMs: 60_000,
    ...o,
  });
  return { clock, schedd, changes, tracker };
}

describe('JobTracker', () => {
  it('reads the whole queue first, then only what changed, then the whole queue again', async () => {
    const { clock, schedd, changes, tracker } = setup();
    const a = schedd.add(tags('a'));
    schedd.add(tags('b'));
    await tracker.pollNow();
    expect(schedd.calls[0]?.sel).toEqual({ operator: 'op' });
    expect(changes.sort()).toEqual(['ns/a', 'ns/b']);
    changes.length = 0;
    clock.advance(1000);
    schedd.set(a, { JobStatus: JobStatus.Running });
    await tracker.pollNow();
    expect(schedd.calls.at(-1)?.sel?.changedWithinSeconds).toBeGreaterThan(0);
    expect(changes).toEqual(['ns/a']);
    const found = tracker.find('a', 1);
    expect(found.state === 'found' && found.job.ad.JobStatus).toBe(JobStatus.Running);
    clock.advance(30_000);
    await tracker.pollNow();
    expect(schedd.calls.at(-1)?.sel).toEqual({ operator: 'op' });
  });

  it('tells the HPCJob when its acknowledged job leaves the queue (a finalizer may wait for it)', async () => {
    const { clock, schedd, changes, tracker } = setup();
    const a = schedd.add({ ...tags('a'), JobStatus: JobStatus.Completed, ExitCode: 0 });
    await tracker.pollNow();
    tracker.ack({ jobId: a, uid: 'a' });
    await tracker.pollNow(); // sends HPCAck: the fake schedd lets the completed job leave
    changes.length = 0;
    clock.advance(31_000);
    await tracker.pollNow(); // the whole read that no longer shows it
    expect(schedd.calls.at(-1)?.sel).toEqual({ operator: 'op' });
    expect(tracker.inQueue('a')).toEqual([]);
    expect(changes).toEqual(['ns/a']);
  });

  it('Job ids reused (spool wiped, access point rebuilt): an attempt is found only under its own uid and attempt', async () => {
    const { clock, schedd, tracker } = setup();
    schedd.add(tags('a'));
    await tracker.pollNow();
    expect(tracker.find('a', 1).state).toBe('found');
    schedd.wipe();
    const reused = schedd.add(tags('b'));
    expect(reused).toBe('1.0');
    clock.advance(31_000);
    await tracker.pollNow();
    const a = tracker.find('a', 1, { jobId: '1.0' });
    expect(a.state).toBe('pending');
    const b = tracker.find('b', 1);
    expect(b.state === 'found' && b.job.uid).toBe('b');
  });

  it('Job ids reused: what is kept per job is released once the job has left and nobody asks', async () => {
    const { clock, schedd, tracker } = setup();
    const id = schedd.add(tags('a'));
    await tracker.pollNow();
    schedd.set(id, { JobStatus: JobStatus.Completed, ExitCode: 0 });
    tracker.ack({ jobId: id, uid: 'a' });
    clock.advance(1000);
    await tracker.pollNow();
    clock.advance(31_000);
    await tracker.pollNow();
    expect(schedd.queue.size).toBe(0);
    expect(tracker.memory()).toEqual({
      queue: 0,
      identities: 0,
      tampered: 0,
      historyFound: 0,
      historyPending: 0,
      acked: 0,
    });
  });

  it('Job ids reused: acknowledging an old job does not count for a new job with its id (found by the simulation, seed 5193)', async () => {
    const { clock, schedd, tracker } = setup();
    const old = schedd.add(tags('a'));
    await tracker.pollNow();
    schedd.set(old, { JobStatus: JobStatus.Completed, ExitCode: 0 });
    tracker.ack({ jobId: old, uid: 'a' });
    clock.advance(1000);
    await tracker.pollNow();
    expect(schedd.queue.size).toBe(0);
    // The spool is wiped and the id comes back for another HPCJob's job before a whole read.
    schedd.wipe();
    const reused = schedd.add({ ...tags('b'), JobStatus: JobStatus.Completed, ExitCode: 0 });
    expect(reused).toBe(old);
    clock.advance(1000);
    await tracker.pollNow();
    const [job] = tracker.inQueue('b');
    expect(job?.acked).toBe(false);
    tracker.ack({ jobId: reused, uid: 'b' });
    clock.advance(1000);
    await tracker.pollNow();
    expect(schedd.queue.size).toBe(0);
  });

  it('Job ids reused: acknowledging a job does not count for the next attempt of the same HPCJob that gets its id (found by the simulation, seed 9331)', async () => {
    const { clock, schedd, tracker } = setup();
    const old = schedd.add({ ...tags('a', 1), JobStatus: JobStatus.Completed, ExitCode: 0 });
    await tracker.pollNow();
    tracker.ack({ jobId: old, uid: 'a' });
    clock.advance(1000);
    await tracker.pollNow();
    // Acknowledged and gone; no whole read since. The spool is wiped and attempt 2 gets the id back.
    expect(schedd.queue.size).toBe(0);
    schedd.wipe();
    const reused = schedd.add(tags('a', 2));
    expect(reused).toBe(old);
    clock.advance(1000);
    await tracker.pollNow();
    const [job] = tracker.inQueue('a');
    expect([job?.attempt, job?.acked]).toEqual([2, false]);
  });

  it('Lost without asking condor_history: after a restart a job that left the queue is found in the history', async () => {
    const { schedd, tracker } = setup();
    schedd.past.unshift({
      ClusterId: 4,
      ProcId: 0,
      ...tags('a'),
      JobStatus: JobStatus.Completed,
      ExitCode: 0,
    });
    await tracker.pollNow();
    expect(tracker.find('a', 1).state).toBe('pending');
    await tracker.pollNow();
    const found = tracker.find('a', 1);
    expect(found.state === 'found' && found.job.source).toBe('history');
  });

  it('Lost without asking condor_history: one empty history answer is not enough to call an attempt absent', async () => {
    const { clock, tracker } = setup();
    await tracker.pollNow();
    expect(tracker.find('a', 1).state).toBe('pending');
    let verdicts: string[] = [];
    for (let i = 0; i < MIN_HISTORY_MISSES + 1; i++) {
      await tracker.pollNow();
      verdicts.push(tracker.find('a', 1).state);
    }
    expect(verdicts.every((v) => v === 'pending')).toBe(true);
    clock.advance(61_000);
    await tracker.pollNow();
    verdicts = [tracker.find('a', 1).state];
    expect(verdicts).toEqual(['absent']);
  });

  it('ignores a job whose identity attributes changed after it was first seen, and reports it', async () => {
    const tampered: string[] = [];
    const { clock, schedd, tracker } = setup({ onTampered: (j) => tampered.push(j.jobId) });
    const id = schedd.add({ ...tags('a'), JobStatus: JobStatus.Running, NumJobStarts: 1 });
    await tracker.pollNow();
    // From inside the running job, through chirp:
    schedd.set(id, { HPCJobUID: 'victim', HPCJobRef: 'other/victim' });
    clock.advance(31_000);
    await tracker.pollNow();
    expect(tampered).toEqual([id]);
    expect(tracker.inQueue('victim')).toEqual([]);
    expect(tracker.find('victim', 1).state).toBe('pending');
    expect(tracker.tampered().map((j) => j.jobId)).toEqual([id]);
  });

  it('keeps the last snapshot and reports the schedd unreachable while it does not answer', async () => {
    const reach: boolean[] = [];
    const { schedd, tracker } = setup({ onReachability: (r) => reach.push(r) });
    schedd.add(tags('a'));
    await tracker.pollNow();
    schedd.down = true;
    await tracker.pollNow();
    expect(tracker.reachable).toBe(false);
    expect(tracker.find('a', 1).state).toBe('found');
    schedd.down = false;
    await tracker.pollNow();
    expect(reach).toEqual([false, true]);
  });

  it('keeps reading the queue when a job left before its acknowledgement went (found by bench/hpcjobs/schedds.ts)', async () => {
    const { clock, schedd, tracker } = setup();
    const gone = schedd.add({ ...tags('a'), JobStatus: JobStatus.Removed });
    const done = schedd.add({ ...tags('b'), JobStatus: JobStatus.Completed, ExitCode: 0 });
    await tracker.pollNow();
    // A removed job leaves at once; the snapshot keeps it until the next whole read.
    schedd.past.unshift(schedd.queue.get(gone) as JobAd);
    schedd.queue.delete(gone);
    // HTCondor 23's condor_qedit fails when nothing matches (what the stack's schedd printed).
    const acknowledge = schedd.acknowledge.bind(schedd);
    schedd.acknowledge = async (sel) => {
      if (await acknowledge(sel)) return true;
      const text =
        'Failed to set attribute "HPCAck" by constraint: (...)\nQueue transaction failed.  No attributes were set.';
      throw new CondorError('failed', 'condor_qedit', 1, text, `condor_qedit failed: ${text}`);
    };
    tracker.ack({ jobId: gone, uid: 'a' });
    clock.advance(1000);
    await tracker.pollNow();
    expect(tracker.reachable).toBe(true);
    expect(tracker.inQueue('a')).toEqual([]);
    expect(tracker.memory().acked).toBe(0);
    tracker.ack({ jobId: done, uid: 'b' });
    clock.advance(1000);
    await tracker.pollNow();
    expect(tracker.reachable).toBe(true);
    expect(schedd.queue.size).toBe(0);
  });

  it('a whole read taken ad by ad (as the condor_q client hands them over) sees changes, tampering and left jobs', async () => {
    const tampered: string[] = [];
    const { clock, schedd, changes, tracker } = setup({ onTampered: (j) => tampered.push(j.jobId) });
    const query = schedd.query.bind(schedd);
    let streamed = 0;
    // What the condor_q client does (ScheddCommands.query): every ad to onAd, none returned.
    const streaming: ScheddApi['query'] = async (sel, attributes, _purpose, onAd) => {
      const ads = await query(sel, attributes);
      if (!onAd) return ads;
      streamed++;
      for (const ad of ads) onAd(ad);
      return [];
    };
    Object.assign(schedd, { query: streaming });
    const a = schedd.add({ ...tags('a'), JobStatus: JobStatus.Running, NumJobStarts: 1 });
    const b = schedd.add(tags('b'));
    await tracker.pollNow();
    expect(tracker.inQueue('a').map((j) => j.jobId)).toEqual([a]);
    schedd.set(a, { HPCJobUID: 'victim', HPCJobRef: 'other/victim' });
    schedd.queue.delete(b);
    changes.length = 0;
    clock.advance(31_000);
    await tracker.pollNow();
    expect(tampered).toEqual([a]);
    expect([tracker.inQueue('a'), tracker.inQueue('b'), tracker.inQueue('victim')]).toEqual([[], [], []]);
    expect(changes.sort()).toEqual(['ns/a', 'ns/b']);
    expect(streamed).toBe(2);
  });

  it("an HPCJobSet's unchanged jobs keep their objects across whole reads; a changed one is read anew", async () => {
    const { clock, schedd, tracker } = setup();
    const set = (i: number) => ({ ...tags('set'), HPCJobRef: 'hpcjobset:ns/set', HPCJobSetIndex: i });
    const ids = [0, 1, 2].map((i) => schedd.add(set(i)));
    await tracker.pollNow();
    const before = tracker.inQueue('set');
    schedd.set(ids[1]!, { JobStatus: JobStatus.Running });
    clock.advance(31_000);
    await tracker.pollNow();
    const after = tracker.inQueue('set');
    expect(after.map((j, i) => j === before[i])).toEqual([true, false, true]);
    expect(after[1]?.ad.JobStatus).toBe(JobStatus.Running);
  });

  it('compares ads by value, lists and nested ads included', () => {
    expect(sameAd({ A: 1, B: 'x', C: null }, { A: 1, B: 'x', C: null })).toBe(true);
    expect(sameAd({ A: 1 }, { A: 2 })).toBe(false);
    expect(sameAd({ A: 1 }, { A: 1, B: 2 })).toBe(false);
    expect(sameAd({ L: [1, 2] }, { L: [2, 1] })).toBe(false);
  });
});
