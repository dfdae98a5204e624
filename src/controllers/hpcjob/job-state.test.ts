import { describe, expect, it } from '@jest/globals';
import { HoldCode, JobStatus } from '../../condor/job-status.js';
import type { TrackedJob } from '../../condor/tracker.js';
import { jobState, SUSPEND_REASON } from './job-state.js';

const tracked = (ad: Record<string, unknown>, source: TrackedJob['source'] = 'history'): TrackedJob => ({
  jobId: '7.0',
  uid: 'u',
  attempt: 1,
  ref: 'ns/name',
  ad,
  source,
  acked: false,
});

describe('observe', () => {
  it('keeps the start of a run that was only ever seen finished', () => {
    const obs = jobState(
      tracked({
        JobStatus: JobStatus.Completed,
        ExitCode: 0,
        JobCurrentStartDate: 100,
        EnteredCurrentStatus: 160,
      }),
    );
    expect(obs).toMatchObject({ state: 'succeeded', exitCode: 0, startedAt: 100, endedAt: 160 });
  });

  it('falls back to JobStartDate and reports a non-zero exit as an ExitCode failure', () => {
    const obs = jobState(tracked({ JobStatus: JobStatus.Completed, ExitCode: 3, JobStartDate: 90 }));
    expect(obs).toMatchObject({ state: 'failed', category: 'ExitCode', exitCode: 3, startedAt: 90 });
  });

  it('reports a signal death as a Signal failure', () => {
    const obs = jobState(tracked({ JobStatus: JobStatus.Completed, ExitBySignal: true, ExitSignal: 9 }));
    expect(obs).toMatchObject({ state: 'failed', category: 'Signal', signal: 9 });
  });

  it('does not count a -spool submission waiting for its input as held', () => {
    const obs = jobState(
      tracked({ JobStatus: JobStatus.Held, HoldReasonCode: HoldCode.SpoolingInput }, 'queue'),
    );
    expect(obs).toEqual({ state: 'submitted' });
  });

  it("tells the operator's own suspend hold from a real hold", () => {
    const suspend = jobState(
      tracked(
        { JobStatus: JobStatus.Held, HoldReasonCode: HoldCode.UserRequest, HoldReason: SUSPEND_REASON },
        'queue',
      ),
    );
    expect(suspend.state).toBe('suspended');
    const held = jobState(
      tracked({ JobStatus: JobStatus.Held, HoldReasonCode: 13, HoldReason: 'transfer failed' }, 'queue'),
    );
    expect(held).toMatchObject({ state: 'held', hold: { code: 13, reason: 'transfer failed' } });
  });
});

describe('jobState: the wrapper terminated by HTCondor', () => {
  it('counts a step the wrapper stopped on SIGTERM as a Signal failure, also when it could only exit 128+N', () => {
    const result = JSON.stringify({ category: 'terminated', signal: 15, exitCode: 7 });
    const st = jobState(tracked({ JobStatus: JobStatus.Completed, ExitCode: 143, HPCWrapperResult: result }));
    expect(st).toMatchObject({ state: 'failed', category: 'Signal', signal: 15 });
  });
});
