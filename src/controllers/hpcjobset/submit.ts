/**
 * Which indices go to HTCondor next: those not ended, without a live job and past their retry backoff,
 * lowest first, as many as spec.parallelism leaves room for (at most SetLimit.perSubmission), in one condor_submit. Only when nothing of
 * the set can still appear in the queue (settled), the schedd answers, and the set is not suspended. Pure.
 */
import type { IndexAttempt } from './set-jobs.js';
import type { SetDraft } from './draft.js';
import { Ended, type IndexView } from './index-view.js';
import { SetEventReason, SetLimit, SetRequeue } from './reasons.js';
import type { SubmitPlacement } from './transition-types.js';

/** `placement`: what the jobs carry on a VirtualCluster (placement.ts), {} on the default pool. */
export function submitNext(d: SetDraft, view: IndexView, placement: SubmitPlacement): void {
  const { obs } = d;
  const sub = obs.submission;
  if (sub?.state === 'failed') {
    d.notes.push(`submitting failed: ${sub.message}`);
    if (d.now - sub.at < SetRequeue.SubmitRetry) {
      d.event('Warning', SetEventReason.SubmitFailed, 'Submit', sub.message);
      d.requeue(SetRequeue.SubmitRetry - (d.now - sub.at));
      return;
    }
  }
  if (d.set.spec.suspend || !obs.state.reachable || obs.schedd === undefined) return;
  if (!obs.settled || sub?.state === 'in-flight') {
    d.requeue(SetRequeue.Settling);
    return;
  }
  const entries = nextEntries(d, view);
  if (entries.length === 0) return;
  d.status.startTime ??= d.iso();
  // The retry is on its way: its due time is history (the record keeps what failed).
  for (const e of entries) if (view.records.has(e.index)) delete view.records.get(e.index)?.nextRetryTime;
  d.effect({ kind: 'submit', entries, ...placement });
  d.requeue(SetRequeue.Settling);
}

function nextEntries(d: SetDraft, view: IndexView): IndexAttempt[] {
  const room = Math.min((d.set.spec.parallelism ?? view.total) - view.live.size, SetLimit.perSubmission);
  const entries: IndexAttempt[] = [];
  for (let i = 0; i < view.total && entries.length < room; i++) {
    if (view.ended[i] !== Ended.No || view.live.has(i)) continue;
    const r = view.records.get(i);
    const due = r?.nextRetryTime ? Date.parse(r.nextRetryTime) : 0;
    if (due > d.now) continue;
    entries.push({ index: i, attempt: (r?.failedAttempts ?? 0) + 1 });
  }
  return entries;
}
