/**
 * What really happened to HTCondor jobs, whatever the operator believes: every job ever committed on any
 * schedd (live references, so their current state is visible), indexed by (HPCJobUID, HPCJobAttempt) — for
 * an HPCJobSet's jobs (HPCJobUID, HPCJobSetIndex, HPCJobAttempt): each index has attempts of its own — and
 * which of them a spool wipe destroyed before the operator could have recorded them.
 */
import { Tag } from '../../../src/condor/tags.js';
import { JobStatus, jobAttempt, jobIndex, jobUid, status, type SimJob } from '../condor/job.js';
import type { ScheddModel } from '../condor/schedd-model.js';

/** An attempt of an HPCJob (uid#attempt), or of one index of an HPCJobSet (uid[index]#attempt). */
export const attemptKey = (uid: string, attempt: number, index?: number): string =>
  index === undefined ? `${uid}#${attempt}` : `${uid}[${index}]#${attempt}`;

/** The attempt a job belongs to. */
export const attemptOf = (job: SimJob): string | undefined => {
  const uid = jobUid(job);
  const attempt = jobAttempt(job);
  return uid === undefined || attempt === undefined ? undefined : attemptKey(uid, attempt, jobIndex(job));
};

export function isLive(job: SimJob): boolean {
  const s = status(job);
  return s !== JobStatus.Completed && s !== JobStatus.Removed;
}

export function succeeded(job: SimJob): boolean {
  return status(job) === JobStatus.Completed && job.ad.ExitCode === 0 && job.ad.ExitBySignal !== true;
}

export class Ledger {
  readonly jobs: SimJob[] = [];
  readonly byAttempt = new Map<string, SimJob[]>();
  readonly byUid = new Map<string, SimJob[]>();
  /** Jobs a spool wipe destroyed (in the queue, or in the history before they were acknowledged). */
  readonly wiped = new Set<SimJob>();
  /** When each job was committed. */
  readonly committedAt = new Map<SimJob, number>();

  constructor(readonly schedds: ReadonlyMap<string, ScheddModel>) {}

  record(job: SimJob, now: number): void {
    this.jobs.push(job);
    this.committedAt.set(job, now);
    const uid = jobUid(job);
    const attempt = attemptOf(job);
    if (uid === undefined) return;
    push(this.byUid, uid, job);
    if (attempt !== undefined) push(this.byAttempt, attempt, job);
  }

  wipedOut(lost: readonly SimJob[], history: readonly SimJob[]): void {
    for (const j of lost) this.wiped.add(j);
    for (const j of history) if (j.ad[Tag.Ack] !== true) this.wiped.add(j);
  }

  /** Jobs of `uid` still in some schedd's queue. */
  queued(uid: string): SimJob[] {
    return (this.byUid.get(uid) ?? []).filter((j) => this.schedds.get(j.schedd)?.queue.get(j.id) === j);
  }

  /** Whether `job` is in its schedd's queue or (not yet rotated away) history right now. */
  findable(job: SimJob): 'queue' | 'history' | undefined {
    const s = this.schedds.get(job.schedd);
    if (!s) return undefined;
    if (s.queue.get(job.id) === job) return 'queue';
    return s.history.includes(job) ? 'history' : undefined;
  }
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}
