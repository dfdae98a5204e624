/**
 * A held attempt (pure). A hold a person placed (condor_hold, code 1) is theirs: the HPCJob stays Held and
 * says so until they release it or `userHoldTimeout` passes, then it counts as a failure of the attempt.
 * Other holds follow the retry policy: release after the backoff (at most releaseLimit times per attempt,
 * each release counted once per hold), or end the attempt.
 */
import { refOf } from './job-state.js';
import type { TrackedJob } from '../../condor/backend.js';
import { HPCJobConditions as C, HPCJobDefaults, type Attempt } from '../../crds/hpcjob.js';
import type { Draft } from './draft.js';
import { isoOfSeconds, truncate } from './draft.js';
import type { Hold } from './job-state.js';
import { failAttempt } from './failure.js';
import { EventReason, Limit, Reason, RELEASE_SETTLE_MS, Requeue } from './reasons.js';
import { backoffMs, decide, type Failure } from './retry.js';

export function holdText(hold: Hold): string {
  const code = `${hold.code}${hold.subCode !== undefined ? `/${hold.subCode}` : ''}`;
  return `HTCondor hold code ${code}: ${hold.reason}`;
}

export function onHeld(d: Draft, current: Attempt, job: TrackedJob, hold: Hold, byUser: boolean): void {
  const holdTime = isoOfSeconds(hold.since);
  const released = current.lastReleaseTime;
  if (released && holdTime && Date.parse(holdTime) <= Date.parse(released)) {
    // The tracker still shows the hold we released. Ask again if that goes on (the release was lost).
    if (d.now - Date.parse(released) >= RELEASE_SETTLE_MS)
      d.effect({ kind: 'release', job: refOf(job), holdSince: hold.since });
    d.requeue(Requeue.ReleaseSettling);
    return;
  }
  recordHold(d, current, job, hold, holdTime, byUser);
  if (byUser) return respectUserHold(d, current, job, hold);
  const failure: Failure = { category: 'Hold', holdCode: hold.code, holdSubCode: hold.subCode };
  const decision = decide(d.job.spec.retryPolicy, failure);
  const releaseLimit = d.job.spec.retryPolicy?.releaseLimit ?? HPCJobDefaults.releaseLimit;
  if (decision.action === 'release' && (current.releases ?? 0) < releaseLimit) {
    releaseAfterBackoff(d, current, job, hold, `${decision.because}`, releaseLimit);
    return;
  }
  // failAttempt adds the rule's reason itself; only the exhausted releases are news here.
  const exhausted = decision.action === 'release' ? ` (released ${releaseLimit} times already)` : '';
  failAttempt(d, failure, `attempt ${current.attempt} held: ${holdText(hold)}${exhausted}`, {
    job,
    forced: decision.action === 'release' ? 'retry' : decision.action,
  });
}

function recordHold(
  d: Draft,
  current: Attempt,
  job: TrackedJob,
  hold: Hold,
  holdTime: string | undefined,
  byUser: boolean,
): void {
  const isNew = current.holdTime !== holdTime || current.holdCode !== hold.code || d.status.phase !== 'Held';
  current.holdCode = hold.code;
  current.holdSubCode = hold.subCode;
  current.holdReason = truncate(hold.reason, Limit.holdReason);
  if (holdTime) current.holdTime = holdTime;
  d.phase('Held');
  const text = holdText(hold);
  d.cond({
    type: C.Held,
    status: 'True',
    reason: byUser ? Reason.HeldByUser : `HoldCode${hold.code}`,
    message: text,
  });
  d.cond({ type: C.Running, status: 'False', reason: Reason.Held, message: '' });
  if (!isNew) return;
  d.samples.holdCodes.push(hold.code);
  const reason = byUser ? EventReason.HeldByUser : EventReason.Held;
  d.event('Warning', reason, 'Hold', `attempt ${current.attempt} (${job.jobId}) held: ${text}`);
}

function respectUserHold(d: Draft, current: Attempt, job: TrackedJob, hold: Hold): void {
  const since = (hold.since ?? d.now / 1000) * 1000;
  const timeout = d.settings.userHoldTimeoutMs;
  const due = since + timeout - d.now;
  if (due > 0) {
    d.status.message =
      `attempt ${current.attempt} (${job.jobId}) is held by a person (${hold.reason || 'condor_hold'}); ` +
      `condor_release ${job.jobId} lets it run again, otherwise the attempt counts as failed at ${d.iso(since + timeout)}`;
    d.requeue(due);
    return;
  }
  const failure: Failure = { category: 'Hold', holdCode: hold.code, holdSubCode: hold.subCode };
  const message = `attempt ${current.attempt} held by a person for longer than ${Math.round(timeout / 1000)} s: ${holdText(hold)}`;
  failAttempt(d, failure, message, { job });
}

function releaseAfterBackoff(
  d: Draft,
  current: Attempt,
  job: TrackedJob,
  hold: Hold,
  because: string,
  releaseLimit: number,
): void {
  const { status } = d;
  if (!status.nextRetryTime) {
    const delay = backoffMs(d.job.spec.retryPolicy, (current.releases ?? 0) + 1, () => d.obs.jitter);
    status.nextRetryTime = d.iso(d.now + delay);
    status.message = `${holdText(hold)}; releasing at ${status.nextRetryTime} (${because})`;
    d.requeue(delay);
    return;
  }
  const due = Date.parse(status.nextRetryTime) - d.now;
  if (due > 0) {
    d.requeue(due);
    return;
  }
  d.effect({ kind: 'release', job: refOf(job), holdSince: hold.since });
  current.releases = (current.releases ?? 0) + 1;
  current.lastReleaseTime = d.iso();
  status.nextRetryTime = undefined;
  status.message = `released ${job.jobId} (${current.releases} of ${releaseLimit}; ${because})`;
  d.event('Normal', EventReason.Released, 'Release', `released held job ${job.jobId} (${because})`);
  d.requeue(Requeue.ReleaseSettling);
}
