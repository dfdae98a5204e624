/**
 * Follows the live job of each index: an ended attempt becomes the index's outcome (succeeded, a retry
 * after backoff, or failed for good, by the template's retryPolicy) once its output is fetched (outputs.ts), holds are released or failed by the
 * same policy, and spec.suspend holds and releases the jobs. Stale jobs are removed or acknowledged. Pure.
 */
import { adNumber } from '../../condor/parse.js';
import type { TrackedJob } from '../../condor/queue-snapshot.js';
import { HPCJobDefaults, type FailureCategory } from '../../crds/hpcjob.js';
import { MAX_INDEX_RECORDS, type IndexRecord } from '../../crds/hpcjobset.js';
import { ackShown, hasEnded, jobState, refOf, SUSPEND_REASON, type JobState } from '../hpcjob/job-state.js';
import { backoffMs, decide, type Failure } from '../hpcjob/retry.js';
import type { SetDraft } from './draft.js';
import { cut } from './draft.js';
import { firstSubmitTime } from './deadline.js';
import { Ended, type IndexView } from './index-view.js';
import { outputHere } from './outputs.js';
import { SetActionReason, SetLimit } from './reasons.js';

/** Stale jobs: what is alive goes, what ended is acknowledged (its outcome is in status). */
export function cleanStale(d: SetDraft, view: IndexView, reason: string): void {
  for (const job of view.stale) {
    if (hasEnded(job)) d.effect({ kind: 'acknowledge', job: refOf(job) });
    else d.effect({ kind: 'remove', target: { job: refOf(job) }, reason });
  }
}

/** Jobs removed (X) longer than the grace go with condor_rm -forcex: the schedd would keep them. */
export function forceOutStuck(d: SetDraft): number {
  let stuck = 0;
  for (const job of d.obs.jobs) {
    const s = jobState(job);
    if (s.state !== 'removed' || !ackShown(job)) continue;
    stuck++;
    if (s.endedAt !== undefined && d.now - s.endedAt * 1000 >= d.settings.forceRemovalAfterMs)
      d.effect({ kind: 'forceRemove', job: refOf(job) });
  }
  return stuck;
}

export function followLive(d: SetDraft, view: IndexView): void {
  const suspend = d.set.spec.suspend === true;
  for (const [index, job] of view.live) {
    const s = jobState(job);
    // A completed attempt's output comes back first; the index stays live (running) until it is here.
    if ((s.state === 'succeeded' || s.state === 'failed') && !outputHere(d, job)) continue;
    switch (s.state) {
      case 'succeeded':
        view.ended[index] = Ended.Succeeded;
        if (view.records.has(index)) delete view.records.get(index)?.nextRetryTime;
        view.live.delete(index);
        d.effect({ kind: 'acknowledge', job: refOf(job) });
        break;
      case 'failed':
        failed(
          d,
          view,
          index,
          job,
          { category: s.category, exitCode: s.exitCode, signal: s.signal },
          s.message,
        );
        break;
      case 'removed':
        failed(d, view, index, job, { category: 'Removed' }, `removed: ${s.reason}`);
        break;
      case 'held':
        if (!s.byUser) held(d, view, index, job, s);
        break;
      default:
        suspension(d, job, s, suspend);
    }
  }
}

/** spec.suspend: hold what runs or waits; release what the operator held for it once it is false. */
function suspension(d: SetDraft, job: TrackedJob, s: JobState, suspend: boolean): void {
  if (suspend && (s.state === 'queued' || s.state === 'running'))
    d.effect({ kind: 'hold', job: refOf(job), reason: SUSPEND_REASON });
  if (!suspend && s.state === 'suspended')
    d.effect({ kind: 'release', job: refOf(job), holdSince: s.hold.since });
}

/** A hold the retry policy releases (up to releaseLimit holds) or ends as a failed attempt. */
function held(
  d: SetDraft,
  view: IndexView,
  index: number,
  job: TrackedJob,
  s: Extract<JobState, { state: 'held' }>,
): void {
  const f: Failure = { category: 'Hold', holdCode: s.hold.code, holdSubCode: s.hold.subCode };
  const decision = decide(d.set.spec.template.retryPolicy, f);
  const limit = d.set.spec.template.retryPolicy?.releaseLimit ?? HPCJobDefaults.releaseLimit;
  if (decision.action === 'release' && (adNumber(job.ad, 'NumHolds') ?? 1) <= limit) {
    if (!d.set.spec.suspend) d.effect({ kind: 'release', job: refOf(job), holdSince: s.hold.since });
    return;
  }
  d.effect({ kind: 'remove', target: { job: refOf(job) }, reason: SetActionReason.attemptEnded('Hold') });
  failed(d, view, index, job, f, `held (code ${s.hold.code}): ${s.hold.reason}`);
}

/** An attempt failed: a record counts it; the index waits for its retry or ends failed. */
export function failed(
  d: SetDraft,
  view: IndexView,
  index: number,
  job: TrackedJob,
  f: Failure,
  message: string,
): void {
  view.live.delete(index);
  if (hasEnded(job)) d.effect({ kind: 'acknowledge', job: refOf(job) });
  const policy = d.set.spec.template.retryPolicy;
  const limit = policy?.limit ?? HPCJobDefaults.retryLimit;
  const room = view.records.has(index) || view.records.size < MAX_INDEX_RECORDS;
  const retry = room && decide(policy, f).action !== 'fail' && job.attempt - 1 < limit;
  if (room) view.records.set(index, record(d, index, job, f, message, retry, view.records.get(index)));
  if (!retry) view.ended[index] = Ended.Failed;
  else d.requeue(Date.parse(view.records.get(index)?.nextRetryTime ?? '') - d.now);
}

function record(
  d: SetDraft,
  index: number,
  job: TrackedJob,
  f: Failure,
  message: string,
  retry: boolean,
  previous: IndexRecord | undefined,
): IndexRecord {
  const r: IndexRecord = {
    index,
    failedAttempts: job.attempt,
    jobId: job.jobId,
    failureCategory: f.category as FailureCategory,
    message: cut(message, SetLimit.recordMessage),
  };
  const first = firstSubmitTime(d, previous, job);
  if (first) r.firstSubmitTime = first;
  if (f.exitCode !== undefined && f.exitCode >= 0 && f.exitCode <= 255) r.exitCode = f.exitCode;
  if (retry) {
    const wait = backoffMs(d.set.spec.template.retryPolicy, job.attempt, () => d.obs.jitter);
    r.nextRetryTime = d.iso(d.now + wait);
  }
  return r;
}
