/**
 * An attempt failed (pure): record how, then either schedule the next attempt after the backoff or end the
 * HPCJob, as the retry policy says. Its HTCondor job, if still in the queue, is removed when it is still
 * idle, running or held, and acknowledged once the status says how it ended.
 */
import { refOf } from './job-state.js';
import type { TrackedJob } from '../../condor/backend.js';
import { HPCJobConditions as C, HPCJobDefaults, type FailureCategory } from '../../crds/hpcjob.js';
import type { Draft } from './draft.js';
import { truncate } from './draft.js';
import { hasEnded } from './job-state.js';
import { ActionReason, EventReason, Limit, Reason } from './reasons.js';
import { backoffMs, decide, type Decision, type Failure } from './retry.js';

export interface FailureOptions {
  /** The attempt's job, when it is still known (queue or history). */
  job?: TrackedJob;
  /** When the attempt ended (RFC 3339); default now. */
  endTime?: string;
  /** Overrides the retry policy's verdict (a hold whose releases are used up is retried). */
  forced?: Decision['action'];
}

export function failAttempt(d: Draft, f: Failure, message: string, o: FailureOptions = {}): void {
  const { job, status } = d;
  const n = status.attempt ?? 0;
  const current = d.current() ?? status.attempts?.[status.attempts.length - 1];
  const verdict = decide(job.spec.retryPolicy, f);
  const decision = o.forced ? { ...verdict, action: o.forced } : verdict;
  const limit = job.spec.retryPolicy?.limit ?? HPCJobDefaults.retryLimit;
  const retriesUsed = Math.max(0, n - 1);
  const retry = decision.action !== 'fail' && retriesUsed < limit;
  if (current) {
    current.outcome = retry ? 'Retried' : f.category === 'Lost' ? 'Lost' : 'Failed';
    current.failureCategory = f.category;
    current.endTime = o.endTime ?? d.iso();
    current.message = truncate(message, Limit.attemptMessage);
  }
  if (o.job) {
    // A held or still-queued job must go; an ended one just leaves once acknowledged.
    if (!hasEnded(o.job))
      d.effect({
        kind: 'remove',
        target: { job: refOf(o.job) },
        reason: ActionReason.attemptEnded(n, f.category),
      });
    d.effect({ kind: 'acknowledge', job: refOf(o.job) });
  }
  d.cond({ type: C.Running, status: 'False', reason: f.category, message: '' });
  if (retry) scheduleRetry(d, f.category, message, decision, retriesUsed, limit);
  else {
    const why = decision.action === 'fail' ? decision.because : `retry limit ${limit} reached`;
    d.end(f.category === 'Lost' ? 'Lost' : 'Failed', `${message} (${why})`, f.category);
  }
}

function scheduleRetry(
  d: Draft,
  category: FailureCategory,
  message: string,
  decision: Decision,
  retriesUsed: number,
  limit: number,
): void {
  const { status } = d;
  const n = status.attempt ?? 0;
  const delay = backoffMs(d.job.spec.retryPolicy, retriesUsed + 1, () => d.obs.jitter);
  status.nextRetryTime = d.iso(d.now + delay);
  d.phase('Pending');
  d.cond({
    type: C.Submitted,
    status: 'False',
    reason: Reason.BackingOff,
    message: `next attempt at ${status.nextRetryTime}`,
  });
  d.notHeld();
  status.message = truncate(
    `${message}; retrying (attempt ${n + 1} of at most ${limit + 1}) at ${status.nextRetryTime} (${decision.because})`,
    Limit.message,
  );
  d.event(
    'Warning',
    EventReason.AttemptFailed,
    'Retry',
    `attempt ${n} failed (${category}); retrying in ${Math.round(delay / 1000)} s (${decision.because})`,
  );
  d.requeue(delay);
}
