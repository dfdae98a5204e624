/**
 * Where every index of an HPCJobSet stands, from what status recorded (the indices that ended, the attempt
 * records of those that failed) and what the queue shows (the job of each index's current attempt). Pure.
 *
 * A job's outcome is recorded once its index ended (succeeded, failed, cancelled) or its record counts its
 * attempt as failed: such a job is `stale` (removed if alive, acknowledged once it ended). A job the operator
 * acknowledged says nothing new. The job of attempt failedAttempts + 1 is the index's `live` job.
 */
import { adNumber } from '../../condor/parse.js';
import type { TrackedJob } from '../../condor/queue-snapshot.js';
import { Tag } from '../../condor/tags.js';
import type { HPCJobSetStatus, IndexRecord } from '../../crds/hpcjobset.js';
import { ownRanges } from './ranges.js';

/** How an index ended, as kept in `ended` (0: it has not). */
export const Ended = { No: 0, Succeeded: 1, Failed: 2, Cancelled: 3 } as const;
export type EndedCode = (typeof Ended)[keyof typeof Ended];

export interface IndexView {
  total: number;
  ended: Uint8Array;
  records: Map<number, IndexRecord>;
  live: Map<number, TrackedJob>;
  stale: TrackedJob[];
}

export function endedFrom(status: HPCJobSetStatus | undefined, total: number): Uint8Array {
  const ended = new Uint8Array(total);
  for (const i of ownRanges(status?.succeeded, total)) ended[i] = Ended.Succeeded;
  for (const i of ownRanges(status?.failed, total)) ended[i] = Ended.Failed;
  for (const i of ownRanges(status?.cancelled, total)) ended[i] = Ended.Cancelled;
  return ended;
}

/** The index a job of the set runs (undefined: not a set job, or out of range). */
export function indexOf(job: TrackedJob, total: number): number | undefined {
  const i = adNumber(job.ad, Tag.SetIndex);
  return i !== undefined && Number.isInteger(i) && i >= 0 && i < total ? i : undefined;
}

export function buildView(
  status: HPCJobSetStatus | undefined,
  total: number,
  jobs: readonly TrackedJob[],
): IndexView {
  const ended = endedFrom(status, total);
  const records = new Map((status?.indexRecords ?? []).map((r) => [r.index, { ...r }]));
  const live = new Map<number, TrackedJob>();
  const stale: TrackedJob[] = [];
  for (const job of jobs) {
    // Acknowledged: its outcome is in status and it is on its way out of the queue.
    if (job.acked) continue;
    const i = indexOf(job, total);
    const failed = i === undefined ? 0 : (records.get(i)?.failedAttempts ?? 0);
    if (i === undefined || ended[i] !== Ended.No || job.attempt <= failed) {
      stale.push(job);
      continue;
    }
    // Two jobs of one attempt cannot be made (one submission per attempt); keep the newest if they were.
    const seen = live.get(i);
    if (seen && seen.attempt > job.attempt) stale.push(job);
    else {
      if (seen) stale.push(seen);
      live.set(i, job);
    }
  }
  return { total, ended, records, live, stale };
}
