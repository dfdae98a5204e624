/**
 * Jobs that must leave the queue (pure): older attempts of a running HPCJob, every job of a finished one,
 * and everything when the HPCJob is deleted. A job still idle, running or held is removed; an ended one is
 * acknowledged, which lets it leave. The finalizer goes only when nothing of the HPCJob is in the queue and
 * nothing can still appear there: no submission running, and a whole read of the queue since the last one
 * ended (a condor_submit that timed out may have committed).
 */
import { refOf } from './job-state.js';
import type { Draft } from './draft.js';
import { hasEnded } from './job-state.js';
import { ActionReason, EventReason, Requeue } from './reasons.js';

/** Removes or acknowledges every queued job of the HPCJob that `keep` does not accept. */
function sweep(d: Draft, reason: string, keep: (attempt: number) => boolean): number {
  let left = 0;
  for (const job of d.obs.scheduler?.jobs ?? []) {
    if (keep(job.attempt)) continue;
    left++;
    if (!hasEnded(job)) d.effect({ kind: 'remove', target: { job: refOf(job) }, reason });
    else if (!job.acked) d.effect({ kind: 'acknowledge', job: refOf(job) });
  }
  if (left > 0) d.target = d.obs.scheduler?.target;
  return left;
}

/** A running HPCJob: jobs of earlier attempts (a crash between a retry and its cleanup) go. */
export function sweepEarlierAttempts(d: Draft): void {
  const current = d.status.attempt ?? 0;
  sweep(d, ActionReason.superseded, (attempt) => attempt === current);
}

/** A final HPCJob: its jobs go, and it is deleted once ttlSecondsAfterFinished has passed. */
export function whileFinal(d: Draft): void {
  if (sweep(d, ActionReason.finished, () => false) > 0) d.requeue(Requeue.Cleanup);
  const ttl = d.job.spec.ttlSecondsAfterFinished;
  if (ttl === undefined || !d.status.completionTime) return;
  const due = Date.parse(d.status.completionTime) + ttl * 1000 - d.now;
  if (due <= 0) d.effect({ kind: 'deleteObject' });
  else d.requeue(due);
}

/** Deletion: every job removed and gone, nothing left to commit, then the files and the finalizer go. */
export function finalize(d: Draft): void {
  const s = d.obs.scheduler;
  if (s) {
    d.target = s.target;
    if (!s.state.synced || !s.state.reachable) {
      const why = s.state.lastError ?? 'no answer yet';
      d.event(
        'Warning',
        EventReason.CleanupBlocked,
        'Delete',
        `cannot remove the HTCondor jobs yet: schedd ${s.name} is unreachable (${why}); the finalizer stays until it answers`,
      );
      d.requeue(Requeue.CleanupBlocked);
      return;
    }
    const live = s.jobs.filter((j) => !hasEnded(j));
    if (live.length > 0 || !s.settled)
      d.effect({ kind: 'remove', target: { uid: d.uid }, reason: ActionReason.deleted });
    for (const j of s.jobs) if (hasEnded(j) && !j.acked) d.effect({ kind: 'acknowledge', job: refOf(j) });
    if (s.jobs.length > 0 || !s.settled) {
      d.requeue(Requeue.Cleanup);
      return;
    }
  }
  d.effect({ kind: 'removeFiles' });
  d.effect({ kind: 'removeFinalizer' });
  d.effect({ kind: 'forget' });
}
