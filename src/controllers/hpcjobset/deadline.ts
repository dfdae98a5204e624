/**
 * template.activeDeadlineSeconds, per index (pure). As for an HPCJob it counts from the index's first
 * submission, whatever attempts followed: the first attempt's QDate, kept in the index's record
 * (firstSubmitTime) once an attempt failed, so that a retry still counts from the first. An index past it has
 * its job removed and ends failed with DeadlineExceeded, never retried (an HPCJob ends the same way); one
 * waiting for its retry ends so too. The soonest deadline still ahead is when the set looks again.
 */
import { adNumber } from '../../condor/parse.js';
import type { TrackedJob } from '../../condor/queue-snapshot.js';
import { MAX_INDEX_RECORDS, type IndexRecord } from '../../crds/hpcjobset.js';
import { hasEnded, refOf } from '../hpcjob/job-state.js';
import { cut, type SetDraft } from './draft.js';
import { Ended, type IndexView } from './index-view.js';
import { SetActionReason, SetLimit } from './reasons.js';

/**
 * What an index's record keeps as its first submission (only with a deadline, which is all it is for): the
 * record's own, else the submission of `job` when it is the first attempt.
 */
export function firstSubmitTime(
  d: SetDraft,
  previous: IndexRecord | undefined,
  job: TrackedJob,
): string | undefined {
  if (!d.set.spec.template.activeDeadlineSeconds) return undefined;
  if (previous?.firstSubmitTime) return previous.firstSubmitTime;
  const qdate = adNumber(job.ad, 'QDate');
  return qdate === undefined ? undefined : d.iso(qdate * 1000);
}

/** When the index of `job` was first submitted (ms), if known. */
function firstSubmitMs(record: IndexRecord | undefined, job: TrackedJob): number | undefined {
  const recorded = record?.firstSubmitTime ? Date.parse(record.firstSubmitTime) : NaN;
  if (!Number.isNaN(recorded)) return recorded;
  const qdate = adNumber(job.ad, 'QDate');
  return qdate === undefined ? undefined : qdate * 1000;
}

export function expireDeadlines(d: SetDraft, view: IndexView): void {
  const limit = d.set.spec.template.activeDeadlineSeconds;
  if (!limit) return;
  let soonest = Infinity;
  for (const [index, job] of view.live) {
    // An attempt that ended already is followed first: its outcome stands.
    if (hasEnded(job)) continue;
    const first = firstSubmitMs(view.records.get(index), job);
    if (first === undefined) continue;
    const due = first + limit * 1000;
    if (d.now < due) soonest = Math.min(soonest, due);
    else {
      view.live.delete(index);
      d.effect({ kind: 'remove', target: { job: refOf(job) }, reason: SetActionReason.deadline });
      exceeded(d, view, index, { failedAttempts: job.attempt, jobId: job.jobId }, first);
    }
  }
  for (const r of view.records.values()) {
    const first = r.firstSubmitTime ? Date.parse(r.firstSubmitTime) : NaN;
    if (view.ended[r.index] !== Ended.No || view.live.has(r.index) || Number.isNaN(first)) continue;
    const due = first + limit * 1000;
    if (d.now < due) soonest = Math.min(soonest, due);
    else exceeded(d, view, r.index, { failedAttempts: r.failedAttempts, jobId: r.jobId }, first);
  }
  if (soonest < Infinity) d.requeue(soonest - d.now);
}

/** The index ends failed; its record (when there is room) says DeadlineExceeded. */
function exceeded(
  d: SetDraft,
  view: IndexView,
  index: number,
  last: { failedAttempts: number; jobId?: string },
  first: number,
): void {
  view.ended[index] = Ended.Failed;
  if (!view.records.has(index) && view.records.size >= MAX_INDEX_RECORDS) return;
  const limit = d.set.spec.template.activeDeadlineSeconds ?? 0;
  view.records.set(index, {
    index,
    failedAttempts: last.failedAttempts,
    ...(last.jobId ? { jobId: last.jobId } : {}),
    failureCategory: 'DeadlineExceeded',
    message: cut(`activeDeadlineSeconds (${limit}) exceeded`, SetLimit.recordMessage),
    firstSubmitTime: d.iso(first),
  });
}
