/**
 * The HPCJob controller's vocabulary, one owner each: condition reasons, Event reasons, and how long a
 * reconcile waits before looking again in each situation. docs/reference and docs/concepts.md describe them.
 */

/** Reasons of HPCJob conditions (status.conditions[].reason), besides failure categories and HoldCode<N>. */
export const Reason = {
  Valid: 'Valid',
  InvalidSpec: 'InvalidSpec',
  Submitted: 'Submitted',
  Adopted: 'Adopted',
  SubmitFailed: 'SubmitFailed',
  BackingOff: 'BackingOff',
  Queued: 'Queued',
  Running: 'Running',
  Completed: 'Completed',
  Held: 'Held',
  HeldByUser: 'HeldByUser',
  NotHeld: 'NotHeld',
  Suspended: 'Suspended',
  Suspending: 'Suspending',
  Resuming: 'Resuming',
  NotSuspended: 'NotSuspended',
  Reachable: 'Reachable',
  SchedulerUnavailable: 'SchedulerUnavailable',
  Found: 'Found',
  NotFound: 'NotFound',
  NotUsable: 'NotUsable',
  /** VirtualClusterReady=False: its credentials expire before a new attempt's walltime would end. */
  CredentialsExpire: 'CredentialsExpire',
  NoWorkerFits: 'NoWorkerFits',
  VirtualClusterUnavailable: 'VirtualClusterUnavailable',
  ExitedZero: 'ExitedZero',
  Cancelled: 'Cancelled',
  DeadlineExceeded: 'DeadlineExceeded',
  Fetched: 'Fetched',
  FetchFailed: 'FetchFailed',
  Failed: 'Failed',
  /** Schedulable=False: no slot matches the job's requirements. */
  NoMatchingSlot: 'NoMatchingSlot',
  /** Schedulable=False: the VirtualCluster's pilots are on their way. */
  VirtualClusterScalingUp: 'VirtualClusterScalingUp',
  /** Schedulable=False: slots match but run other jobs (yours or other users'). */
  Priority: 'Priority',
  /** Schedulable=False: slots could run it but the negotiator has not matched it yet (resources in use). */
  SlotsBusy: 'SlotsBusy',
  /** Schedulable=True: the job started on a slot. */
  Matched: 'Matched',
} as const;

/** Event reasons (events.k8s.io/v1 `reason`) the HPCJob controller records. */
export const EventReason = {
  Submitted: 'Submitted',
  Retried: 'Retried',
  SubmitFailed: 'SubmitFailed',
  Started: 'Started',
  Held: 'Held',
  HeldByUser: 'HeldByUser',
  Released: 'Released',
  Suspending: 'Suspending',
  Resumed: 'Resumed',
  AttemptFailed: 'AttemptFailed',
  RetryRequested: 'RetryRequested',
  NoWorkerFits: 'NoWorkerFits',
  CredentialsExpire: 'CredentialsExpire',
  FetchFailed: 'FetchFailed',
  Succeeded: 'Succeeded',
  Failed: 'Failed',
  Lost: 'Lost',
  CleanupBlocked: 'CleanupBlocked',
  /** A deleted HPCJob's job stayed removed (X) in the queue past the grace and was taken out with -forcex. */
  RemovalForced: 'RemovalForced',
  NotSchedulable: 'NotSchedulable',
} as const;

/** How long to wait before looking again (ms), by situation. */
export const Requeue = {
  /** Right away (a new attempt after a hand retry, the final-phase cleanup after a cancel). */
  Now: 1,
  /** Until the first read of the schedd: absence of a job proves nothing yet. */
  SchedulerSync: 1000,
  /** While the schedd does not answer. */
  SchedulerUnreachable: 10_000,
  /** While a job is looked up in the queue and the history (the tracker's change notice usually comes first). */
  Lookup: 5000,
  /** While waiting for a VirtualCluster to exist or become usable, or for a transient staging problem. */
  Waiting: 10_000,
  /** A failed condor_submit is tried again after this, plus up to as much again of jitter. */
  SubmitRetry: 5000,
  /** While an output fetch is on its way (the fetcher's notice usually comes first). */
  Fetching: 2000,
  /** Right after a release, while the tracker may still show the hold it released. */
  ReleaseSettling: 2000,
  /**
   * While jobs of a final or deleted HPCJob are still in the queue. A safety net: the whole read of the
   * queue that no longer shows a job tells its HPCJob, and only a whole read (every 30 s at most) can.
   */
  Cleanup: 15_000,
  /** While a match analysis is on its way (the analyzer tells every HPCJob that asked when it comes). */
  AnalysisPending: 30_000,
  /** While cleanup cannot reach the schedd. */
  CleanupBlocked: 15_000,
} as const;

/** A new HPCJob's first status waits at most this long (from QDate) for its job's input to be spooled. */
export const FIRST_STATUS_SPOOL_WAIT_MS = 10_000;
/** A release the tracker does not show after this long is asked for again (a crash or a lost call). */
export const RELEASE_SETTLE_MS = 30_000;
/** Most attempts kept in status (the CRD's maxItems). */
export const MAX_ATTEMPTS_KEPT = 50;
/** Lengths that status fields and Event notes are cut to. */
export const Limit = {
  message: 8192,
  conditionMessage: 32768,
  attemptMessage: 4096,
  holdReason: 2048,
  eventNote: 1000,
} as const;

/** condor_rm / condor_hold reasons the operator gives (seen in HTCondor's RemoveReason / HoldReason). */
export const ActionReason = {
  deadline: 'HPCJob activeDeadlineSeconds exceeded',
  finished: 'HPCJob already finished',
  deleted: 'HPCJob deleted',
  cancelled: 'HPCJob cancelled',
  superseded: 'a newer attempt of the HPCJob exists',
  stranded: "the HPCJob's VirtualCluster is gone: the job can never run",
  attemptEnded: (attempt: number, category: string) => `HPCJob attempt ${attempt} ended: ${category}`,
} as const;
