/**
 * Starting the next attempt (pure): once its VirtualCluster can take jobs, the schedd has been read, the
 * backoff is over and the HPCJob is not suspended, adopt a job that already exists for the attempt or ask
 * for a submission; then record what the submission gave. On a VirtualCluster the schedd is recorded in
 * status before the submission is asked for, so the job can always be found (and removed) again, and so
 * it is among several schedds of the default pool; with one it is known without (placement.ts), and a new
 * HPCJob's first status waits until its job is in the queue: "submitted" and "queued" (or "running") are
 * then one write.
 */
import type { SubmitOutcome, TrackedJob } from '../../condor/backend.js';
import { HPCJobConditions as C, type FailureCategory, type HPCJob } from '../../crds/hpcjob.js';
import { mibQuantity } from '../../util/units.js';
import { memoryMiBOf } from './description.js';
import type { Draft } from './draft.js';
import { truncate } from './draft.js';
import { failAttempt } from './failure.js';
import { stepNeedSeconds } from '../virtualcluster/walltime.js';
import { noWorkerFits } from './fit.js';
import { placementForNew, scheddKnownWithoutRecord, type UnusableReason } from './placement.js';
import { jobState } from './job-state.js';
import { EventReason, FIRST_STATUS_SPOOL_WAIT_MS, Limit, Reason, Requeue } from './reasons.js';
import { decide } from './retry.js';
import { schedulerCondition, syncedScheduler } from './scheduler.js';
import { followAttempt } from './track.js';
import type { SchedulerView } from './transition-types.js';

export function startNextAttempt(d: Draft): void {
  const { status, job } = d;
  // A job of this attempt already in the queue (ours, read since its submission came back; or one whose
  // submit timed out after committing, or whose status write was lost) is recorded and followed wherever its
  // VirtualCluster went: it may run, and it must be followed and cleaned up.
  const s = d.obs.scheduler;
  const existing = s?.state.synced ? s.jobs.find((j) => j.attempt === (status.attempt ?? 0) + 1) : undefined;
  if (s && existing) return recordQueued(d, s, existing);
  const placement = placementForNew(job, d.obs.virtualCluster, d.settings, d.now);
  if (!placement.usable) return waitForVirtualCluster(d, placement.reason, placement.why);
  if (placement.virtualCluster) virtualClusterReady(d, placement.virtualCluster);
  const scheduler = syncedScheduler(d);
  if (!scheduler || noScheddAnswers(d, scheduler)) return;
  recordPlacement(d, scheduler);
  if (status.nextRetryTime) {
    const due = Date.parse(status.nextRetryTime) - d.now;
    if (due > 0) return d.requeue(due);
  }
  if (job.spec.suspend) {
    d.phase(status.phase ?? 'Pending');
    d.cond({
      type: C.Suspended,
      status: 'True',
      reason: Reason.Suspended,
      message: 'spec.suspend is true: not submitting',
    });
    status.message = 'suspended before submission';
    return;
  }
  d.condIfPresent({ type: C.Suspended, status: 'False', reason: Reason.NotSuspended, message: '' });
  submitOrAdopt(d);
}

/**
 * A new HPCJob choosing among several schedds when none answers: it waits, unplaced, for one that does
 * (SchedulerReachable=False names them), rather than being tied to a schedd that may stay down while
 * another comes back. With one schedd, or a schedd recorded, the submission is asked for all the same and
 * retried until the schedd answers (a down schedd only delays it).
 */
function noScheddAnswers(d: Draft, scheduler: SchedulerView): boolean {
  if (!d.obs.schedds || scheduler.state.reachable) return false;
  d.phase(d.status.phase ?? 'Pending');
  d.status.message = 'waiting for a schedd that answers';
  return true;
}

/** Where the attempt goes (or went): the schedd, its pool, and the VirtualCluster when there is one. */
function recordPlacement(d: Draft, s: SchedulerView): void {
  const { status, job } = d;
  status.schedd = s.name;
  status.pool = s.target.pool || undefined;
  const vc = d.obs.virtualCluster;
  if (job.spec.virtualClusterRef && typeof vc === 'object')
    status.virtualCluster = `${job.metadata.namespace}/${vc.metadata.name}`;
}

/**
 * A status was never written: nothing is in it yet that anyone saw. The first one may wait for the job to
 * reach the queue while the pool is the default one with one schedd (recordedTarget finds the job there
 * without a record) and the schedd answers (else the status has something to say: SchedulerReachable=False);
 * among several schedds, the one after the first (which recorded the schedd) may wait the same way.
 */
function firstStatusCanWait(d: Draft): boolean {
  if (!d.obs.scheduler?.state.reachable) return false;
  if (scheddKnownWithoutRecord(d.job, d.settings)) return neverWritten(d.job);
  return placedNotSubmitted(d.job, d.settings);
}

