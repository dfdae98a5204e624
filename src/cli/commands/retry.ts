/** `kubectl hpc retry`: one more attempt of a finished HPCJob, through the annotation (see request.ts). */
import { HPCJobAnnotations } from '../../crds/hpcjob.js';
import { isFinal } from '../jobs.js';
import { requestCommand, type RequestKind } from './request.js';

const RETRY: RequestKind = {
  verb: 'retry',
  annotation: HPCJobAnnotations.Retry,
  refuse: (job) =>
    isFinal(job.status?.phase)
      ? undefined
      : `hpcjob ${job.metadata.name} is ${job.status?.phase ?? 'not started yet'}: retry starts a new attempt of a ` +
        'finished HPCJob (Succeeded, Failed or Lost). To stop this one first: kubectl hpc cancel ' +
        job.metadata.name,
  verdict(job, token, before) {
    const s = job.status ?? {};
    if (s.retryToken !== token || !isFinal(s.phase)) return 'waiting';
    // Final again after our token was taken: a new attempt ran (or could not even be submitted).
    const moved =
      (s.attempt ?? 0) > (before.status?.attempt ?? 0) || s.completionTime !== before.status?.completionTime;
    if (!moved) return 'waiting';
    return s.phase === 'Succeeded' ? 'met' : 'unmet';
  },
};

export const retry = requestCommand(
  RETRY,
  'Start a new attempt of a finished HPCJob (annotation hpc.scailfin.io/retry).',
  `Only for HPCJobs that are Succeeded, Failed or Lost; the attempt history is kept. With --wait it waits
for the new attempt to end and exits 0 if it succeeded, 1 if not.

Examples:
  kubectl hpc retry fit
  kubectl hpc retry fit --wait --timeout 30m`,
);
