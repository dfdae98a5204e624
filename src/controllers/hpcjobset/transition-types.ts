/**
 * What one HPCJobSet reconcile sees and decides. The transition is a pure function of the set and the
 * observation; the executor writes the status (one write per reconcile, at most one per tracker tick) and
 * then carries out the effects, so the status always says at least as much as has been done.
 */
import type { ScheddState, SetSubmitOutcome, TrackedJob } from '../../condor/backend.js';
import type { FetchState } from '../../condor/output-fetcher.js';
import type { JobRef, ScheddTarget } from '../../condor/schedd-api.js';
import type { HPCJobSetStatus } from '../../crds/hpcjobset.js';
import type { VirtualCluster } from '../../crds/virtualcluster.js';
import type { PlannedEvent } from '../../runtime/event-types.js';
import type { IndexAttempt } from './set-jobs.js';

export interface SetObservation {
  now: number;
  /** A number in [0, 1) for backoff jitter, drawn by the caller. */
  jitter: number;
  /**
   * The schedd's name (status.schedd). Undefined only for a set on a VirtualCluster that was never placed and
   * cannot be now (placement.ts): nothing of it was submitted anywhere, and the rest says so (no job, settled).
   */
  schedd?: string;
  /** The collector of the schedd's pool, for a set on a VirtualCluster (status.pool). */
  pool?: string;
  /** The VirtualCluster template.virtualClusterRef names, from the cache ('missing': not there). */
  virtualCluster?: VirtualCluster | 'missing';
  state: ScheddState;
  /** Every job of the set in the queue (HPCJobUID = the set's uid), any index and attempt. */
  jobs: readonly TrackedJob[];
  /** The last submission of the set's indices, until the next one replaces it. */
  submission?: SetSubmitOutcome;
  /** Nothing of the set can still appear in the queue: no submission in flight, the queue read since. */
  settled: boolean;
  /** Output fetches asked for, by job id (only jobs that completed are looked up). */
  fetches: ReadonlyMap<string, FetchState>;
}

/** The controller's settings the transition depends on. */
export interface SetSettings {
  /**
   * A job of the set that stays removed (X) in the queue this long is taken out with condor_rm -forcex (the
   * operator's --force-removal-after-seconds, as for HPCJobs): HTCondor keeps a job removed from idle or held
   * even once acknowledged, and the set's finalizer waits for its last job.
   */
  forceRemovalAfterMs: number;
  /**
   * An index's output fetch that keeps failing this long is given up (the operator's
   * --output-fetch-timeout-seconds, as for HPCJobs): its outcome is recorded without its output.
   */
  outputFetchTimeoutMs: number;
  /** --max-output-bytes-ceiling: what the template's workspace.maxOutputBytes may ask for (unset: not checked). */
  maxOutputBytesCeiling?: number;
  /** The operator's default pool: its first schedd (a VirtualCluster without a scheddName uses its name). */
  defaultTarget: ScheddTarget;
  /** Indices not submitted fail after the set's VirtualCluster stayed unusable this long (as an HPCJob does). */
  virtualClusterWaitMs: number;
}

/** What the jobs of a submission carry on a VirtualCluster (controllers/hpcjob/description.ts). */
export interface SubmitPlacement {
  /** namespace/name of the VirtualCluster. */
  virtualCluster?: string;
  /** How long an index needs a pilot for (s): the template's walltime and the VirtualCluster's margin. */
  walltimeNeededSeconds?: number;
}

export type SetEffect =
  | ({ kind: 'submit'; entries: IndexAttempt[] } & SubmitPlacement)
  | { kind: 'remove'; target: { job: JobRef } | { uid: string }; reason: string }
  /**
   * HPCAck, then condor_rm, of every job of the deleted object: acknowledged before it is removed, a job leaves
   * the queue at once (with its shadow's end, if it ran); removed first, HTCondor keeps it in X after the
   * acknowledgement until a periodic pass, minutes on a queue of 20,000.
   */
  | { kind: 'discard'; target: { uid: string }; reason: string }
  | { kind: 'hold'; job: JobRef; reason: string }
  | { kind: 'release'; job: JobRef; holdSince?: number }
  | { kind: 'acknowledge'; job: JobRef }
  /** condor_transfer_data of a completed index's sandbox (its stdout and stderr) into the set's directory. */
  | { kind: 'fetchOutput'; job: TrackedJob }
  /** condor_rm -forcex: a job already removed (X) leaves the queue at once. */
  | { kind: 'forceRemove'; job: JobRef }
  | { kind: 'deleteObject' }
  | { kind: 'removeFiles' }
  | { kind: 'removeFinalizer' }
  | { kind: 'forget' };

export interface SetTransition {
  /** The finalizer is missing: add it first (before anything can be submitted). */
  addFinalizer: boolean;
  status: HPCJobSetStatus;
  events: PlannedEvent[];
  /** Done after the status write, in order. */
  afterWrite: SetEffect[];
  requeueAfterMs?: number;
}
