/**
 * The files of an HPCJob's attempts on the operator's side, behind one interface: preparing what travels
 * with a job (its log directory, a chirp ticket copied from a Secret, the workspace for condor-transfer),
 * merging condor-transfer results back into the workspace, the tail of a fetched stderr, and removing
 * everything once the HPCJob is gone. The real implementation works on the operator's log directory (a volume
 * in its pod); the deterministic simulation keeps the same in memory. condor_transfer_data writes the
 * fetched sandbox into the attempt's directory (the job's initialdir), which is how the two meet.
 */
import type { HPCJob } from '../../crds/hpcjob.js';

/** What travels with an attempt. */
export interface StagingPlan {
  /** Local files shipped into the job's scratch directory. */
  inputFiles: string[];
  /** condor-transfer: the directory name the workspace arrives under in scratch. */
  transferDir?: string;
}

/** Why an attempt cannot be submitted (yet): transient problems are retried, others fail the HPCJob. */
export interface StagingProblem {
  reason: string;
  message: string;
  transient: boolean;
}

export interface AttemptFiles {
  /** The directory of attempt `attempt` (the job's initialdir: its stdout/stderr come back there). */
  dir(job: HPCJob, attempt: number): string;
  /** Prepares attempt `attempt`: makes its directory and what must travel with it. */
  prepare(job: HPCJob, attempt: number): Promise<StagingPlan | StagingProblem>;
  /** The attempt is in the queue with its files spooled: copies of secrets can go. */
  submitted(job: HPCJob, attempt: number): void;
  /**
   * condor-transfer: copies the results fetched with the attempt's sandbox into the workspace. Idempotent;
   * false when there is nothing to merge (another staging mode, or nothing fetched).
   */
  mergeResults(job: HPCJob, attempt: number): boolean;
  /** The last lines of the attempt's fetched stderr ('' when there is none). */
  stderrTail(job: HPCJob, attempt: number): string;
  /** Removes every file of the HPCJob (its finalizer). */
  removeAll(job: HPCJob): void;
}
