/**
 * What a logs request gets (pure): the fetched file of an attempt that has ended (what `kubectl hpc logs`
 * prints), the live log of the running one through condor_tail, or a refusal that says why. A running
 * attempt is addressed by its JobRef (job id and HPCJob UID) and the schedd recorded in status.
 */
import { join } from 'node:path';
import type { JobRef, ScheddTarget } from '../condor/schedd-api.js';
import { STDERR_FILE, STDOUT_FILE, attemptLogDir } from '../controllers/hpcjob/description.js';
import type { HPCJob } from '../crds/hpcjob.js';
import type { LogQuery } from './request.js';

export type LogPlan =
  | { kind: 'file'; attempt: number; path: string }
  | { kind: 'live'; attempt: number; ref: JobRef; target: ScheddTarget; path: string }
  | { kind: 'refuse'; status: 404 | 409; message: string; retryAfterSeconds?: number };

/** How long a client should wait before asking again about an attempt that is not there yet (s). */
export const NOT_YET_RETRY_SECONDS = 5;

/** How long a client should wait before asking again for a running gang step's log (s). */
export const GANG_RETRY_SECONDS = 30;

/** The attempt's stdout or stderr as the operator fetches it into its log directory. */
export function fetchedPath(
  logDir: string,
  job: HPCJob,
  attempt: number,
  stream: LogQuery['stream'],
): string {
  return join(attemptLogDir(logDir, job, attempt), stream === 'stderr' ? STDERR_FILE : STDOUT_FILE);
}

export function planLogs(
  job: HPCJob,
  q: LogQuery,
  o: { logDir: string; target: ScheddTarget | undefined },
): LogPlan {
  const s = job.status ?? {};
  const name = job.metadata.name;
  const last = s.attempt ?? 0;
  if (last === 0)
    return {
      kind: 'refuse',
      status: 409,
      message: `hpcjob ${name} has not been submitted yet (phase ${s.phase ?? 'Pending'}): it has no logs`,
      retryAfterSeconds: NOT_YET_RETRY_SECONDS,
    };
  const n = q.attempt ?? last;
  if (n > last)
    return {
      kind: 'refuse',
      status: 404,
      message: `hpcjob ${name} has no attempt ${n} (it has ${last === 1 ? 'attempt 1' : `attempts 1-${last}`})`,
    };
  const path = fetchedPath(o.logDir, job, n, q.stream);
  const a = s.attempts?.find((x) => x.attempt === n);
  // An attempt no longer listed (status keeps the last 50) has long ended.
  if (!a || a.outcome !== 'Running') return { kind: 'file', attempt: n, path };
  // HTCondor 23.9's condor_tail cannot follow a parallel-universe job: it asks for <cluster>.<proc>.<node>, then
  // refuses that form as an invalid job id. So a gang step's log is served once the attempt has ended.
  if ((job.spec.resources?.nodes ?? 1) > 1)
    return {
      kind: 'refuse',
      status: 409,
      message: `attempt ${n} of hpcjob ${name} is a gang step of ${job.spec.resources?.nodes} nodes: its output cannot be followed live (HTCondor's condor_tail does not follow parallel-universe jobs); it is here once the attempt ends`,
      retryAfterSeconds: GANG_RETRY_SECONDS,
    };
  const uid = job.metadata.uid;
  if (!a.jobId || !uid || !o.target)
    return {
      kind: 'refuse',
      status: 409,
      message: `attempt ${n} of hpcjob ${name} is being submitted: it has no HTCondor job yet`,
      retryAfterSeconds: NOT_YET_RETRY_SECONDS,
    };
  return { kind: 'live', attempt: n, ref: { jobId: a.jobId, uid }, target: o.target, path };
}

export type AttemptState = 'running' | 'ended' | 'gone';

/** Where an attempt is, as seen in the HPCJob (pure): the waits of the live route poll this. */
export function attemptState(job: HPCJob | undefined, uid: string, attempt: number): AttemptState {
  if (!job || job.metadata.uid !== uid) return 'gone';
  const a = job.status?.attempts?.find((x) => x.attempt === attempt);
  if (!a) return (job.status?.attempt ?? 0) > attempt ? 'ended' : 'gone';
  return a.outcome === 'Running' ? 'running' : 'ended';
}
