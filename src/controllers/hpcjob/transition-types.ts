/**
 * What one HPCJob reconcile sees (the observation) and decides (the transition). The transition is a pure
 * function of the HPCJob, the observation and the controller's settings; the executor then writes the
 * status and carries out the effects. Effects that change the world outside the operator run only after the
 * status that justifies them is written, so a crash in between is seen and repaired by the next reconcile,
 * never lost: the status always says at least as much as has been done.
 */
import type {
  AnalysisResult,
  Lookup,
  FetchState,
  ScheddState,
  SubmitOutcome,
  TrackedJob,
} from '../../condor/backend.js';
import type { JobRef, ScheddTarget } from '../../condor/schedd-api.js';
import type { HPCJobStatus, Phase } from '../../crds/hpcjob.js';
import type { VirtualCluster } from '../../crds/virtualcluster.js';
import type { PlannedEvent } from '../../runtime/event-types.js';
import type { ScheddCandidate, Spread } from './spread.js';

/** What the reconcile sees of the schedd that has (or will have) the HPCJob's jobs. */
export interface SchedulerView {
  name: string;
  target: ScheddTarget;
  state: ScheddState;
  /** The current attempt's job (when an attempt was submitted). */
  current?: Lookup;
  /** Every job of the HPCJob in the queue (any attempt). */
  jobs: TrackedJob[];
  /** The submission of the next attempt, if one was asked for. */
  submission?: SubmitOutcome;
  /** Output fetches asked for, by job id. */
  fetches: ReadonlyMap<string, FetchState>;
  /** Nothing of the HPCJob can still appear in the queue (no submission running; read since). */
  settled: boolean;
  /** HTCondor's latest match analysis of the current attempt's idle job, when one was asked for. */
  analysis?: AnalysisResult;
}

export interface HPCJobObservation {
  now: number;
  /** A number in [0, 1) for backoff jitter, drawn by the caller (the transition itself draws nothing). */
  jitter: number;
  /** The VirtualCluster spec.virtualClusterRef names: the object, or 'missing'; undefined without a ref. */
  virtualCluster?: VirtualCluster | 'missing';
  /** The schedd the job is (or will be) on; undefined when that cannot be known yet. */
  scheduler?: SchedulerView;
  /** Every configured schedd of the default pool, when a new HPCJob must choose among several. */
  schedds?: ScheddCandidate[];
  /** The last lines of the current attempt's fetched stderr. */
  stderrTail?: string;
  /** The current attempt's directory on the operator's side (where its fetched logs are). */
  logsDir?: string;
}

/** The controller's settings the transition depends on. */
export interface HPCJobSettings {
  /** The operator's default pool (HPCJobs without a VirtualCluster): its schedd, the first when several. */
  defaultTarget: ScheddTarget;
  /** Several schedds for the default pool (--schedd-names): new HPCJobs are spread over them. */
  spread?: Spread;
  /** An HPCJob naming a missing or unusable VirtualCluster fails after waiting this long. */
  virtualClusterWaitMs: number;
  /** A hold placed by a person is respected this long, then treated as a failure of the attempt. */
  userHoldTimeoutMs: number;
  /**
   * A deleted HPCJob's job that stays removed (X) in the queue this long is taken out with condor_rm -forcex:
   * its shadow cannot reach the execute side (a pilot that died), and the schedd would keep it, and the
   * finalizer with it, until the job lease ends.
   */
  forceRemovalAfterMs: number;
  /** Fetching an attempt's output is given up after trying this long (the attempt says so). */
  outputFetchTimeoutMs: number;
  /** The most bytes a step stages back when its spec says nothing, and the most it may ask for. */
  maxOutputBytes: number;
  maxOutputBytesCeiling: number;
  /** A job idle this long gets HTCondor's match analysis (condition Schedulable)... */
  matchAnalysisAfterMs: number;
  /** ...refreshed this often while it stays idle. */
  matchAnalysisEveryMs: number;
  /**
   * Record Normal Events for the plain life cycle too (Submitted, Retried, Started, Succeeded). Off by
   * default: status already says each of them exactly, and each Event is one more API write per step.
   */
  lifecycleEvents: boolean;
}

export type HPCJobEffect =
  | {
      kind: 'submit';
      attempt: number;
      memoryMiB: number;
      virtualCluster?: string;
      /** How long the step needs a pilot for (s): HPCWalltimeNeeded, matched against the pilots' HPCPilotEnd. */
      walltimeNeededSeconds?: number;
      /** What the wrapper may stage back (with a workspace). */
      maxOutputBytes?: number;
    }
  | { kind: 'clearSubmission'; attempt: number }
  | { kind: 'attemptSubmitted'; attempt: number }
  | { kind: 'remove'; target: { job: JobRef } | { uid: string }; reason: string }
  /**
   * HPCAck, then condor_rm, of every job of the deleted object: acknowledged before it is removed, a job leaves
   * the queue at once (with its shadow's end, if it ran); removed first, HTCondor keeps it in X after the
   * acknowledgement until a periodic pass, minutes on a queue of 20,000.
   */
  | { kind: 'discard'; target: { uid: string }; reason: string }
  /** condor_rm -forcex: a job already removed (X) leaves the queue at once, its execute side not cleaned up. */
  | { kind: 'forceRemove'; job: JobRef }
  | { kind: 'hold'; job: JobRef; reason: string }
  | { kind: 'release'; job: JobRef; holdSince?: number }
  | { kind: 'fetchOutput'; job: TrackedJob }
  | { kind: 'mergeResults'; attempt: number }
  | { kind: 'acknowledge'; job: JobRef }
  | { kind: 'analyze'; job: TrackedJob }
  | { kind: 'deleteObject' }
  | { kind: 'removeFiles' }
  | { kind: 'removeFinalizer' }
  | { kind: 'forget' };

/** Metric samples a transition produces (recorded once its status is written). */
export interface TransitionSamples {
  phases: Phase[];
  holdCodes: number[];
  queueWaitSeconds: number[];
}

export interface HPCJobTransition {
  /** The finalizer is missing: add it first. */
  addFinalizer: boolean;
  /**
   * The status need not be written now: nothing in it has to precede the effects, and the next reconcile
   * computes it again. A new HPCJob's first status waits this way until its job is in the queue, so that
   * "submitted" and "queued" (or "running") are one write (docs/design.md, API writes).
   */
  deferStatus: boolean;
  /** The status to write (the executor writes only when it differs from the stored one). */
  status: HPCJobStatus;
  events: PlannedEvent[];
  /** Done before the status write (idempotent, and the status may only be written once they are done). */
  beforeWrite: HPCJobEffect[];
  /** Done after the status write succeeded, in order. */
  afterWrite: HPCJobEffect[];
  /** The schedd the effects address. */
  target?: ScheddTarget;
  requeueAfterMs?: number;
  samples: TransitionSamples;
}