/**
 * Among several schedds the first status records where a new HPCJob goes, and nothing else happened yet:
 * from then on its first job is found there by (UID, attempt), as on a single schedd, so "submitted" waits
 * for the queue the same way (one write for "submitted" and "queued").
 */
function placedNotSubmitted(job: HPCJob, settings: Draft['settings']): boolean {
  return !!settings.spread && !job.spec.virtualClusterRef && !!job.status?.schedd && !job.status.attempt;
}

/**
 * condor_submit -spool holds a job for a moment while its input is spooled (HTCondor's SpoolingInput): a new
 * HPCJob's first status waits that out, briefly, so that it says Queued or Running at once. A spool that
 * takes longer (a large condor-transfer workspace) is shown as Submitted meanwhile. QDate is the schedd's
 * clock: a skew that puts it in the future does not make the wait longer.
 */
function spoolWaitLeft(d: Draft, job: TrackedJob): number {
  if (!firstStatusCanWait(d) || jobState(job).state !== 'submitted') return 0;
  const since = d.now - (Number(job.ad.QDate) || 0) * 1000;
  return since >= 0 && since < FIRST_STATUS_SPOOL_WAIT_MS ? FIRST_STATUS_SPOOL_WAIT_MS - since : 0;
}

export function neverWritten(job: HPCJob): boolean {
  return !job.status || Object.values(job.status).every((v) => v === undefined);
}

/** The attempt's job is in the queue: recorded and followed at once (one write for both). */
function recordQueued(d: Draft, s: SchedulerView, job: TrackedJob): void {
  // The spool's end changes the job's status, which the tracker reports: the timer is only the wait's end.
  const spooling = spoolWaitLeft(d, job);
  if (spooling > 0) {
    d.deferStatus = true;
    d.requeue(spooling);
    return;
  }
  const outcome = s.submission;
  const ours = outcome?.state === 'submitted' && outcome.jobId === job.jobId;
  d.target = s.target;
  schedulerCondition(d, s);
  // Unrecorded only when the first status waited for this (the default pool): record where it is.
  if (!d.status.schedd) recordPlacement(d, s);
  recordSubmitted(d, job.attempt, job.jobId, !ours);
  const current = d.current();
  if (current) followAttempt(d, current, { state: 'found', job });
}

function submitOrAdopt(d: Draft): void {
  const next = (d.status.attempt ?? 0) + 1;
  const outcome = d.obs.scheduler?.submission;
  if (!outcome) {
    d.phase(d.status.phase ?? 'Pending');
    d.effect({
      kind: 'submit',
      attempt: next,
      memoryMiB: memoryFor(d, next),
      virtualCluster: d.status.virtualCluster,
      ...walltimeNeeded(d),
      maxOutputBytes: d.job.spec.workspace
        ? (d.job.spec.workspace.maxOutputBytes ?? d.settings.maxOutputBytes)
        : undefined,
    });
    d.deferStatus = firstStatusCanWait(d);
    return;
  }
  switch (outcome.state) {
    case 'in-flight':
      d.deferStatus = firstStatusCanWait(d);
      return;
    case 'submitted':
      // Not in the queue yet as the tracker read it: wait for the read that shows it (the tracker says when
      // it changed), unless a read since the submission came back did not (then record it: follow it up).
      if (firstStatusCanWait(d) && !d.obs.scheduler?.settled) {
        d.deferStatus = true;
        d.requeue(Requeue.Lookup);
        return;
      }
      return recordSubmitted(d, next, outcome.jobId, outcome.adopted);
    case 'failed':
      d.effect({ kind: 'clearSubmission', attempt: next });
      return outcome.permanent ? submissionRefused(d, next, outcome) : submissionFailed(d, outcome);
  }
}

/** On a VirtualCluster, how long the step needs a pilot for (its walltime and the VirtualCluster's margin). */
function walltimeNeeded(d: Draft): { walltimeNeededSeconds?: number } {
  const vc = d.obs.virtualCluster;
  if (!d.status.virtualCluster || vc === undefined || vc === 'missing') return {};
  const need = stepNeedSeconds(d.job, vc);
  return need === undefined ? {} : { walltimeNeededSeconds: need };
}

function submissionFailed(d: Draft, outcome: Extract<SubmitOutcome, { state: 'failed' }>): void {
  const reason = outcome.reason ?? Reason.SubmitFailed;
  const message = truncate(outcome.message, 1000);
  if (d.cond({ type: C.Submitted, status: 'False', reason, message }) && !outcome.reason)
    d.event(
      'Warning',
      EventReason.SubmitFailed,
      'Submit',
      `condor_submit failed, will retry: ${outcome.message}`,
    );
  d.phase(d.status.phase ?? 'Pending');
  d.status.message = `${outcome.reason ? 'waiting' : 'submission failed, retrying'}: ${truncate(outcome.message, 300)}`;
  d.requeue(outcome.reason ? Requeue.Waiting : Requeue.SubmitRetry * (1 + d.obs.jitter));
}

