/**
 * Following the current attempt's HTCondor job (pure): queued, running, suspended, held, succeeded, failed,
 * removed outside the operator, or gone from both queue and history. A finished attempt is recorded only
 * once its output sandbox is here (stdout, stderr, condor-transfer results merged into the workspace), and
 * only then acknowledged, which lets HTCondor delete the sandbox.
 */
import { refOf } from './job-state.js';
import type { Lookup, TrackedJob } from '../../condor/backend.js';
import { HPCJobConditions as C, type Attempt } from '../../crds/hpcjob.js';
import type { Draft } from './draft.js';
import { isoOfSeconds } from './draft.js';
import { failAttempt } from './failure.js';
import { awaitOutput } from './outputs.js';
import { onHeld } from './holds.js';
import { jobState, SUSPEND_REASON, type JobState } from './job-state.js';
import { ActionReason, EventReason, Reason, Requeue } from './reasons.js';
import { virtualClusterPlacement } from './placement.js';
import { explainIdle, scheduled } from './schedulable.js';
import { syncedScheduler } from './scheduler.js';
import { sweepEarlierAttempts } from './cleanup.js';

/**
 * The current attempt is in HTCondor: follow it on the schedd recorded for it. `lookup` is its job as the
 * observation found it, or (right after it was recorded) the job just seen in the queue.
 */
export function followAttempt(d: Draft, current: Attempt, lookup = d.obs.scheduler?.current): void {
  if (!syncedScheduler(d)) return;
  sweepEarlierAttempts(d);
  trackAttempt(d, current, lookup);
}

function trackAttempt(d: Draft, current: Attempt, lookup: Lookup | undefined): void {
  if (!lookup || lookup.state === 'pending') {
    d.requeue(Requeue.Lookup);
    return;
  }
  if (lookup.state === 'absent') {
    const message = `HTCondor job ${current.jobId} is in neither the queue nor the history`;
    failAttempt(d, { category: 'Lost' }, message);
    return;
  }
  const job = lookup.job;
  const st = jobState(job);
  switch (st.state) {
    case 'submitted':
      d.phase('Submitted');
      return;
    case 'queued':
      if (strandedWithoutWorkers(d, current, job)) return;
      // Released (by us or by hand): a pending release time is moot.
      d.status.nextRetryTime = undefined;
      d.phase('Queued');
      d.cond({ type: C.Running, status: 'False', reason: Reason.Queued, message: 'waiting for a slot' });
      d.notHeld();
      if (!d.job.spec.suspend) explainIdle(d, job);
      return suspendIfAsked(d, job);
    case 'running':
      onRunning(d, current, st);
      return suspendIfAsked(d, job);
    case 'suspended':
      return onSuspended(d, current, job);
    case 'held':
      return onHeld(d, current, job, st.hold, st.byUser);
    case 'succeeded':
      scheduled(d, st.host ?? 'a worker');
      return onSucceeded(d, current, job, st);
    case 'failed':
      scheduled(d, st.host ?? 'a worker');
      return onFailed(d, current, job, st);
    case 'removed':
      failAttempt(
        d,
        { category: 'Removed' },
        `HTCondor job ${job.jobId} was removed outside the operator: ${st.reason}`,
        { job, endTime: isoOfSeconds(st.endedAt) },
      );
  }
}

/**
 * An idle job whose VirtualCluster is gone (deleted, Terminated, Failed) can never run: once that has lasted
 * `virtualClusterWaitMs` (since VirtualClusterReady turned False), the job is removed and the HPCJob fails.
 * A running job is left to finish where it runs.
 */
function strandedWithoutWorkers(d: Draft, current: Attempt, job: TrackedJob): boolean {
  if (!d.job.spec.virtualClusterRef) return false;
  const placement = virtualClusterPlacement(d.job, d.obs.virtualCluster, d.settings);
  if (placement.usable) return false;
  d.cond({ type: C.VirtualClusterReady, status: 'False', reason: placement.reason, message: placement.why });
  const since = Date.parse(
    d.conditions.find((c) => c.type === C.VirtualClusterReady)?.lastTransitionTime ?? '',
  );
  const waitMs = d.settings.virtualClusterWaitMs;
  if (!(d.now - since >= waitMs)) {
    d.requeue(Math.max(1000, since + waitMs - d.now));
    return false;
  }
  d.effect({ kind: 'remove', target: { job: refOf(job) }, reason: ActionReason.stranded });
  d.effect({ kind: 'acknowledge', job: refOf(job) });
  current.outcome = 'Failed';
  current.endTime = d.iso();
  current.message = `${placement.why}: its job never ran`;
  const message = `attempt ${current.attempt} (${job.jobId}) can never run: ${placement.why} (waited ${Math.round(waitMs / 1000)} s)`;
  d.end('Failed', message, Reason.VirtualClusterUnavailable);
  return true;
}

