/**
 * Whether a finished attempt's output is here (pure). Its sandbox (stdout, stderr and, with condor-transfer
 * staging, the results) is fetched with condor_transfer_data; the attempt's end is recorded, and its job
 * acknowledged, only once that is done, so whoever sees the HPCJob end can read its logs and results.
 * A fetch that keeps failing is tried again with backoff and shown in the OutputsFetched condition; after
 * `outputFetchTimeout` of failures the attempt is recorded without it and says so (for condor-transfer a
 * success without its results is a failed stage-out).
 */
import type { TrackedJob } from '../../condor/backend.js';
import { HPCJobConditions as C, type Attempt } from '../../crds/hpcjob.js';
import { STDERR_FILE, STDOUT_FILE } from './description.js';
import type { Draft } from './draft.js';
import { EventReason, Reason, Requeue } from './reasons.js';

export type OutputVerdict =
  | { state: 'waiting' }
  | { state: 'ready' }
  /** The logs could not be had; the attempt is recorded without them. */
  | { state: 'logsLost'; why: string }
  /** The condor-transfer results could not be had. */
  | { state: 'resultsLost'; why: string };

function transfersResults(d: Draft): boolean {
  return d.job.spec.workspace?.staging === 'condor-transfer';
}

function lost(d: Draft, why: string): OutputVerdict {
  return transfersResults(d) ? { state: 'resultsLost', why } : { state: 'logsLost', why };
}

/** Where the attempt's logs are once fetched (with a workspace the wrapper also puts them there). */
function recordLogPaths(d: Draft, attempt: number): void {
  const ws = d.job.spec.workspace?.path;
  const name = d.job.metadata.name;
  d.status.logs = ws
    ? { stdout: `${ws}/.hpc/${name}/${attempt}/stdout`, stderr: `${ws}/.hpc/${name}/${attempt}/stderr` }
    : { stdout: `${d.obs.logsDir}/${STDOUT_FILE}`, stderr: `${d.obs.logsDir}/${STDERR_FILE}` };
}

export function awaitOutput(d: Draft, current: Attempt, job: TrackedJob): OutputVerdict {
  if (job.source === 'history') return lost(d, 'its output sandbox was gone (the job had left the queue)');
  const fetch = d.obs.scheduler?.fetches.get(job.jobId);
  if (!fetch) {
    d.effect({ kind: 'fetchOutput', job });
    d.requeue(Requeue.Fetching);
    return { state: 'waiting' };
  }
  if (fetch.state === 'done') {
    if (transfersResults(d)) d.beforeWrite.push({ kind: 'mergeResults', attempt: current.attempt });
    recordLogPaths(d, current.attempt);
    d.condIfPresent({ type: C.OutputsFetched, status: 'True', reason: Reason.Fetched, message: '' });
    return { state: 'ready' };
  }
  if (fetch.state === 'failed') return lost(d, `its output could not be fetched: ${fetch.error}`);
  if (fetch.failures > 0) {
    const message = `fetching the output of ${job.jobId} failed ${fetch.failures} time(s): ${fetch.lastError ?? ''}`;
    if (d.cond({ type: C.OutputsFetched, status: 'False', reason: Reason.FetchFailed, message }))
      d.event('Warning', EventReason.FetchFailed, 'Fetch', `${message}; trying again`);
  }
  const timeout = d.settings.outputFetchTimeoutMs;
  if (fetch.failures > 0 && d.now - fetch.since >= timeout) {
    const why = `its output could not be fetched in ${Math.round(timeout / 1000)} s (${fetch.lastError ?? 'no answer'})`;
    return lost(d, why);
  }
  d.requeue(Requeue.Fetching);
  return { state: 'waiting' };
}
