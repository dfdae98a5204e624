/**
 * What the operator needs of HTCondor, as narrow interfaces named for what each call does: a schedd (submit,
 * query, history, remove/hold/release, acknowledge, fetch output) and a collector (the slots of a
 * VirtualCluster's pilots). Selectors are structured, never constraint text: the real implementations
 * (condor/schedd.ts, condor/collector.ts over the condor_* tools) render them into ClassAd constraints, and
 * the deterministic simulation's in-memory schedds (test/sim) evaluate them directly.
 *
 * Failures are CondorErrors (condor/errors.ts) in both: `unavailable` and `timeout` mean "try again, keep
 * state"; `rejected` means the input itself was refused.
 */
import type { MatchAnalysis } from './match-analysis.js';
import type { JobAd } from './parse.js';
import type { SubmitJob, SubmitTable } from './submit-description.js';

/** Where a schedd is: its name in the collector and the collector (pool); both empty: the local default. */
export interface ScheddTarget {
  /** Schedd name as advertised in the collector (e.g. schedd@ap.example.org); empty for the local default. */
  name?: string;
  /** Collector host[:port]; empty for the configured COLLECTOR_HOST. */
  pool?: string;
}

/** The label of a schedd in metrics, logs and HPCJob status: its name, or `local` for the default. */
export function scheddLabel(target: ScheddTarget): string {
  return target.name || 'local';
}

/**
 * One job: its id and the HPCJob it belongs to. A job is never addressed by its id alone: ids are reused
 * when a schedd's spool is wiped, and an action meant for one job must not reach another.
 */
export interface JobRef {
  /** `ClusterId.ProcId`. */
  jobId: string;
  /** HPCJobUID. */
  uid: string;
}

/**
 * Which jobs a call is about. Always only this operator instance's jobs (HPCOperator); then, when `jobs`
 * or `uids` is given, only those that are one of the jobs (id and HPCJobUID both) or belong to one of the
 * uids (either matches; given but both empty matches nothing); and, when given, only those whose status
 * changed recently.
 */
export interface JobSelector {
  operator: string;
  /** Jobs by id and HPCJob. */
  jobs?: readonly JobRef[];
  /** Every job of these HPCJobs (HPCJobUID), any attempt. */
  uids?: readonly string[];
  /** Only jobs whose JobStatus changed within this many seconds (EnteredCurrentStatus, the schedd's clock). */
  changedWithinSeconds?: number;
  /** Only the jobs of this HPCJobSet index (HPCJobSetIndex), e.g. with the set's uid in `uids`. */
  setIndex?: number;
}

/**
 * `forcex` is condor_rm -forcex: a job already removed (JobStatus 3, X) leaves the queue at once, without its
 * shadow ending (nothing is cleaned up on the execute side). It never applies to a job in any other state.
 */
/** discard: HPCAck, then condor_rm (a job acknowledged before its removal leaves the queue at once). */
export type JobAction = 'remove' | 'hold' | 'release' | 'forcex' | 'discard';

/** Why a call is made, for the condor command metrics (what drives the load). */
export type CallPurpose = 'track' | 'adopt' | 'submit' | 'action' | 'logs' | 'probe' | 'pilots' | 'analyze';

export interface ScheddApi {
  /** Label for metrics and logs (scheddLabel of its target). */
  readonly label: string;
  /**
   * Submits `jobs` as one cluster (one proc each, in order) with their files spooled. Returns the job ids.
   * A timeout does not mean nothing was committed: the caller looks for the jobs before submitting again.
   */
  submit(jobs: readonly SubmitJob[]): Promise<string[]>;
  /** Submits the procs of `table` as one cluster, like submit (an HPCJobSet's indices: no job object each). */
  submitTable(table: SubmitTable): Promise<string[]>;
  /**
   * The queue's jobs that match, projected to `attributes` (ClusterId and ProcId always). With `onAd`, an
   * implementation may hand each ad to it as soon as it is read instead of returning it (the condor_q
   * client does: a whole queue's ads are then never all held at once); the caller takes both.
   */
  query(
    sel: JobSelector,
    attributes: readonly string[],
    purpose: CallPurpose,
    onAd?: (ad: JobAd) => void,
  ): Promise<JobAd[]>;
  /** Jobs that left the queue, newest first, at most `limit`. */
  history(sel: JobSelector, attributes: readonly string[], o: { limit?: number }): Promise<JobAd[]>;
  /**
   * Removes, holds or releases the matching jobs, or forces removed ones out of the queue (forcex: only jobs
   * in X match); false when none matched or all were in that state already.
   */
  act(action: JobAction, sel: JobSelector, reason?: string): Promise<boolean>;
  /** Sets HPCAck = true on the matching jobs (their end is recorded; they may leave the queue). */
  acknowledge(sel: JobSelector): Promise<boolean>;
  /** Fetches the output sandboxes of matching finished, spooled jobs into their submit directories. */
  transferData(sel: JobSelector): Promise<void>;
  /** A cheap round trip (readiness). */
  ping(): Promise<void>;
  /** HTCondor's match analysis of the first matching job: why it does not run; undefined when none matched. */
  analyze(sel: JobSelector): Promise<MatchAnalysis | undefined>;
}

export interface CollectorApi {
  /** host[:port] of the collector, or `local`. */
  readonly label: string;
  /** Slot ads that advertise VirtualCluster == `virtualCluster` (namespace/name), projected to `attributes`. */
  pilotSlots(virtualCluster: string, attributes: readonly string[]): Promise<JobAd[]>;
}

/** Makes the clients for a target; one per target is enough (they hold no connection). */
export interface CondorConnector {
  schedd(target: ScheddTarget): ScheddApi;
  collector(pool: string | undefined): CollectorApi;
}
