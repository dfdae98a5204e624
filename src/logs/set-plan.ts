/**
 * What a logs request for an HPCJobSet's index gets (pure), from the set's status: the index's fetched file
 * once it ended (the set's directory keeps each index's last ended attempt), a look in the queue for its
 * current attempt's job while it has not, or a refusal that names the index and the set's indices.
 */
import type { JobRef, ScheddTarget } from '../condor/schedd-api.js';
import { totalOf } from '../controllers/hpcjobset/index-env.js';
import { indexOutputPath } from '../controllers/hpcjobset/index-files.js';
import {
  hasEnded,
  indexWhere,
  indicesText,
  noSuchIndex,
  rangesInclude,
} from '../controllers/hpcjobset/index-state.js';
import type { HPCJobSet } from '../crds/hpcjobset.js';
import type { IndexJob } from './condor.js';
import { NOT_YET_RETRY_SECONDS, type AttemptState, type LogPlan } from './plan.js';

export interface SetLogQuery {
  index: number;
  stream: 'stdout' | 'stderr';
}

export type SetLogPlan =
  /** The fetched file; `missing` is the answer when it is not there. */
  | { kind: 'file'; path: string; missing: string }
  /** Look for the job of `attempt` of the index in the queue. */
  | { kind: 'find'; attempt: number; path: string }
  | { kind: 'refuse'; status: 404; message: string };

export function planSetLogs(set: HPCJobSet, q: SetLogQuery, dir: string): SetLogPlan {
  const name = set.metadata.name;
  const total = totalOf(set);
  if (q.index >= total)
    return {
      kind: 'refuse',
      status: 404,
      message: noSuchIndex(name, q.index, total),
    };
  const where = indexWhere(set.status, q.index);
  const path = indexOutputPath(dir, q.index, q.stream);
  const of = `index ${q.index} of hpcjobset ${name} (${indicesText(total)})`;
  if (!hasEnded(where)) return { kind: 'find', attempt: where.failedAttempts + 1, path };
  const state = where.states[0];
  const missing =
    state === 'cancelled'
      ? `${of} was cancelled: it has no ${q.stream} (the output of a cancelled index's job is not fetched)`
      : `${of} ${state} but has no ${q.stream} in this operator's log directory: its output could not be ` +
        'fetched (the operator logged why), or another replica fetched it';
  return { kind: 'file', path, missing };
}

/**
 * The live plan for the index's job of `attempt` in the queue (not yet acknowledged), or the refusal when
 * it has none: not submitted yet (pending), or between its end and the status that records it.
 */
export function liveIndexPlan(
  set: HPCJobSet,
  q: SetLogQuery & { attempt: number; path: string },
  jobs: readonly IndexJob[],
  target: ScheddTarget,
): Extract<LogPlan, { kind: 'live' | 'refuse' }> {
  const job = jobs.find((j) => j.attempt === q.attempt && !j.acked);
  const uid = set.metadata.uid as string;
  if (job) {
    const ref: JobRef = { jobId: job.jobId, uid };
    return { kind: 'live', attempt: q.attempt, ref, target, path: q.path };
  }
  const total = totalOf(set);
  const where = indexWhere(set.status, q.index).states.join(' or ');
  return {
    kind: 'refuse',
    status: 409,
    message:
      `index ${q.index} of hpcjobset ${set.metadata.name} (${indicesText(total)}) has no job in HTCondor ` +
      `for attempt ${q.attempt} (it is ${where}): it has no ${q.stream} yet; ask again once it runs`,
    retryAfterSeconds: NOT_YET_RETRY_SECONDS,
  };
}

/** Where the index's attempt is, as the set (from the operator's cache) shows it: the live waits poll this. */
export function indexAttemptState(
  set: HPCJobSet | undefined,
  uid: string,
  index: number,
  attempt: number,
): AttemptState {
  if (!set || set.metadata.uid !== uid) return 'gone';
  const s = set.status;
  if (['succeeded', 'failed', 'cancelled'].some((k) => rangesInclude(s?.[k as 'failed'], index)))
    return 'ended';
  const failed = s?.indexRecords?.find((r) => r.index === index)?.failedAttempts ?? 0;
  return failed >= attempt ? 'ended' : 'running';
}
