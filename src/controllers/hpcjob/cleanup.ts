/**
 * Jobs that must leave the queue (pure): older attempts of a running HPCJob, every job of a finished one,
 * and everything when the HPCJob is deleted. A job still idle, running or held is removed; an ended one is
 * acknowledged, which lets it leave. The finalizer goes only when nothing of the HPCJob is in the queue and
 * nothing can still appear there: no submission running, and a whole read of the queue since the last one
 * ended (a condor_submit that timed out may have committed). A removed job the schedd keeps because its
 * execute side does not answer is forced out (condor_rm -forcex) after a grace.
 */
import type { TrackedJob } from '../../condor/tracker.js';
import { HPCJobConditions as C } from '../../crds/hpcjob.js';
import type { Draft } from './draft.js';
import { ackShown, hasEnded, jobState, refOf } from './job-state.js';
import { ActionReason, EventReason, Requeue } from './reasons.js';
import { schedulerCondition } from './scheduler.js';

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
  answersAgain(d);
  if (sweep(d, ActionReason.finished, () => false) > 0) d.requeue(Requeue.Cleanup);
  const ttl = d.job.spec.ttlSecondsAfterFinished;
  if (ttl === undefined || !d.status.completionTime) return;
  const due = Date.parse(d.status.completionTime) + ttl * 1000 - d.now;
  if (due <= 0) d.effect({ kind: 'deleteObject' });
  else d.requeue(due);
}

/**
 * An HPCJob can end while its schedd does not answer (what the tracker last read showed it ended):
 * SchedulerReachable=False stays on it unless the schedd's return is said here. A schedd going away after
 * the end is not (nothing of a final HPCJob waits on it but its cleanup).
 */
function answersAgain(d: Draft): void {
  const s = d.obs.scheduler;
  const was = d.conditions.find((c) => c.type === C.SchedulerReachable);
  if (s?.state.synced && s.state.reachable && was?.status === 'False') schedulerCondition(d, s);
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
      d.effect({ kind: 'discard', target: { uid: d.uid }, reason: ActionReason.deleted });
    for (const j of s.jobs) if (hasEnded(j) && !j.acked) d.effect({ kind: 'acknowledge', job: refOf(j) });
    forceOutStuck(d, s.name, s.jobs);
    if (s.jobs.length > 0 || !s.settled) {
      d.requeue(Requeue.Cleanup);
      return;
    }
  }
  d.effect({ kind: 'removeFiles' });
  d.effect({ kind: 'removeFinalizer' });
  d.effect({ kind: 'forget' });
}

/**
 * A removed job (JobStatus 3, X) leaves the queue once its shadow has ended. A shadow that cannot reach the
 * execute side (its pilot died or was cancelled before the removal reached the starter) waits out the job
 * lease (JobLeaseDuration, 40 minutes by default), and the finalizer would wait with it. Past
 * `forceRemovalAfterMs` in X, condor_rm -forcex takes the job out at once. Only jobs in X: HTCondor refuses
 * -forcex for any other, and a live job is removed the ordinary way first. Only this HPCJob's jobs: they are
 * addressed by id and HPCJobUID, under the operator's id.
 */
function forceOutStuck(d: Draft, schedd: string, jobs: readonly TrackedJob[]): void {
  const graceMs = d.settings.forceRemovalAfterMs;
  for (const j of jobs) {
    const st = jobState(j);
    if (st.state !== 'removed' || st.endedAt === undefined || !ackShown(j)) continue;
    if (d.now - st.endedAt * 1000 < graceMs) continue;
    d.effect({ kind: 'forceRemove', job: refOf(j) });
    d.event(
      'Warning',
      EventReason.RemovalForced,
      'Delete',
      `job ${j.jobId} stayed removed (X) in the queue of schedd ${schedd} for more than ${graceMs / 1000}s: ` +
        'its execute side does not answer (a pilot that died?). The operator took it out with condor_rm -forcex; ' +
        'HTCondor did not clean up what it may have left on the execute side',
    );
  }
}
