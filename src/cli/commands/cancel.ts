/** `kubectl hpc cancel`: stop an unfinished HPCJob and keep it, through the annotation (see request.ts). */
import { HPCJobAnnotations } from '../../crds/hpcjob.js';
import { isFinal } from '../jobs.js';
import { requestCommand, type RequestKind } from './request.js';

const CANCEL: RequestKind = {
  verb: 'cancel',
  annotation: HPCJobAnnotations.Cancel,
  refuse: (job) =>
    isFinal(job.status?.phase)
      ? `hpcjob ${job.metadata.name} already finished (${job.status?.phase}): there is nothing to cancel`
      : undefined,
  verdict: (job, token) =>
    job.status?.cancelToken === token && isFinal(job.status.phase) ? 'met' : 'waiting',
};

export const cancel = requestCommand(
  CANCEL,
  'Stop an unfinished HPCJob: its HTCondor job is removed and it ends Failed (reason Cancelled).',
  `The HPCJob stays, with its history; \`kubectl hpc retry\` can run it again later.

Examples:
  kubectl hpc cancel fit --wait`,
);