/** The attempt can never be submitted as it is: a staging problem ends the HPCJob, a refusal is a failed attempt. */
function submissionRefused(
  d: Draft,
  next: number,
  outcome: Extract<SubmitOutcome, { state: 'failed' }>,
): void {
  if (outcome.reason) {
    d.cond({ type: C.Accepted, status: 'False', reason: outcome.reason, message: outcome.message });
    d.end('Failed', outcome.message, outcome.reason);
    return;
  }
  d.recordAttempt({ attempt: next, schedd: d.status.schedd, submitTime: d.iso(), outcome: 'Running' });
  failAttempt(d, { category: 'SubmitError' }, `condor_submit refused the job: ${outcome.message}`);
}

function recordSubmitted(d: Draft, next: number, jobId: string, adopted: boolean): void {
  const { status } = d;
  const [cluster, proc] = jobId.split('.').map(Number);
  status.attempt = next;
  status.jobId = jobId;
  status.clusterId = cluster;
  status.procId = proc;
  status.nextRetryTime = undefined;
  status.firstSubmitTime = status.firstSubmitTime ?? status.attempts?.[0]?.submitTime ?? d.iso();
  d.recordAttempt({
    attempt: next,
    jobId,
    schedd: status.schedd,
    submitTime: d.iso(),
    outcome: 'Running',
    memory: mibQuantity(memoryFor(d, next)),
  });
  d.effect({ kind: 'clearSubmission', attempt: next });
  d.effect({ kind: 'attemptSubmitted', attempt: next });
  d.phase('Submitted');
  const how = adopted ? Reason.Adopted : Reason.Submitted;
  d.cond({
    type: C.Submitted,
    status: 'True',
    reason: how,
    message: `HTCondor job ${jobId} on ${status.schedd}`,
  });
  d.cond({ type: C.Running, status: 'False', reason: Reason.Queued, message: 'waiting for a slot' });
  d.notHeld();
  status.message = `attempt ${next}: submitted as ${jobId}`;
  const verb = adopted ? 'adopted' : 'submitted';
  d.lifecycleEvent(
    next > 1 ? EventReason.Retried : EventReason.Submitted,
    'Submit',
    `attempt ${next} ${verb} as HTCondor job ${jobId} on ${status.schedd}`,
  );
}

/** Memory for attempt `n`: the spec's, raised by memoryFactor rules that matched earlier failures. */
export function memoryFor(d: Draft, n: number): number {
  let mib = memoryMiBOf(d.job);
  for (const a of d.status.attempts ?? []) {
    if (a.attempt >= n || a.outcome !== 'Retried' || !a.failureCategory) continue;
    const decision = decide(d.job.spec.retryPolicy, {
      category: a.failureCategory as FailureCategory,
      exitCode: a.exitCode,
      signal: a.signal,
      holdCode: a.holdCode,
      holdSubCode: a.holdSubCode,
    });
    if (decision.memoryFactor) mib = Math.ceil(mib * decision.memoryFactor);
  }
  return mib;
}

/** Submitted all the same (the workers may grow), but a job no worker can hold says so. */
function virtualClusterReady(d: Draft, vc: Parameters<typeof noWorkerFits>[1]): void {
  const tooBig = noWorkerFits(d.job, vc);
  const changed = d.cond({
    type: C.VirtualClusterReady,
    status: 'True',
    reason: tooBig ? Reason.NoWorkerFits : Reason.Found,
    message: tooBig ?? `VirtualCluster ${vc.metadata.name} is ${vc.status?.phase ?? 'known'}`,
  });
  if (changed && tooBig) d.event('Warning', EventReason.NoWorkerFits, 'Submit', tooBig);
}

/**
 * No usable VirtualCluster: wait for it, and give up after the wait (from creation, or the last attempt's end).
 * Credentials that end too soon are the one reason that needs a person (someone must renew them): a Warning
 * says so when the wait for them starts.
 */
function waitForVirtualCluster(d: Draft, reason: UnusableReason, why: string): void {
  const { status, job } = d;
  const before = d.conditions.find((c) => c.type === C.VirtualClusterReady)?.reason;
  d.cond({ type: C.VirtualClusterReady, status: 'False', reason, message: why });
  if (reason === Reason.CredentialsExpire && before !== reason)
    d.event('Warning', EventReason.CredentialsExpire, 'Submit', truncate(why, Limit.eventNote));
  const lastEnd = status.attempts?.[status.attempts.length - 1]?.endTime;
  const since = Date.parse(lastEnd ?? job.metadata.creationTimestamp ?? '') || d.now;
  const waitMs = d.settings.virtualClusterWaitMs;
  if (d.now - since > waitMs) {
    const message = `${why} (waited ${Math.round(waitMs / 1000)} s)`;
    d.end('Failed', truncate(message, Limit.message), Reason.VirtualClusterUnavailable);
    return;
  }
  d.phase(status.phase ?? 'Pending');
  status.message = `waiting: ${why}`;
  d.requeue(Requeue.Waiting);
}
