/** What an HTCondor job ad says about an attempt, in the HPCJob's terms (pure; unit tested). */
import { JobStatus, HoldCode } from '../../condor/job-status.js';
import { adBool, adNumber, adString, type JobAd } from '../../condor/parse.js';
import type { TrackedJob } from '../../condor/tracker.js';
import type { JobRef } from '../../condor/schedd-api.js';
import { Tag } from '../../condor/tags.js';
import type { FailureCategory } from '../../crds/hpcjob.js';
import { WrapperExit, type WrapperResult } from '../../wrapper-contract.js';

/** Reason text the operator puts on holds it makes for spec.suspend. */
export const SUSPEND_REASON = 'HPCJob suspended (spec.suspend is true)';

export interface Hold {
  code: number;
  subCode?: number;
  reason: string;
  since?: number;
}

export type JobState =
  | { state: 'submitted' }
  | { state: 'queued' }
  | { state: 'running'; host?: string; startedAt?: number }
  | { state: 'suspended'; hold: Hold }
  /** byUser: a person put it on hold (condor_hold, code 1), not a policy or a failure. */
  | { state: 'held'; hold: Hold; byUser: boolean }
  | {
      state: 'succeeded';
      exitCode: number;
      startedAt?: number;
      endedAt?: number;
      host?: string;
      result?: WrapperResult;
    }
  | {
      state: 'failed';
      category: FailureCategory;
      exitCode?: number;
      signal?: number;
      startedAt?: number;
      endedAt?: number;
      host?: string;
      message: string;
      result?: WrapperResult;
    }
  | { state: 'removed'; reason: string; endedAt?: number };

export function jobState(job: TrackedJob): JobState {
  const ad = job.ad;
  const status = adNumber(ad, 'JobStatus');
  const host = adString(ad, 'RemoteHost') ?? adString(ad, 'LastRemoteHost');
  const entered = adNumber(ad, 'EnteredCurrentStatus');
  switch (status) {
    case JobStatus.Running:
    case JobStatus.TransferringOutput:
      return {
        state: 'running',
        host,
        startedAt: adNumber(ad, 'JobCurrentStartDate') ?? adNumber(ad, 'JobStartDate'),
      };
    case JobStatus.Held: {
      const hold: Hold = {
        code: adNumber(ad, 'HoldReasonCode') ?? 0,
        subCode: adNumber(ad, 'HoldReasonSubCode'),
        reason: adString(ad, 'HoldReason') ?? '',
        since: entered,
      };
      // Spooling input is part of a -spool submission, not a problem.
      if (hold.code === HoldCode.SpoolingInput) return { state: 'submitted' };
      if (hold.code === HoldCode.UserRequest && hold.reason.startsWith(SUSPEND_REASON))
        return { state: 'suspended', hold };
      return { state: 'held', hold, byUser: hold.code === HoldCode.UserRequest };
    }
    case JobStatus.Completed:
      return completed(ad, host, entered);
    case JobStatus.Removed:
      return { state: 'removed', reason: adString(ad, 'RemoveReason') ?? 'removed', endedAt: entered };
    case JobStatus.Suspended:
      return { state: 'running', host };
    default:
      // Idle, and future states (8-10 exist in code, undocumented): treat as waiting.
      return { state: 'queued' };
  }
}

function completed(ad: JobAd, host: string | undefined, endedAt: number | undefined): JobState {
  const result = wrapperResult(ad);
  // Carried so that a run the operator never saw (it ended while the API server was away) still has its
  // start on record.
  const startedAt = adNumber(ad, 'JobCurrentStartDate') ?? adNumber(ad, 'JobStartDate');
  const bySignal = adBool(ad, 'ExitBySignal') === true;
  if (bySignal) {
    const signal = adNumber(ad, 'ExitSignal');
    return {
      state: 'failed',
      category: 'Signal',
      signal,
      startedAt,
      endedAt,
      host,
      result,
      message: `killed by signal ${signal ?? '?'}`,
    };
  }
  const exitCode = adNumber(ad, 'ExitCode') ?? -1;
  if (exitCode === 0) return { state: 'succeeded', exitCode, startedAt, endedAt, host, result };
  // The wrapper's own failures have their own exit codes (and category in its report).
  const category = wrapperCategory(result, exitCode);
  if (category)
    return {
      state: 'failed',
      category,
      exitCode: result?.exitCode ?? exitCode,
      startedAt,
      endedAt,
      host,
      result,
      message: result?.message ?? category,
    };
  // A wrapper that could not die by the signal it reports (it was ignored when it started) exits 128+N.
  if ((result?.category === 'signal' || result?.category === 'terminated') && result.signal) {
    return {
      state: 'failed',
      category: 'Signal',
      signal: result.signal,
      startedAt,
      endedAt,
      host,
      result,
      message: `killed by signal ${result.signal}`,
    };
  }
  return {
    state: 'failed',
    category: 'ExitCode',
    exitCode,
    startedAt,
    endedAt,
    host,
    result,
    message: `exited with code ${exitCode}`,
  };
}

function wrapperCategory(result: WrapperResult | undefined, exitCode: number): FailureCategory | undefined {
  switch (result?.category) {
    case 'no-runtime':
      return 'NoRuntime';
    case 'stage-in':
      return 'StageIn';
    case 'stage-out':
      return 'StageOut';
    case 'output-too-large':
      return 'OutputTooLarge';
    case 'wrapper':
      return 'WrapperError';
  }
  if (result) return undefined;
  switch (exitCode) {
    case WrapperExit.NoRuntime:
      return 'NoRuntime';
    case WrapperExit.StageInFailed:
      return 'StageIn';
    case WrapperExit.StageOutFailed:
      return 'StageOut';
    case WrapperExit.OutputTooLarge:
      return 'OutputTooLarge';
    case WrapperExit.UsageError:
      return 'WrapperError';
  }
  return undefined;
}

export function wrapperResult(ad: JobAd): WrapperResult | undefined {
  const raw = adString(ad, Tag.WrapperResult);
  if (!raw) return undefined;
  try {
    const v = JSON.parse(raw) as unknown;
    return typeof v === 'object' && v !== null ? (v as WrapperResult) : undefined;
  } catch {
    return undefined;
  }
}

/** The job has ended (completed or removed) and only waits in the queue for its acknowledgement. */
export function hasEnded(job: TrackedJob): boolean {
  const status = adNumber(job.ad, 'JobStatus');
  return status === JobStatus.Completed || status === JobStatus.Removed;
}

/** The job ended by completing (it has an output sandbox to fetch), not by removal. */
export function hasCompleted(job: TrackedJob): boolean {
  return adNumber(job.ad, 'JobStatus') === JobStatus.Completed;
}

/** The job's reference for actions: its id and its HPCJob (never its id alone: ids are reused). */
export function refOf(job: TrackedJob): JobRef {
  return { jobId: job.jobId, uid: job.uid };
}

/**
 * Whether the schedd's ad shows the job's HPCAck. Until it does, a removed job stays in X for the operator's
 * own acknowledgement (leave_in_queue), not for its execute side: forcing it out then would race the
 * acknowledgement (found by bench/hpcjobs.ts at N = 20,000).
 */
export function ackShown(j: TrackedJob): boolean {
  return j.ad[Tag.Ack] === true;
}
