import { EventReason, Reason } from '../hpcjob/reasons.js';

/**
 * The HPCJobSet controller's vocabulary, one owner each: condition reasons, Event reasons, requeue delays,
 * status lengths and the reasons given to condor_rm / condor_hold. docs/reference/hpcjobset.md describes them.
 */

/** Reasons of HPCJobSet conditions (status.conditions[].reason). */
export const SetReason = {
  Valid: 'Valid',
  InvalidSpec: 'InvalidSpec',
  Suspended: 'Suspended',
  NotSuspended: 'NotSuspended',
  Reachable: 'Reachable',
  Unreachable: 'Unreachable',
  AllSucceeded: 'AllSucceeded',
  IndicesFailed: 'IndicesFailed',
  Cancelled: 'Cancelled',
  /** VirtualClusterReady, with the same words as an HPCJob's (placement.ts gives the False ones). */
  Found: Reason.Found,
  NoWorkerFits: Reason.NoWorkerFits,
  CredentialsExpire: Reason.CredentialsExpire,
} as const;

/** Event reasons the HPCJobSet controller records: what a person should know, not the plain life cycle. */
export const SetEventReason = {
  SubmitFailed: 'SubmitFailed',
  IndicesFailed: 'IndicesFailed',
  Cancelled: 'Cancelled',
  InvalidSpec: 'InvalidSpec',
  /** As an HPCJob's: the template fits no worker of its VirtualCluster; its credentials end too soon. */
  NoWorkerFits: EventReason.NoWorkerFits,
  CredentialsExpire: EventReason.CredentialsExpire,
  /** The VirtualCluster stayed unusable for --virtual-cluster-wait-seconds: the indices not submitted failed. */
  VirtualClusterUnavailable: Reason.VirtualClusterUnavailable,
} as const;

/** How long to wait before looking again (ms). */
export const SetRequeue = {
  /** Until the schedd was read since the last submission (nothing can be submitted twice). */
  Settling: 1000,
  /** While the schedd does not answer. */
  Unreachable: 10_000,
  /** A failed condor_submit is tried again after this. */
  SubmitRetry: 10_000,
  /** A set with live indices is looked at this often even without a change notice (the safety net). */
  Active: 30_000,
  /** While jobs of a deleted or finished set are still in the queue. */
  Cleanup: 2000,
  /** While an index's output fetch is on its way (the fetcher's notice usually comes first). */
  Fetching: 2000,
  /** While waiting for the VirtualCluster to exist or become usable. */
  Waiting: 10_000,
} as const;

/** The shortest time between two status writes of one set: at most one per tracker tick. */
export const MIN_STATUS_INTERVAL_MS = 1000;

/** Lengths that status fields are cut to. */
export const SetLimit = {
  /**
   * Indices per condor_submit; the rest of the set goes in the next submission, a cluster each, once the
   * queue shows this one. condor_submit -spool holds every proc until it is spooled, about 60 KB each: 306 MB
   * for 5,000 indices, 1.17 GB for 20,000 (measured on the stack), and it counts against the operator pod's
   * memory limit (1 GiB in the chart: bench/hpcjobset.ts at 100,000 had 20,000-index submissions killed by
   * the cgroup's OOM killer). HTCondor's default MAX_JOBS_PER_SUBMISSION (20,000) would allow four times this.
   */
  perSubmission: 5_000,
  message: 4096,
  recordMessage: 512,
  eventNote: 1000,
} as const;

/** condor_rm / condor_hold reasons (seen in RemoveReason / HoldReason). */
export const SetActionReason = {
  deleted: 'HPCJobSet deleted',
  cancelled: 'HPCJobSet cancelled',
  indexCancelled: 'HPCJobSet index cancelled (hpc.scailfin.io/cancel-indices)',
  attemptEnded: (category: string) => `HPCJobSet index attempt ended: ${category}`,
  deadline: 'HPCJobSet index activeDeadlineSeconds exceeded',
  stranded: "the HPCJobSet's VirtualCluster is gone: the job can never run",
} as const;
