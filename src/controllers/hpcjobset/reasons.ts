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
} as const;

/** Event reasons the HPCJobSet controller records: what a person should know, not the plain life cycle. */
export const SetEventReason = {
  SubmitFailed: 'SubmitFailed',
  IndicesFailed: 'IndicesFailed',
  Cancelled: 'Cancelled',
  InvalidSpec: 'InvalidSpec',
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
} as const;

/** The shortest time between two status writes of one set: at most one per tracker tick. */
export const MIN_STATUS_INTERVAL_MS = 1000;

/** Lengths that status fields are cut to. */
export const SetLimit = {
  /**
   * Indices per condor_submit: HTCondor's default MAX_JOBS_PER_SUBMISSION (20,000). A larger submission is
   * refused for good ("Number of submitted jobs would exceed MAX_JOBS_PER_SUBMISSION"); the rest of the set
   * goes in the next submission, a cluster each, once the queue shows this one.
   */
  perSubmission: 20_000,
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
} as const;
