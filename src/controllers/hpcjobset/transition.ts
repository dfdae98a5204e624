/**
 * The HPCJobSet state machine: `transition(set, observation)` says what the status becomes, which Events to
 * record and what to do, with no I/O (executor.ts does it). One step per reconcile: deletion -> remove the
 * jobs, then the finalizer; a final set -> clean up what is left, then the TTL; otherwise validation, cancel
 * (of the set or of indices), following every index's job, and submitting the next indices.
 */
import {
  FINAL_SET_PHASES,
  HPCJobSetAnnotations as A,
  HPCJobSetConditions as C,
} from '../../crds/hpcjobset.js';
import { hasEnded, refOf } from '../hpcjob/job-state.js';
import { SetDraft } from './draft.js';
import { cleanStale, followLive, forceOutStuck } from './follow.js';
import { totalOf } from './index-env.js';
import { expireDeadlines } from './deadline.js';
import { Ended, buildView, type IndexView } from './index-view.js';
import { loseVanished } from './lost.js';
import { placeIndices } from './placement.js';
import { parseRanges } from './ranges.js';
import { SetActionReason, SetEventReason, SetReason, SetRequeue } from './reasons.js';
import { submitNext } from './submit.js';
import { setProblem } from './validate.js';
import { settlePhase, summarize } from './summary.js';
import type { SetObservation, SetSettings, SetTransition } from './transition-types.js';

export const SET_FINALIZER = 'hpc.scailfin.io/condor-cleanup';

export function transitionSet(
  set: SetDraft['set'],
  obs: SetObservation,
  settings: SetSettings,
): SetTransition {
  const d = new SetDraft(set, obs, settings);
  const finalizers = set.metadata.finalizers ?? [];
  if (set.metadata.deletionTimestamp) {
    if (finalizers.includes(SET_FINALIZER)) finalize(d);
    return d.result();
  }
  d.addFinalizer = !finalizers.includes(SET_FINALIZER);
  reachability(d);
  if (d.status.phase && FINAL_SET_PHASES.includes(d.status.phase)) whileFinal(d);
  else step(d);
  return d.result();
}

function step(d: SetDraft): void {
  // What is judged (template, count, items) is immutable: a set accepted once stays accepted.
  const accepted = d.set.status?.conditions?.some((c) => c.type === C.Accepted && c.status === 'True');
  const problem = accepted ? undefined : setProblem(d.set, d.settings.maxOutputBytesCeiling);
  if (problem) {
    d.cond({ type: C.Accepted, status: 'False', reason: SetReason.InvalidSpec, message: problem });
    d.cond({ type: C.Failed, status: 'True', reason: SetReason.InvalidSpec, message: problem });
    d.phase('Failed');
    d.status.completionTime = d.iso();
    d.message(problem);
    d.event('Warning', SetEventReason.InvalidSpec, 'Validate', problem);
    return;
  }
  d.cond({
    type: C.Accepted,
    status: 'True',
    reason: SetReason.Valid,
    message: 'the spec passed validation',
  });
  // Before the first read of the queue, no job is known: every index would look pending again and its job
  // lost (found by the simulation, seed 31). The status stays what it said.
  if (!d.obs.state.synced) {
    d.requeue(SetRequeue.Settling);
    return;
  }
  const total = totalOf(d.set);
  const view = buildView(d.status, total, d.obs.jobs);
  const cancel = d.set.metadata.annotations?.[A.Cancel];
  if (cancel && cancel !== d.status.cancelToken) cancelSet(d, view, cancel);
  else {
    cancelIndices(d, view);
    if (!loseVanished(d, view)) {
      d.requeue(SetRequeue.Settling);
      return;
    }
    expireDeadlines(d, view);
    followLive(d, view);
    cleanStale(d, view, SetActionReason.attemptEnded('superseded'));
    const placement = placeIndices(d, view);
    if (placement) submitNext(d, view, placement);
  }
  const counts = summarize(d, view);
  const wasFinal = d.set.status?.phase && FINAL_SET_PHASES.includes(d.set.status.phase);
  settlePhase(d, counts, total);
  if (!wasFinal && d.status.phase === 'Failed' && counts.failed > 0)
    d.event(
      'Warning',
      SetEventReason.IndicesFailed,
      'Finish',
      `${counts.failed} of ${total} indices failed: ${d.status.failed ?? ''}`,
    );
  if (d.status.phase !== 'Succeeded' && d.status.phase !== 'Failed') d.requeue(SetRequeue.Active);
}

