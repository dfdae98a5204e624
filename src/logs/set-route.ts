/**
 * The logs of one HPCJobSet index (GET .../hpcjobsets/NAME?index=I), once the caller may get
 * hpcjobsets/log (route.ts): an index that ended is its fetched file in the set's directory; one that has
 * not is looked up in the queue by the set's uid and its index (one condor_q of that index's jobs), and its
 * current attempt's job is then served live exactly as an HPCJob's (live.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { attemptLogDir } from '../controllers/hpcjob/description.js';
import { SET_FILES_ATTEMPT } from '../controllers/hpcjobset/index-files.js';
import { filesJob } from '../controllers/hpcjobset/set-jobs.js';
import { errorMessage } from '../runtime/kube-api.js';
import { scheddKey } from './condor.js';
import { BUSY_RETRY_SECONDS, type LogsDeps } from './deps.js';
import { serveLive } from './live.js';
import type { LogQuery } from './request.js';
import { refuse, sendFile } from './response.js';
import { indexAttemptState, liveIndexPlan, planSetLogs } from './set-plan.js';

interface Ctx {
  d: LogsDeps;
  req: IncomingMessage;
  res: ServerResponse;
  q: LogQuery;
  log: Logger;
}

export async function serveSetIndex({ d, req, res, q, log }: Ctx): Promise<void> {
  const set = d.set(q.namespace, q.name);
  if (!set) return refuse(res, 404, `hpcjobsets.hpc.scailfin.io "${q.name}" not found`);
  const index = q.index as number;
  const dir = attemptLogDir(d.logDir, filesJob(set), SET_FILES_ATTEMPT);
  const plan = planSetLogs(set, { index, stream: q.stream }, dir);
  if (plan.kind === 'refuse') return refuse(res, plan.status, plan.message);
  if (plan.kind === 'file') return sendFile(res, plan.path, `index ${index}`, q, plan.missing);
  const target = d.setTarget(set);
  if (!target) return refuse(res, 409, `hpcjobset ${q.name} has no schedd yet`, BUSY_RETRY_SECONDS);
  let jobs;
  try {
    jobs = await d.condor.inLane(target, () => d.condor.indexJobs(target, set.metadata.uid as string, index));
  } catch (e) {
    const why = `schedd ${scheddKey(target)} did not answer about index ${index}: ${errorMessage(e)}`;
    return refuse(res, 503, why, BUSY_RETRY_SECONDS);
  }
  const live = liveIndexPlan(set, { index, stream: q.stream, ...plan }, jobs, target);
  if (live.kind === 'refuse') return refuse(res, live.status, live.message, live.retryAfterSeconds);
  const { uid } = live.ref;
  const short = `index ${index} (attempt ${live.attempt}) of hpcjobset ${q.name}`;
  const subject = {
    short,
    full: short,
    gone: `hpcjobsets.hpc.scailfin.io "${q.name}" is gone`,
    state: () => indexAttemptState(d.set(q.namespace, q.name), uid, index, live.attempt),
  };
  return serveLive({ d, req, res, q, plan: live, log: log.child({ index }), subject });
}
