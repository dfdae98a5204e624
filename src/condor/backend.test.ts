import { describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { FakeSchedd, tags } from '../../test/support/fake-schedd.js';
import { ManualClock, flushPromises } from '../../test/support/manual-clock.js';
import { SchedulerBackend, type BackendsOptions } from './backend.js';
import { CondorError } from './errors.js';
import { JobStatus } from './job-status.js';
import { Tag } from './tags.js';
import type { CondorConnector, ScheddApi } from './schedd-api.js';
import { s } from './submit-description.js';

const log = pino({ level: 'silent' });

function setup(o: Partial<BackendsOptions> = {}) {
  const clock = new ManualClock();
  const schedd = new FakeSchedd(clock);
  const changes: string[] = [];
  const connector: CondorConnector = {
    schedd: (): ScheddApi => schedd,
    collector: () => {
      throw new Error('no collector here');
    },
  };
  const backend = new SchedulerBackend(
    { name: 'schedd@ap' },
    {
      connector,
      operatorId: 'op',
      clock,
      log,
      onChange: (ref) => changes.push(ref),
      ...o,
    },
  );
  return { clock, schedd, backend, changes };
}

const request = (uid: string, attempt = 1) => ({
  uid,
  attempt,
  ref: `ns/${uid}`,
  job: {
    commands: { executable: s.string('/bin/true') },
    attributes: { HPCOperator: 'op', HPCJobUID: uid, HPCJobAttempt: attempt, HPCJobRef: `ns/${uid}` },
  },
});

describe('SchedulerBackend', () => {
  it("counts as its load our jobs in its queue plus submissions not answered yet (LeastQueued's measure)", async () => {
    const { clock, backend } = setup();
    await backend.pollNow();
    expect(backend.load()).toBe(0);
    backend.submit(request('u1'));
    backend.submit(request('u2'));
    backend.submit(request('u2'));
    expect(backend.load()).toBe(2);
    await clock.advanceAsync(1500);
    await backend.pollNow();
    expect(backend.submission('u1', 1)).toMatchObject({ state: 'submitted' });
    expect(backend.load()).toBe(2);
    backend.clearSubmission('u1', 1);
    backend.refuse({ uid: 'u3', attempt: 1, ref: 'ns/u3' }, { message: 'no', reason: 'X', permanent: true });
    expect(backend.load()).toBe(2);
  });

  it('settles one HPCJob by its own submissions only, whichever attempt, and forgets its outcomes', async () => {
    const { clock, backend } = setup();
    await backend.pollNow();
    backend.submit(request('u1', 2));
    backend.submit(request('u10'));
    expect([backend.settled('u1'), backend.settled('u10'), backend.settled('u2')]).toEqual([
      false,
      false,
      true,
    ]);
    await clock.advanceAsync(1500);
    expect(backend.submission('u1', 2)).toMatchObject({ state: 'submitted' });
    expect(backend.settled('u1')).toBe(false); // no read began after its submission ended yet
    await backend.pollNow();
    expect([backend.settled('u1'), backend.settled('u10')]).toEqual([true, true]);
    backend.forget('u1');
    expect(backend.submission('u1', 2)).toBeUndefined();
    expect(backend.submission('u10', 1)).toMatchObject({ state: 'submitted' });
    expect(backend.load()).toBe(2);
  });

  it('Orphan after a submit timeout: nothing of the HPCJob is settled until a read after the timed-out submit', async () => {
    const { clock, schedd, backend } = setup();
    await backend.pollNow();
    const realSubmit = schedd.submit.bind(schedd);
    // The schedd commits, then the call times out.
    schedd.submit = async (jobs) => {
      await realSubmit(jobs);
      throw new CondorError('timeout', 'condor_submit', undefined, '', 'condor_submit timed out');
    };
    backend.submit(request('u'));
    expect(backend.settled('u')).toBe(false);
    await clock.advanceAsync(1500);
    expect(backend.submission('u', 1)).toMatchObject({ state: 'failed', permanent: false });
    expect(backend.jobsOf('u')).toEqual([]);
    expect(backend.settled('u')).toBe(false);
    clock.advance(1000);
    await backend.pollNow();
    expect(backend.jobsOf('u').map((j) => j.uid)).toEqual(['u']);
    expect(backend.settled('u')).toBe(true);
  });

  it('Orphan after a submit timeout (found by the simulation, seed 1001): not settled when the submission is reported', async () => {
    const seen: boolean[] = [];
    const box: { backend?: SchedulerBackend } = {};
    const { clock, backend } = setup({ onChange: () => seen.push(box.backend?.settled('u') ?? true) });
    box.backend = backend;
    await backend.pollNow();
    backend.submit(request('u'));
    await clock.advanceAsync(1500);
    expect(backend.submission('u', 1)).toMatchObject({ state: 'submitted' });
    // The HPCJob's reconcile runs on this notice: the job is not in the snapshot yet, so it must not settle.
    expect(seen).toEqual([false]);
  });

  it('Duplicate on graceful handover: stop() returns only once the submission in flight has committed', async () => {
    const { clock, schedd, backend } = setup();
    schedd.hanging.add('submit');
    backend.submit(request('u'));
    await clock.advanceAsync(1500);
    expect(schedd.calls.map((c) => c.method)).toContain('submit');
    let stopped = false;
    const stopping = backend.stop().then(() => (stopped = true));
    await flushPromises();
    expect(stopped).toBe(false);
    schedd.release();
    await stopping;
    expect(schedd.queue.size).toBe(1);
    backend.submit(request('v'));
    expect(backend.submission('v', 1)).toMatchObject({
      state: 'failed',
      message: 'the operator is stopping',
    });
  });

  it('does not submit while the fence (leadership) says no', async () => {
    let leader = false;
    const { clock, schedd, backend } = setup({ fence: () => leader });
    backend.submit(request('u'));
    await clock.advanceAsync(1500);
    expect(schedd.queue.size).toBe(0);
    expect(backend.submission('u', 1)).toMatchObject({ state: 'failed', permanent: false });
    leader = true;
    backend.clearSubmission('u', 1);
    backend.submit(request('u'));
    await clock.advanceAsync(1500);
    expect(backend.submission('u', 1)).toMatchObject({ state: 'submitted' });
  });

  it('adopts a job of the same attempt that already exists instead of submitting again', async () => {
    const { clock, schedd, backend } = setup();
    const id = schedd.add(tags('u'));
    backend.submit(request('u'));
    await clock.advanceAsync(1500);
    expect(backend.submission('u', 1)).toEqual({ state: 'submitted', jobId: id, adopted: true });
    expect(schedd.calls.filter((c) => c.method === 'submit')).toEqual([]);
  });

  it('condor-transfer outputs dropped: a failed fetch is tried again, and a slow one does not delay removals', async () => {
    const { clock, schedd, backend } = setup();
    const id = schedd.add({ ...tags('u'), JobStatus: JobStatus.Completed });
    await backend.pollNow();
    const [job] = backend.jobsOf('u');
    schedd.transferFails = true;
    expect(backend.fetchOutput(job!)).toMatchObject({ state: 'pending', failures: 0 });
    await clock.advanceAsync(200);
    expect(backend.fetchStatus({ jobId: id, uid: 'u' })).toMatchObject({
      state: 'pending',
      failures: 1,
      lastError: 'transfer failed',
    });
    schedd.transferFails = false;
    schedd.hanging.add('transferData');
    await clock.advanceAsync(2500);
    const other = schedd.add(tags('v'));
    backend.remove({ job: { jobId: other, uid: 'v' } }, 'bye');
    await clock.advanceAsync(200);
    expect(schedd.queue.get(other)?.JobStatus).toBe(JobStatus.Removed);
    schedd.release();
    await clock.advanceAsync(10);
    expect(backend.fetchStatus({ jobId: id, uid: 'u' })).toEqual({ state: 'done' });
  });

  it('a fetch asked for again after the acknowledgement is dropped once the HPCJob is forgotten (sim seed 2208)', async () => {
    const { clock, schedd, backend } = setup();
    const id = schedd.add({ ...tags('u'), JobStatus: JobStatus.Completed });
    await backend.pollNow();
    const [job] = backend.jobsOf('u');
    backend.fetchOutput(job!);
    await clock.advanceAsync(200);
    backend.acknowledge({ jobId: id, uid: 'u' });
    // A reconcile that read the job before the acknowledgement asks for its output once more.
    backend.fetchOutput(job!);
    await clock.advanceAsync(200);
    expect(backend.memory().fetches).toBe(1);
    backend.forget('u');
    expect(backend.memory().fetches).toBe(0);
  });

  it('tells a sandbox that lacks a file (for good) from a transfer that may work next time, one job at a time', async () => {
    const { clock, schedd, backend } = setup();
    const good = schedd.add({ ...tags('a'), JobStatus: JobStatus.Completed });
    const bad = schedd.add({ ...tags('b'), JobStatus: JobStatus.Completed });
    schedd.missingFromSpool.add(bad);
    await backend.pollNow();
    for (const j of [...backend.jobsOf('a'), ...backend.jobsOf('b')]) backend.fetchOutput(j);
    await clock.advanceAsync(200);
    expect(backend.fetchStatus({ jobId: good, uid: 'a' })).toEqual({ state: 'done' });
    expect(backend.fetchStatus({ jobId: bad, uid: 'b' })).toMatchObject({ state: 'failed' });
    const tries = schedd.calls.filter((c) => c.method === 'transferData').length;
    await clock.advanceAsync(600_000);
    expect(schedd.calls.filter((c) => c.method === 'transferData')).toHaveLength(tries);
  });

  it('sends a release for each new hold of a job, but not the same release twice', async () => {
    const { clock, schedd, backend } = setup();
    const id = schedd.add({ ...tags('u'), JobStatus: JobStatus.Held });
    backend.release({ jobId: id, uid: 'u' }, 100);
    backend.release({ jobId: id, uid: 'u' }, 100);
    await clock.advanceAsync(200);
    backend.release({ jobId: id, uid: 'u' }, 100);
    schedd.set(id, { JobStatus: JobStatus.Held });
    backend.release({ jobId: id, uid: 'u' }, 200);
    await clock.advanceAsync(200);
    expect(schedd.calls.filter((c) => c.method === 'release')).toHaveLength(2);
  });

  it('forces out with condor_rm -forcex only a job it saw removed (X), once per try, and the job leaves the queue', async () => {
    const { clock, schedd, backend } = setup();
    const running = schedd.add({ ...tags('u', 1), JobStatus: JobStatus.Running });
    const stuck = schedd.add({ ...tags('u', 2), JobStatus: JobStatus.Running });
    schedd.unreachable.add(stuck);
    await backend.pollNow();
    // Running: refused before HTCondor would refuse it; nothing is sent.
    expect(backend.forceRemove({ jobId: stuck, uid: 'u' })).toBe('notRemoved');
    schedd.set(stuck, { JobStatus: JobStatus.Removed, [Tag.Ack]: true });
    await backend.pollNow();
    expect(backend.forceRemove({ jobId: running, uid: 'u' })).toBe('notRemoved');
    expect(backend.forceRemove({ jobId: stuck, uid: 'u' })).toBe('sent');
    expect(backend.forceRemove({ jobId: stuck, uid: 'u' })).toBe('repeat');
    await clock.advanceAsync(200);
    expect(schedd.calls.filter((c) => c.method === 'forcex')).toEqual([
      { method: 'forcex', sel: { operator: 'op', jobs: [{ jobId: stuck, uid: 'u' }], uids: [] } },
    ]);
    expect([...schedd.queue.keys()]).toEqual([running]);
    expect(schedd.past.map((ad) => ad.LeaveJobInQueue)).toEqual([false]);
    // Only a whole read shows that a job left: the next poll is one (not the next full read, 30 s on).
    await backend.pollNow();
    expect(backend.jobsOf('u').map((j) => j.jobId)).toEqual([running]);
  });
});
