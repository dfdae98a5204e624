import { describe, expect, it } from '@jest/globals';
import {
  T0,
  defaultSettings,
  iso,
  makeHPCJob,
  makeTrackedJob,
  observe,
  seconds,
} from '../../../test/support/builders/hpcjob.js';
import { SUSPEND_REASON } from './job-state.js';
import { transition } from './transition.js';

const settings = defaultSettings();
const withEvents = defaultSettings({ lifecycleEvents: true });
const reasons = (t: ReturnType<typeof transition>) => t.events.map((e) => e.reason);
const conditionOf = (t: ReturnType<typeof transition>, type: string) =>
  t.status.conditions?.find((c) => c.type === type);
const running = () => makeHPCJob().submitted(1, '7.0');

describe('HPCJob transition: following an attempt', () => {
  it('shows a queued job as Queued', () => {
    const job = running().obj();
    const t = transition(job, observe().current(makeTrackedJob(job).obj()).obj(), settings);
    expect(t.status.phase).toBe('Queued');
    expect(conditionOf(t, 'Running')?.reason).toBe('Queued');
  });

  it('records the start once, with the queue wait', () => {
    const job = running().obj();
    const t = transition(job, observe().current(makeTrackedJob(job).running().obj()).obj(), settings);
    expect(t.status.phase).toBe('Running');
    expect(t.status.attempts?.[0]).toMatchObject({ host: 'slot1@worker', startTime: iso(T0 + 10_000) });
    expect(reasons(t)).toEqual([]);
    expect(
      reasons(transition(job, observe().current(makeTrackedJob(job).running().obj()).obj(), withEvents)),
    ).toEqual(['Started']);
    expect(t.samples.queueWaitSeconds).toEqual([10]);
    const again = transition(
      { ...job, status: t.status },
      observe().current(makeTrackedJob(job).running().obj()).obj(),
      withEvents,
    );
    expect(reasons(again)).toEqual([]);
  });

  it('holds a running job when spec.suspend is set, and releases it when cleared', () => {
    const job = running().spec({ suspend: true }).obj();
    const t = transition(job, observe().current(makeTrackedJob(job).running().obj()).obj(), settings);
    expect(t.afterWrite).toContainEqual({
      kind: 'hold',
      job: { jobId: '7.0', uid: 'uid-step' },
      reason: SUSPEND_REASON,
    });
    const suspended = makeTrackedJob(job).held(1, 0, SUSPEND_REASON).obj();
    const resume = running().spec({ suspend: false }).obj();
    const r = transition(resume, observe().current(suspended).obj(), settings);
    expect(r.afterWrite).toContainEqual({
      kind: 'release',
      job: { jobId: '7.0', uid: 'uid-step' },
      holdSince: seconds(T0 + 30_000),
    });
    expect(reasons(r)).toEqual(['Resumed']);
  });

  it('waits while the attempt is being looked up, and calls it Lost only when absent', () => {
    const job = running().obj();
    const pending = transition(job, observe().lookup({ state: 'pending' }).obj(), settings);
    expect(pending.status.attempts?.[0]?.outcome).toBe('Running');
    expect(pending.requeueAfterMs).toBe(5000);
    const absent = transition(job, observe().lookup({ state: 'absent' }).obj(), settings);
    expect(absent.status.attempts?.[0]).toMatchObject({ outcome: 'Retried', failureCategory: 'Lost' });
    expect(absent.status.phase).toBe('Pending');
  });

  it('removes and acknowledges the jobs of earlier attempts still in the queue', () => {
    const job = makeHPCJob().submitted(1, '7.0', { outcome: 'Retried' }).submitted(2, '8.0').obj();
    const old = makeTrackedJob(job, 1, '7.0').held(13).obj();
    const t = transition(
      job,
      observe()
        .jobs(old)
        .current(makeTrackedJob(job, 2, '8.0').obj())
        .obj(),
      settings,
    );
    expect(t.afterWrite).toContainEqual({
      kind: 'remove',
      target: { job: { jobId: '7.0', uid: 'uid-step' } },
      reason: 'a newer attempt of the HPCJob exists',
    });
  });
});

