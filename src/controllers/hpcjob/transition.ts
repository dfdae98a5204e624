/**
 * The HPCJob state machine: `transition(job, observation, settings)` says what the status becomes, which
 * Events to record and what to do, with no I/O (the executor does it). One step per reconcile:
 * deletion -> cleanup and finalizer; a cancel or retry asked for by annotation; a final HPCJob's cleanup
 * and TTL; validation; the deadline; following the current attempt; or starting the next one.
 */
import { FINAL_PHASES, HPCJobAnnotations, HPCJobConditions as C, type HPCJob } from '../../crds/hpcjob.js';
import { Draft, truncate } from './draft.js';
import { finalize, whileFinal } from './cleanup.js';
import { startNextAttempt } from './new-attempt.js';
import { ActionReason, EventReason, Limit, Reason, Requeue } from './reasons.js';
import { followAttempt } from './track.js';
import type { HPCJobObservation, HPCJobSettings, HPCJobTransition } from './transition-types.js';
import { outputLimitError, validateSpec } from './validate.js';

export const FINALIZER = 'hpc.scailfin.io/condor-cleanup';

export function transition(job: HPCJob, obs: HPCJobObservation, settings: HPCJobSettings): HPCJobTransition {
  const d = new Draft(job, obs, settings);
  if (job.metadata.deletionTimestamp) {
    if (job.metadata.finalizers?.includes(FINALIZER)) finalize(d);
    return d.result();
  }
  d.addFinalizer = !job.metadata.finalizers?.includes(FINALIZER);
  step(d);
  return d.result();
}

function step(d: Draft): void {
  const { status, job } = d;
  const annotations = job.metadata.annotations ?? {};
  const cancel = annotations[HPCJobAnnotations.Cancel];
  if (cancel && cancel !== status.cancelToken) return cancelJob(d, cancel);
  const retry = annotations[HPCJobAnnotations.Retry];
  const final = !!status.phase && FINAL_PHASES.includes(status.phase);
  if (retry && retry !== status.retryToken) {
    status.retryToken = retry;
    if (final) return retryByHand(d, retry);
  }
  if (final) return whileFinal(d);
  const invalid = validateSpec(job.spec) ?? outputLimitError(job.spec, d.settings.maxOutputBytesCeiling);
  if (invalid) {
    d.cond({ type: C.Accepted, status: 'False', reason: invalid.reason, message: invalid.message });
    d.end('Failed', invalid.message, Reason.InvalidSpec);
    return;
  }
  d.cond({ type: C.Accepted, status: 'True', reason: Reason.Valid, message: 'the spec passed validation' });
  if (deadlineExceeded(d)) return;
  const current = d.current();
  if (current?.outcome === 'Running') return followAttempt(d, current);
  startNextAttempt(d);
}

/** activeDeadlineSeconds counts from the first submission (kept in status, whatever attempts are trimmed). */
function deadlineExceeded(d: Draft): boolean {
  const limit = d.job.spec.activeDeadlineSeconds;
  const first = d.status.firstSubmitTime ?? d.status.attempts?.[0]?.submitTime;
  if (!limit || !first) return false;
  const due = Date.parse(first) + limit * 1000;
  if (d.now < due) {
    d.requeue(due - d.now);
    return false;
  }
  const current = d.current();
  if (d.status.schedd) {
    d.target = d.obs.scheduler?.target;
    d.effect({ kind: 'remove', target: { uid: d.uid }, reason: ActionReason.deadline });
  }
  if (current?.outcome === 'Running') {
    current.outcome = 'Failed';
    current.failureCategory = 'DeadlineExceeded';
    current.endTime = d.iso();
  }
  d.end(
    'Failed',
    `activeDeadlineSeconds (${d.job.spec.activeDeadlineSeconds}) exceeded`,
    Reason.DeadlineExceeded,
  );
  return true;
}

/** A person asked to cancel: the HPCJob ends; the final-phase pass removes and acknowledges its jobs. */
function cancelJob(d: Draft, token: string): void {
  const { status } = d;
  status.cancelToken = token;
  if (status.phase && FINAL_PHASES.includes(status.phase)) return;
  const current = d.current();
  if (current?.outcome === 'Running') {
    current.outcome = 'Cancelled';
    current.endTime = d.iso();
    current.message = 'cancelled by hand';
  }
  d.cond({ type: C.Running, status: 'False', reason: Reason.Cancelled, message: '' });
  d.end('Failed', `cancelled (${HPCJobAnnotations.Cancel}=${token})`, Reason.Cancelled);
  d.requeue(Requeue.Now);
}

/** A person asked for one more attempt: back to Pending, history kept; the next reconcile submits it. */
function retryByHand(d: Draft, token: string): void {
  const { status } = d;
  d.phase('Pending');
  status.completionTime = undefined;
  status.nextRetryTime = undefined;
  status.message = truncate(`attempt ${(status.attempt ?? 0) + 1} requested by hand`, Limit.message);
  d.conditions = d.conditions.filter((c) => c.type !== C.Succeeded && c.type !== C.Failed);
  const note = `a new attempt was asked for (${HPCJobAnnotations.Retry}=${token})`;
  d.event('Normal', EventReason.RetryRequested, 'Retry', note);
  d.requeue(Requeue.Now);
}