function onRunning(d: Draft, current: Attempt, st: Extract<JobState, { state: 'running' }>): void {
  const host = st.host ?? 'a worker';
  if (d.status.phase !== 'Running') {
    d.lifecycleEvent(
      EventReason.Started,
      'Run',
      `attempt ${current.attempt} (${current.jobId}) started on ${host}`,
    );
    queueWait(d, current, st.startedAt);
  }
  d.phase('Running');
  const started = isoOfSeconds(st.startedAt) ?? d.iso();
  current.startTime = current.startTime ?? started;
  if (st.host) current.host = st.host;
  d.status.startTime = d.status.startTime ?? started;
  d.status.message = `attempt ${current.attempt} running on ${host}`;
  d.cond({ type: C.Running, status: 'True', reason: Reason.Running, message: `on ${host}` });
  scheduled(d, host);
  d.notHeld();
}

function queueWait(d: Draft, current: Attempt, startedAt: number | undefined): void {
  const submitted = Date.parse(current.submitTime ?? '');
  if (submitted && startedAt) d.samples.queueWaitSeconds.push(Math.max(0, startedAt - submitted / 1000));
}

/** spec.suspend on a queued or running job: hold it. */
function suspendIfAsked(d: Draft, job: TrackedJob): void {
  if (!d.job.spec.suspend) {
    d.condIfPresent({ type: C.Suspended, status: 'False', reason: Reason.NotSuspended, message: '' });
    return;
  }
  d.effect({ kind: 'hold', job: refOf(job), reason: SUSPEND_REASON });
  const note = `holding ${job.jobId}`;
  if (d.cond({ type: C.Suspended, status: 'True', reason: Reason.Suspending, message: note }))
    d.event('Normal', EventReason.Suspending, 'Hold', `spec.suspend is true: ${note}`);
}

function onSuspended(d: Draft, current: Attempt, job: TrackedJob): void {
  d.phase('Held');
  d.status.message = `attempt ${current.attempt} suspended`;
  if (d.job.spec.suspend) {
    d.cond({
      type: C.Suspended,
      status: 'True',
      reason: Reason.Suspended,
      message: `${job.jobId} is held because spec.suspend is true`,
    });
    return;
  }
  d.effect({
    kind: 'release',
    job: refOf(job),
    holdSince: Number(job.ad.EnteredCurrentStatus) || undefined,
  });
  const note = `releasing ${job.jobId}`;
  if (d.cond({ type: C.Suspended, status: 'False', reason: Reason.Resuming, message: note }))
    d.event('Normal', EventReason.Resumed, 'Release', `spec.suspend is false: ${note}`);
}

/** A run that started and ended between two looks (or while the API server was away) still gets its start. */
function backfillStart(
  d: Draft,
  current: Attempt,
  startedAt: number | undefined,
  host: string | undefined,
): void {
  const started = isoOfSeconds(startedAt);
  if (!started || current.startTime) return;
  // The Started event too, so the event history reads the same however often we looked.
  const where = host ?? 'a worker';
  d.lifecycleEvent(
    EventReason.Started,
    'Run',
    `attempt ${current.attempt} (${current.jobId}) started on ${where} at ${started}`,
  );
  queueWait(d, current, startedAt);
  current.startTime = started;
  d.status.startTime = d.status.startTime ?? started;
}

function onSucceeded(
  d: Draft,
  current: Attempt,
  job: TrackedJob,
  st: Extract<JobState, { state: 'succeeded' }>,
): void {
  const output = awaitOutput(d, current, job);
  if (output.state === 'waiting') return;
  backfillStart(d, current, st.startedAt, st.host);
  current.exitCode = st.exitCode;
  current.endTime = isoOfSeconds(st.endedAt) ?? d.iso();
  if (st.host) current.host = st.host;
  if (st.result?.runtime) current.runtime = st.result.runtime;
  if (output.state === 'resultsLost') {
    // The step succeeded but its results did not come back: for the workflow that is a failed stage-out.
    failAttempt(d, { category: 'StageOut' }, `attempt ${current.attempt} exited 0 but ${output.why}`, {
      job,
    });
    return;
  }
  current.outcome = 'Succeeded';
  current.message = output.state === 'logsLost' ? `exited 0; ${output.why}` : 'exited 0';
  d.effect({ kind: 'acknowledge', job: refOf(job) });
  d.cond({ type: C.Running, status: 'False', reason: Reason.Completed, message: '' });
  d.notHeld();
  d.cond({
    type: C.Succeeded,
    status: 'True',
    reason: Reason.ExitedZero,
    message: `attempt ${current.attempt} exited 0`,
  });
  d.end('Succeeded', `attempt ${current.attempt} succeeded`);
}

function onFailed(
  d: Draft,
  current: Attempt,
  job: TrackedJob,
  st: Extract<JobState, { state: 'failed' }>,
): void {
  const output = awaitOutput(d, current, job);
  if (output.state === 'waiting') return;
  backfillStart(d, current, st.startedAt, st.host);
  current.exitCode = st.exitCode;
  current.signal = st.signal;
  if (st.host) current.host = st.host;
  if (st.result?.runtime) current.runtime = st.result.runtime;
  const tail = d.obs.stderrTail;
  const lost = output.state === 'ready' ? '' : `; ${output.why}`;
  const message = `attempt ${current.attempt} ${st.message}${lost}${tail ? `; stderr:\n${tail}` : ''}`;
  const f = { category: st.category, exitCode: st.exitCode, signal: st.signal };
  failAttempt(d, f, message, { job, endTime: isoOfSeconds(st.endedAt) });
}