describe('HPCJob transition: holds', () => {
  const transient = (since = T0 + 1000) =>
    makeTrackedJob(running().obj()).held(13, 1, 'transfer input failed', since).obj();

  it('releases a transient hold after the backoff, counting the release once', () => {
    const job = running().obj();
    const first = transition(job, observe().current(transient()).obj(), settings);
    expect(first.status.phase).toBe('Held');
    expect(first.status.nextRetryTime).toBeDefined();
    expect(reasons(first)).toEqual(['Held']);
    const due = Date.parse(first.status.nextRetryTime!);
    const second = transition(
      { ...job, status: first.status },
      observe().current(transient()).at(due).obj(),
      settings,
    );
    expect(second.afterWrite).toContainEqual({
      kind: 'release',
      job: { jobId: '7.0', uid: 'uid-step' },
      holdSince: seconds(T0 + 1000),
    });
    expect(second.status.attempts?.[0]?.releases).toBe(1);
  });

  it('release counter drifting when a release is deduplicated: a hold already released is not counted again', () => {
    const job = running().obj();
    const first = transition(job, observe().current(transient()).obj(), settings);
    const due = Date.parse(first.status.nextRetryTime!);
    const released = transition(
      { ...job, status: first.status },
      observe().current(transient()).at(due).obj(),
      settings,
    );
    // The tracker still shows the same hold a moment later, and again after a long while (release lost).
    const soon = transition(
      { ...job, status: released.status },
      observe()
        .current(transient())
        .at(due + 1000)
        .obj(),
      settings,
    );
    expect(soon.status.attempts?.[0]?.releases).toBe(1);
    expect(soon.afterWrite).toEqual([]);
    const late = transition(
      { ...job, status: released.status },
      observe()
        .current(transient())
        .at(due + 31_000)
        .obj(),
      settings,
    );
    expect(late.status.attempts?.[0]?.releases).toBe(1);
    expect(late.afterWrite).toEqual([
      { kind: 'release', job: { jobId: '7.0', uid: 'uid-step' }, holdSince: seconds(T0 + 1000) },
    ]);
  });

  it('fails a permanent hold: the job is removed and, once recorded, acknowledged', () => {
    const job = running().retry({ limit: 0 }).obj();
    const held = makeTrackedJob(job).held(6, 2, 'no such file').obj();
    const t = transition(job, observe().current(held).obj(), settings);
    expect(t.status.phase).toBe('Failed');
    expect(t.afterWrite).toEqual([
      {
        kind: 'remove',
        target: { job: { jobId: '7.0', uid: 'uid-step' } },
        reason: 'HPCJob attempt 1 ended: Hold',
      },
      { kind: 'acknowledge', job: { jobId: '7.0', uid: 'uid-step' } },
    ]);
  });

  it('A hold placed by a person: the HPCJob stays Held and says how to go on', () => {
    const job = running().obj();
    const held = makeTrackedJob(job).heldByUser().obj();
    const t = transition(
      job,
      observe()
        .current(held)
        .at(T0 + 3_600_000)
        .obj(),
      settings,
    );
    expect(t.status.phase).toBe('Held');
    expect(conditionOf(t, 'Held')?.reason).toBe('HeldByUser');
    expect(t.status.message).toContain('condor_release 7.0');
    expect(t.afterWrite).toEqual([]);
    expect(reasons(t)).toEqual(['HeldByUser']);
  });

  it('A hold placed by a person: after the configured time it counts as a failed attempt', () => {
    const job = running().retry({ limit: 0 }).obj();
    const held = makeTrackedJob(job).heldByUser().obj();
    const s = defaultSettings({ userHoldTimeoutMs: 60_000 });
    const t = transition(
      job,
      observe()
        .current(held)
        .at(T0 + 30_000 + 60_000)
        .obj(),
      s,
    );
    expect(t.status.phase).toBe('Failed');
    expect(t.status.message).toContain('held by a person for longer than 60 s');
  });
});

