/**
 * Carries out an HPCJobSet transition: the finalizer first, then the status (one merge patch with the
 * optimistic lock, only when it changed; a 409 is thrown and the controller retries on a fresher copy),
 * Events, and then the effects through the schedd backend, the set's files and the API. Decides nothing.
 */
import type { Logger } from 'pino';
import type { SchedulerBackend } from '../../condor/backend.js';
import { API_VERSION } from '../../crds/common.js';
import { HPCJOBSET_KIND, type HPCJobSet } from '../../crds/hpcjobset.js';
import type { Recorder } from '../../runtime/event-types.js';
import {
  addFinalizer,
  isNotFound,
  removeFinalizer,
  sameJson,
  statusPatch,
  type ObjectWriter,
} from '../../runtime/kube-api.js';
import type { AttemptFiles } from '../hpcjob/attempt-files.js';
import { SET_FILES_ATTEMPT } from './index-files.js';
import type { HPCJobSetMetrics } from './metrics.js';
import { SetEventReason } from './reasons.js';
import { SET_REF_PREFIX, buildSetTable, filesJob, setRef, type IndexAttempt } from './set-jobs.js';
import { SET_FINALIZER } from './transition.js';
import type { SetEffect, SetTransition, SubmitPlacement } from './transition-types.js';

export interface SetExecutorDeps {
  writer: ObjectWriter;
  recorder: Recorder;
  files: AttemptFiles;
  operatorId: string;
  wrapperPath: string;
  maxOutputBytes: number;
  metrics?: HPCJobSetMetrics;
}

/** What became of it: done, written (the status was patched), or the set is gone. */
export type SetExecuted = 'done' | 'written' | 'gone';

/** `backend` is the set's schedd's; none for a set never placed on its VirtualCluster (nothing is anywhere). */
export async function executeSet(
  set: HPCJobSet,
  t: SetTransition,
  backend: SchedulerBackend | undefined,
  deps: SetExecutorDeps,
  log: Logger,
): Promise<SetExecuted> {
  let current = set;
  let written = false;
  try {
    if (t.addFinalizer) current = (await addFinalizer(deps.writer, current, SET_FINALIZER)) ?? current;
    if (!sameJson(current.status ?? {}, t.status)) {
      const before = current.status;
      current = await deps.writer.patchStatus(current, statusPatch(before, t.status));
      deps.metrics?.statusWritten(before, t.status);
      written = true;
    }
    const obj = { ...current, apiVersion: API_VERSION, kind: HPCJOBSET_KIND };
    for (const ev of t.events) deps.recorder.event(obj, ev.type, ev.reason, ev.action, ev.note);
    const forced: string[] = [];
    for (const e of t.afterWrite) {
      if (e.kind === 'forceRemove') {
        if (backend?.forceRemove(e.job) === 'sent') forced.push(e.job.jobId);
      } else await perform(current, e, backend, deps, log);
    }
    // One line per reconcile, not per job: a deleted set of 100,000 wrote 45,000 lines here.
    if (forced.length > 0)
      log.warn(
        { jobs: forced.length, first: forced[0], last: forced.at(-1) },
        'jobs of the set stayed removed (X) past the grace: condor_rm -forcex',
      );
  } catch (e) {
    if (isNotFound(e)) return 'gone';
    throw e;
  }
  return written ? 'written' : 'done';
}

async function perform(
  set: HPCJobSet,
  e: SetEffect,
  backend: SchedulerBackend | undefined,
  deps: SetExecutorDeps,
  log: Logger,
): Promise<void> {
  switch (e.kind) {
    case 'deleteObject':
      log.info('ttlSecondsAfterFinished passed: deleting the HPCJobSet');
      return deps.writer.delete(set);
    case 'removeFiles':
      return deps.files.removeAll(filesJob(set));
    case 'removeFinalizer':
      await removeFinalizer(deps.writer, set, SET_FINALIZER);
      return;
  }
  // The rest act on the schedd; a set with none has nothing there (the transition asks for none of them).
  if (backend) await performOnSchedd(set, e, backend, deps);
}

function performOnSchedd(
  set: HPCJobSet,
  e: SetEffect,
  backend: SchedulerBackend,
  deps: SetExecutorDeps,
): Promise<void> | void {
  switch (e.kind) {
    case 'submit':
      return submit(set, e.entries, e, backend, deps);
    case 'remove':
      return backend.remove(e.target, e.reason);
    case 'discard':
      return backend.discard(e.target, e.reason);
    case 'hold':
      return backend.hold(e.job, e.reason);
    case 'release':
      return backend.release(e.job, e.holdSince);
    case 'acknowledge':
      return backend.acknowledge(e.job);
    case 'fetchOutput':
      backend.fetchOutput(e.job);
      return;
    // forceRemove is done by executeSet itself: it counts what it sent for one log line.
    case 'forget':
      return backend.forget(set.metadata.uid as string);
  }
}

/** Prepares the set's files (a chirp ticket, say) and asks for one condor_submit of the indices. */
async function submit(
  set: HPCJobSet,
  entries: IndexAttempt[],
  placement: SubmitPlacement,
  backend: SchedulerBackend,
  deps: SetExecutorDeps,
): Promise<void> {
  const uid = set.metadata.uid as string;
  const ref = SET_REF_PREFIX + setRef(set);
  const job = filesJob(set);
  const plan = await deps.files.prepare(job, SET_FILES_ATTEMPT);
  if ('reason' in plan) {
    deps.recorder.event(
      { ...set, apiVersion: API_VERSION, kind: HPCJOBSET_KIND },
      'Warning',
      SetEventReason.SubmitFailed,
      'Submit',
      plan.message,
    );
    return;
  }
  const table = buildSetTable(set, entries, {
    operatorId: deps.operatorId,
    wrapperPath: deps.wrapperPath,
    attemptDir: deps.files.dir(job, SET_FILES_ATTEMPT),
    virtualCluster: placement.virtualCluster,
    walltimeNeededSeconds: placement.walltimeNeededSeconds,
    inputFiles: plan.inputFiles,
    transferDir: plan.transferDir,
    maxOutputBytes: set.spec.template.workspace
      ? (set.spec.template.workspace.maxOutputBytes ?? deps.maxOutputBytes)
      : undefined,
  });
  backend.submitSet({ uid, ref, table });
  deps.metrics?.submitted(entries);
}