/** The schedd answers (or not): a condition; nothing is submitted while it does not. None yet: nothing to say. */
function reachability(d: SetDraft): void {
  const { state, schedd } = d.obs;
  if (schedd === undefined) return;
  d.status.schedd = schedd;
  if (state.reachable)
    d.cond({ type: C.SchedulerReachable, status: 'True', reason: SetReason.Reachable, message: '' });
  else {
    d.cond({
      type: C.SchedulerReachable,
      status: 'False',
      reason: SetReason.Unreachable,
      message: state.lastError ?? 'the schedd does not answer',
    });
    d.requeue(SetRequeue.Unreachable);
  }
}

/** hpc.scailfin.io/cancel: every index not ended is cancelled and the set's jobs go. */
function cancelSet(d: SetDraft, view: IndexView, token: string): void {
  d.status.cancelToken = token;
  for (let i = 0; i < view.total; i++) if (view.ended[i] === Ended.No) view.ended[i] = Ended.Cancelled;
  view.live.clear();
  if (d.obs.schedd !== undefined)
    d.effect({ kind: 'remove', target: { uid: d.uid }, reason: SetActionReason.cancelled });
  d.event('Normal', SetEventReason.Cancelled, 'Cancel', `the set was cancelled (${A.Cancel}=${token})`);
  d.requeue(SetRequeue.Cleanup);
}

/** hpc.scailfin.io/cancel-indices: the listed indices not ended are cancelled, their jobs removed. */
function cancelIndices(d: SetDraft, view: IndexView): void {
  const text = d.set.metadata.annotations?.[A.CancelIndices];
  if (!text) return;
  const parsed = parseRanges(text, view.total);
  if ('error' in parsed) {
    d.notes.push(`${A.CancelIndices} is not an index list: ${parsed.error}`);
    return;
  }
  for (const i of parsed.indices) {
    if (view.ended[i] !== Ended.No) continue;
    view.ended[i] = Ended.Cancelled;
    const job = view.live.get(i);
    if (!job) continue;
    view.live.delete(i);
    view.stale.push(job);
  }
}

/** A set that ended: what it left in the queue goes; then the TTL. */
function whileFinal(d: SetDraft): void {
  const view = buildView(d.status, totalOf(d.set), d.obs.jobs);
  for (const job of view.live.values()) view.stale.push(job);
  cleanStale(d, view, SetActionReason.cancelled);
  if (view.stale.length + forceOutStuck(d) > 0) d.requeue(SetRequeue.Cleanup);
  const ttl = d.set.spec.ttlSecondsAfterFinished;
  const done = Date.parse(d.status.completionTime ?? '');
  if (ttl === undefined || Number.isNaN(done)) return;
  const due = done + ttl * 1000;
  if (d.now >= due) d.effect({ kind: 'deleteObject' });
  else d.requeue(due - d.now);
}

/**
 * Deleted: every job of the set goes (acknowledged and removed in one call); the finalizer only when none is left in
 * the queue, acknowledged ones included, and nothing of it can still appear there (as for an HPCJob).
 */
function finalize(d: SetDraft): void {
  const { jobs, settled, state } = d.obs;
  if (!state.synced || !state.reachable) {
    d.requeue(SetRequeue.Unreachable);
    return;
  }
  if (jobs.length > 0 || !settled) {
    if (jobs.some((j) => !hasEnded(j)))
      d.effect({ kind: 'discard', target: { uid: d.uid }, reason: SetActionReason.deleted });
    for (const j of jobs) if (hasEnded(j) && !j.acked) d.effect({ kind: 'acknowledge', job: refOf(j) });
    forceOutStuck(d);
    d.requeue(SetRequeue.Cleanup);
    return;
  }
  d.effect({ kind: 'removeFiles' });
  d.effect({ kind: 'forget' });
  d.effect({ kind: 'removeFinalizer' });
}