describe('HPCJob transition: the end of an attempt', () => {
  const done = (exitCode: number) => makeTrackedJob(running().obj()).completed(exitCode).obj();

  it('asks for the output before recording the end', () => {
    const t = transition(running().obj(), observe().current(done(0)).obj(), settings);
    expect(t.status.phase).toBe('Queued');
    expect(t.afterWrite).toEqual([{ kind: 'fetchOutput', job: done(0) }]);
  });

  it('records success once the output is here, then acknowledges the job', () => {
    const t = transition(running().obj(), observe().current(done(0), { state: 'done' }).obj(), settings);
    expect(t.status.phase).toBe('Succeeded');
    expect(t.status.logs?.stdout).toBe('/logs/ns/step/1/hpc.stdout');
    expect(t.afterWrite).toEqual([{ kind: 'acknowledge', job: { jobId: '7.0', uid: 'uid-step' } }]);
    expect(reasons(t)).toEqual([]);
    const told = transition(running().obj(), observe().current(done(0), { state: 'done' }).obj(), withEvents);
    expect(reasons(told)).toEqual(['Started', 'Succeeded']);
  });

  it('merges condor-transfer results before the status says Succeeded', () => {
    const job = running()
      .spec({ workspace: { path: '/reana/users/u/workflows/w', staging: 'condor-transfer' } })
      .obj();
    const t = transition(job, observe().current(done(0), { state: 'done' }).obj(), settings);
    expect(t.beforeWrite).toEqual([{ kind: 'mergeResults', attempt: 1 }]);
    expect(t.status.phase).toBe('Succeeded');
  });

  it('condor-transfer outputs dropped: a failing fetch is shown and waited for, whatever the job end time', () => {
    const fetch = { state: 'pending' as const, since: T0 + 3_000_000, failures: 2, lastError: 'timed out' };
    const obs = observe()
      .current(done(0), fetch)
      .at(T0 + 3_500_000)
      .obj();
    const t = transition(running().obj(), obs, settings);
    expect(t.status.phase).not.toBe('Succeeded');
    expect(t.afterWrite).toEqual([]);
    expect(conditionOf(t, 'OutputsFetched')).toMatchObject({ status: 'False', reason: 'FetchFailed' });
    expect(reasons(t)).toEqual(['FetchFailed']);
  });

  it('condor-transfer outputs dropped: after the fetch timeout the lost results fail the attempt (StageOut)', () => {
    const job = running()
      .spec({ workspace: { path: '/reana/users/u/workflows/w', staging: 'condor-transfer' } })
      .retry({ limit: 0 })
      .obj();
    const fetch = { state: 'pending' as const, since: T0, failures: 9, lastError: 'timed out' };
    const t = transition(
      job,
      observe()
        .current(done(0), fetch)
        .at(T0 + 3_600_000)
        .obj(),
      settings,
    );
    expect(t.status.phase).toBe('Failed');
    expect(t.status.attempts?.[0]?.failureCategory).toBe('StageOut');
    expect(t.afterWrite).toContainEqual({ kind: 'acknowledge', job: { jobId: '7.0', uid: 'uid-step' } });
  });

  it('records a success without logs when the fetch timed out and only logs were at stake', () => {
    const fetch = { state: 'pending' as const, since: T0, failures: 9, lastError: 'timed out' };
    const t = transition(
      running().obj(),
      observe()
        .current(done(0), fetch)
        .at(T0 + 3_600_000)
        .obj(),
      settings,
    );
    expect(t.status.phase).toBe('Succeeded');
    expect(t.status.attempts?.[0]?.message).toContain('could not be fetched');
  });

  it('records the end at once, without logs, when the sandbox can never be fetched', () => {
    const fetch = {
      state: 'failed' as const,
      error: 'reading from file x: (errno 2) No such file or directory',
    };
    const t = transition(running().obj(), observe().current(done(0), fetch).obj(), settings);
    expect(t.status.phase).toBe('Succeeded');
    expect(t.status.attempts?.[0]?.message).toContain('could not be fetched');
    expect(t.afterWrite).toEqual([{ kind: 'acknowledge', job: { jobId: '7.0', uid: 'uid-step' } }]);
  });

  it('retries a failed attempt after the backoff, with the tail of stderr in the message', () => {
    const obs = observe().current(done(3), { state: 'done' }).stderrTail('boom').obj();
    const t = transition(
      running()
        .retry({ rules: [{ onExitCodes: [3], action: 'retry' }] })
        .obj(),
      obs,
      settings,
    );
    expect(t.status).toMatchObject({ phase: 'Pending' });
    expect(t.status.attempts?.[0]).toMatchObject({
      outcome: 'Retried',
      exitCode: 3,
      failureCategory: 'ExitCode',
    });
    expect(t.status.message).toContain('stderr:\nboom');
    expect(reasons(t)).toContain('AttemptFailed');
    expect(t.afterWrite).toEqual([{ kind: 'acknowledge', job: { jobId: '7.0', uid: 'uid-step' } }]);
  });

  it('treats a job removed by someone else as a failed attempt (Removed)', () => {
    const removed = makeTrackedJob(running().obj()).removed().obj();
    const t = transition(running().retry({ limit: 0 }).obj(), observe().current(removed).obj(), settings);
    expect(t.status.attempts?.[0]?.failureCategory).toBe('Removed');
    expect(t.status.phase).toBe('Failed');
  });

  it('Lost without asking condor_history: a job found only in the history is recorded as it ended', () => {
    const fromHistory = makeTrackedJob(running().obj()).completed(0).fromHistory().obj();
    const obs = observe().lookup({ state: 'found', job: fromHistory }).obj();
    const t = transition(running().obj(), obs, settings);
    expect(t.status.phase).toBe('Succeeded');
    expect(t.status.attempts?.[0]?.outcome).toBe('Succeeded');
  });
});
