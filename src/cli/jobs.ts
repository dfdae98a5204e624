/** Reading an HPCJob's status the way the commands need it: attempts, one-line summaries, log paths. */
import { FINAL_PHASES, type Attempt, type HPCJob, type Phase } from '../crds/hpcjob.js';
import { CliError } from './kube.js';

export function isFinal(phase: string | undefined): boolean {
  return phase !== undefined && FINAL_PHASES.includes(phase as Phase);
}

export function attemptOf(job: HPCJob, n: number | undefined): Attempt | undefined {
  return n === undefined ? undefined : job.status?.attempts?.find((a) => a.attempt === n);
}

/**
 * The phase of an HPCJob without status: not seen by the operator yet, or (on the default pool) submitted and
 * not in the queue yet, since its first status waits for that (docs/design.md, API writes per step).
 */
export const NO_STATUS_PHASE = 'Pending (no status yet)';

/** "Running, attempt 2, job 1234.0 on slot1@host" — what a person waiting wants to see. */
export function jobSummary(job: HPCJob): string {
  const s = job.status ?? {};
  const parts = [s.phase ?? NO_STATUS_PHASE];
  if (s.attempt) parts.push(`attempt ${s.attempt}`);
  const a = attemptOf(job, s.attempt);
  if (s.jobId) parts.push(`job ${s.jobId}${a?.host && s.phase === 'Running' ? ` on ${a.host}` : ''}`);
  if (s.phase === 'Held' && a?.holdCode !== undefined) parts.push(`hold code ${a.holdCode}`);
  if (s.nextRetryTime && !isFinal(s.phase)) parts.push(`next try ${s.nextRetryTime}`);
  return parts.join(', ');
}

/** How an attempt ended, for tables: the exit code, or the signal. */
export function exitOf(a: Attempt): string {
  if (a.signal !== undefined && a.signal !== 0) return `signal ${a.signal}`;
  return a.exitCode !== undefined ? String(a.exitCode) : '';
}

export type Stream = 'stdout' | 'stderr';

/**
 * Where the operator put one attempt's stdout or stderr. status.logs names the files of the last attempt
 * whose logs came back, `<dir>/<attempt>/<file>` (the operator's log directory, or the workspace's .hpc
 * directory); other attempts sit next to it under their own number.
 */
export function logPath(job: HPCJob, stream: Stream, attempt?: number): { attempt: number; path: string } {
  const s = job.status ?? {};
  const name = job.metadata.name;
  const last = s.attempt ?? 0;
  if (last === 0) throw new CliError(`hpcjob ${name} has not run yet: it has no logs`);
  const n = attempt ?? last;
  if (n < 1 || n > last) {
    throw new CliError(
      `hpcjob ${name} has no attempt ${n} (it has ${last === 1 ? 'attempt 1' : `attempts 1-${last}`})`,
    );
  }
  if (attemptOf(job, n)?.outcome === 'Running') {
    throw new CliError(
      `attempt ${n} of hpcjob ${name} is still running: HTCondor returns its ${stream} when it ends` +
        (n > 1 ? ` (earlier attempts: --attempt ${n - 1})` : ''),
    );
  }
  const known = s.logs?.[stream];
  if (!known) {
    throw new CliError(
      `hpcjob ${name} has no ${stream} recorded (status.logs is empty): logs come back when an attempt ends ` +
        'by itself; a cancelled or removed job has none',
    );
  }
  const m = /^(.*)\/([0-9]+)\/([^/]+)$/.exec(known);
  if (m) return { attempt: n, path: `${m[1]}/${n}/${m[3]}` };
  if (n === last) return { attempt: n, path: known };
  throw new CliError(`cannot tell where attempt ${n}'s ${stream} is from status.logs.${stream} = ${known}`);
}
