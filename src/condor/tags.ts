/**
 * ClassAd attributes the operator stamps on every job it submits, and reads back. One constraint on
 * HPCOperator finds all of an operator's jobs; HPCJobUID + HPCJobAttempt identify an attempt exactly, so a
 * submission whose status write was lost is found and adopted instead of submitted twice.
 */
export const Tag = {
  /** Operator instance id (--operator-id). */
  Operator: 'HPCOperator',
  /** metadata.uid of the HPCJob. */
  JobUID: 'HPCJobUID',
  /** Attempt number, from 1. */
  Attempt: 'HPCJobAttempt',
  /** namespace/name of the HPCJob, to route changes back to its reconcile. */
  Ref: 'HPCJobRef',
  /** The index of an HPCJobSet's job (its HPCJobUID is the set's). */
  SetIndex: 'HPCJobSetIndex',
  /** Set by the operator once the job's end is recorded in the HPCJob status; the job may then leave the queue. */
  Ack: 'HPCAck',
  /** The wrapper's JSON result, set from the job with condor_chirp set_job_attr. */
  WrapperResult: 'HPCWrapperResult',
  /** Last lines of the step's stderr, set by the wrapper. */
  StderrTail: 'HPCStderrTail',
} as const;

/** What the tracker projects from condor_q / condor_history: only what status needs. */
export const TRACKED_ATTRIBUTES = [
  Tag.JobUID,
  Tag.Attempt,
  Tag.Ref,
  Tag.SetIndex,
  Tag.Ack,
  Tag.WrapperResult,
  Tag.StderrTail,
  'JobStatus',
  'HoldReasonCode',
  'HoldReasonSubCode',
  'HoldReason',
  'LastHoldReasonCode',
  'LastHoldReasonSubCode',
  'LastHoldReason',
  'NumHolds',
  'ExitCode',
  'ExitBySignal',
  'ExitSignal',
  'NumJobStarts',
  'QDate',
  'JobCurrentStartDate',
  // Jobs with the same requirements share an autocluster, and one match analysis stands for all of them.
  'AutoClusterId',
  'JobStartDate',
  'CompletionDate',
  'EnteredCurrentStatus',
  'RemoteHost',
  'LastRemoteHost',
  'RemoveReason',
  'RequestMemory',
] as const;

/** Jobs stay in the queue after they end until the operator has recorded them (then HPCAck), at most 7 days. */
export const LEAVE_IN_QUEUE = `(JobStatus == 4 || JobStatus == 3) && (${Tag.Ack} =!= true) && ((time() - EnteredCurrentStatus) < 7 * 86400)`;
