/**
 * Carries out an HPCJob transition: the finalizer first, then what must precede the status (merging
 * condor-transfer results), the status write with the optimistic lock (a 409 is thrown: the controller
 * retries with backoff on a fresher copy) unless the transition defers it, Events and metrics, and then the
 * effects, in order, through the schedd backend, the attempt files and the API. Nothing here decides
 * anything.
 */
import type { Logger } from 'pino';
import type { SchedulerBackend, SchedulerBackends } from '../../condor/backend.js';
import type { JobRef } from '../../condor/schedd-api.js';
import { API_VERSION } from '../../crds/common.js';
import { HPCJOB_KIND, type HPCJob } from '../../crds/hpcjob.js';
import type { Recorder } from '../../runtime/event-types.js';
import {
  addFinalizer,
  isNotFound,
  removeFinalizer,
  sameJson,
  statusPatch,
  type ObjectWriter,
} from '../../runtime/kube-api.js';
import type { AttemptFiles } from './attempt-files.js';
import { buildSubmitJob } from './description.js';
import type { HPCJobMetrics } from './metrics.js';
import { FINALIZER } from './transition.js';
import type { HPCJobEffect, HPCJobTransition } from './transition-types.js';

export interface ExecutorDeps {
  writer: ObjectWriter;
  recorder: Recorder;
  backends: SchedulerBackends;
  files: AttemptFiles;
  metrics?: HPCJobMetrics;
  operatorId: string;
  /** The job wrapper, shipped as each job's executable. */
  wrapperPath: string;
}

/** What became of the write: done, or the HPCJob is gone (nothing more to do). */
export type Executed = 'done' | 'gone';

export async function execute(
  job: HPCJob,
  t: HPCJobTransition,
  deps: ExecutorDeps,
  log: Logger,
): Promise<Executed> {
  let current = job;
  try {
    if (t.addFinalizer) current = (await addFinalizer(deps.writer, current, FINALIZER)) ?? current;
    for (const e of t.beforeWrite) await perform(current, e, t, deps, log);
    if (!t.deferStatus && !sameJson(current.status ?? {}, t.status))
      await deps.writer.patchStatus(current, statusPatch(current.status, t.status));
  } catch (e) {
    if (isNotFound(e)) return 'gone';
    throw e;
  }
  // A deferred status is computed again, with its Events and samples, by the reconcile that writes it.
  if (!t.deferStatus) {
    deps.metrics?.record(t.samples);
    const obj = { ...current, apiVersion: API_VERSION, kind: HPCJOB_KIND };
    for (const ev of t.events) deps.recorder.event(obj, ev.type, ev.reason, ev.action, ev.note);
  }
  for (const e of t.afterWrite) {
    try {
      await perform(current, e, t, deps, log);
    } catch (err) {
      if (isNotFound(err)) return 'gone';
      throw err;
    }
  }
  return 'done';
}

function backendOf(t: HPCJobTransition, deps: ExecutorDeps, kind: string): SchedulerBackend {
  if (!t.target) throw new Error(`effect ${kind} without a schedd: a transition bug`);
  return deps.backends.for(t.target);
}

async function perform(
  job: HPCJob,
  e: HPCJobEffect,
  t: HPCJobTransition,
  deps: ExecutorDeps,
  log: Logger,
): Promise<void> {
  const uid = job.metadata.uid as string;
  switch (e.kind) {
    case 'submit':
      return submit(job, e, backendOf(t, deps, e.kind), deps);
    case 'clearSubmission':
      return backendOf(t, deps, e.kind).clearSubmission(uid, e.attempt);
    case 'attemptSubmitted':
      return deps.files.submitted(job, e.attempt);
    case 'remove':
      return backendOf(t, deps, e.kind).remove(e.target, e.reason);
    case 'discard':
      return backendOf(t, deps, e.kind).discard(e.target, e.reason);
    case 'forceRemove':
      return forceRemove(e.job, backendOf(t, deps, e.kind), log);
    case 'hold':
      return backendOf(t, deps, e.kind).hold(e.job, e.reason);
    case 'release':
      return backendOf(t, deps, e.kind).release(e.job, e.holdSince);
    case 'fetchOutput':
      backendOf(t, deps, e.kind).fetchOutput(e.job);
      return;
    case 'mergeResults':
      deps.files.mergeResults(job, e.attempt);
      return;
    case 'acknowledge':
      return backendOf(t, deps, e.kind).acknowledge(e.job);
    case 'analyze':
      return backendOf(t, deps, e.kind).analyze(e.job);
    case 'deleteObject':
      log.info('ttlSecondsAfterFinished passed: deleting the HPCJob');
      return deps.writer.delete(job);
    case 'removeFiles':
      return deps.files.removeAll(job);
    case 'removeFinalizer':
      await removeFinalizer(deps.writer, job, FINALIZER);
      return;
    case 'forget':
      if (t.target) deps.backends.for(t.target).forget(uid);
      return;
  }
}

/** Prepares the attempt's files and asks for its submission; a staging problem is recorded as its outcome. */
async function submit(
  job: HPCJob,
  e: Extract<HPCJobEffect, { kind: 'submit' }>,
  backend: SchedulerBackend,
  deps: ExecutorDeps,
): Promise<void> {
  const uid = job.metadata.uid as string;
  const ref = `${job.metadata.namespace}/${job.metadata.name}`;
  const plan = await deps.files.prepare(job, e.attempt);
  if ('reason' in plan) {
    backend.refuse({ uid, attempt: e.attempt, ref }, { ...plan, permanent: !plan.transient });
    return;
  }
  backend.submit({
    uid,
    attempt: e.attempt,
    ref,
    job: buildSubmitJob(job, e.attempt, {
      operatorId: deps.operatorId,
      wrapperPath: deps.wrapperPath,
      attemptDir: deps.files.dir(job, e.attempt),
      virtualCluster: e.virtualCluster,
      walltimeNeededSeconds: e.walltimeNeededSeconds,
      memoryMiB: e.memoryMiB,
      inputFiles: plan.inputFiles,
      transferDir: plan.transferDir,
      maxOutputBytes: e.maxOutputBytes,
    }),
  });
}

/** condor_rm -forcex of a job stuck in X (the transition's RemovalForced Event says why), logged once a try. */
function forceRemove(job: JobRef, backend: SchedulerBackend, log: Logger): void {
  const outcome = backend.forceRemove(job);
  const at = { jobId: job.jobId, schedd: backend.name };
  if (outcome === 'sent')
    log.warn(
      at,
      'the job stayed removed (X) in the queue past the grace: forcing it out with condor_rm -forcex',
    );
  else if (outcome === 'notRemoved')
    log.warn(
      at,
      'not forcing out a job that is not removed (X): condor_rm -forcex applies only to removed jobs',
    );
}
