/**
 * Whether a completed index's output is here (pure). Its sandbox (hpc-<index>.stdout and .stderr) is fetched
 * with condor_transfer_data into the set's directory before the index's outcome is recorded and its job
 * acknowledged, as for an HPCJob's attempt: whoever sees an index end can read its output
 * (`kubectl hpc logs hpcjobset/NAME --index N`). The index counts as running meanwhile. A fetch that cannot
 * succeed, or keeps failing for --output-fetch-timeout-seconds, is given up: the outcome is recorded
 * without the output (the fetcher logs each failure), so one bad sandbox never holds the set.
 */
import type { TrackedJob } from '../../condor/backend.js';
import type { SetDraft } from './draft.js';
import { SetRequeue } from './reasons.js';

export function outputHere(d: SetDraft, job: TrackedJob): boolean {
  const f = d.obs.fetches.get(job.jobId);
  if (!f) {
    d.effect({ kind: 'fetchOutput', job });
    d.requeue(SetRequeue.Fetching);
    return false;
  }
  if (f.state === 'done' || f.state === 'failed') return true;
  if (f.failures > 0 && d.now - f.since >= d.settings.outputFetchTimeoutMs) return true;
  d.requeue(SetRequeue.Fetching);
  return false;
}
