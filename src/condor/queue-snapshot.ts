/**
 * The last known state of one schedd's queue for this operator: job ads by id, indexed by HPCJob uid and by
 * (uid, attempt). An ad is indexed under the identity it had when first seen (ClusterId.ProcId and QDate):
 * a job that rewrites its own HPCJobUID, HPCJobAttempt or HPCJobRef (through chirp, where the schedd does
 * not protect them) is set aside as tampered, never found under its new identity. A job id seen again with
 * another QDate is another job (ids are reused after a spool wipe) and is indexed afresh.
 *
 * Memory (bench/tracker-memory.ts, one HPCJobSet of 100,000 indices): a job's first-seen identity is the job
 * the snapshot holds for its id, not a record of its own (only a tampered job, which leaves the snapshot,
 * keeps its first-seen job aside); and the HPCJobUID / HPCJobRef strings every job of an HPCJob or set
 * repeats are one string each, not one per job and read.
 */
import { adBool, adNumber, adString, type JobAd } from './parse.js';
import { Tag } from './tags.js';

export interface TrackedJob {
  jobId: string;
  uid: string;
  attempt: number;
  /** namespace/name of the HPCJob. */
  ref: string;
  ad: JobAd;
  /** Where the ad comes from: the live queue, or the history of jobs that left it. */
  source: 'queue' | 'history';
  /** HPCAck is set: the job's end is recorded and it may leave the queue. */
  acked: boolean;
}

export const attemptKey = (uid: string, attempt: number): string => `${uid}#${attempt}`;

/** The same job under one id: the same HPCJob and attempt (an id reused after a spool wipe is not). */
function sameJob(a: TrackedJob | undefined, b: TrackedJob): boolean {
  return a?.uid === b.uid && a.attempt === b.attempt;
}

/** A job ad in the operator's terms; undefined when it lacks the operator's tags. */
export function toTracked(ad: JobAd, source: TrackedJob['source']): TrackedJob | undefined {
  const c = adNumber(ad, 'ClusterId');
  const p = adNumber(ad, 'ProcId');
  const uid = adString(ad, Tag.JobUID);
  const attempt = adNumber(ad, Tag.Attempt);
  const ref = adString(ad, Tag.Ref);
  if (c === undefined || p === undefined || !uid || attempt === undefined || !ref) return undefined;
  return { jobId: `${c}.${p}`, uid, attempt, ref, ad, source, acked: adBool(ad, Tag.Ack) === true };
}

/** Equal ads; values are JSON scalars but for the odd list or nested ad, compared as JSON. */
export function sameAd(a: JobAd, b: JobAd): boolean {
  for (const k in a) {
    const x = a[k];
    const y = b[k];
    if (x === y) continue;
    if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) return false;
    if (JSON.stringify(x) !== JSON.stringify(y)) return false;
  }
  for (const k in b) if (!(k in a)) return false;
  return true;
}

export class QueueSnapshot {
  #jobs = new Map<string, TrackedJob>();
  #byUid = new Map<string, Set<string>>();
  #byAttempt = new Map<string, Set<string>>();
  /**
   * Tampered jobs as first seen, by job id (their identity; every other job's is the one in #jobs). Kept
   * while the tampered job is in the queue.
   */
  readonly #firstSeen = new Map<string, TrackedJob>();
  /** One copy of each HPCJobUID and HPCJobRef in the snapshot (rebuilt with the indexes). */
  #names = new Map<string, string>();
  /** Jobs whose identity attributes changed after they were first seen, by job id. */
  readonly #tampered = new Map<string, TrackedJob>();

  get size(): number {
    return this.#jobs.size;
  }

  get(jobId: string): TrackedJob | undefined {
    return this.#jobs.get(jobId);
  }

  values(): IterableIterator<TrackedJob> {
    return this.#jobs.values();
  }

  /** The jobs of one attempt (normally one; two only if something submitted it twice). */
  ofAttempt(uid: string, attempt: number): TrackedJob[] {
    return this.#pick(this.#byAttempt.get(attemptKey(uid, attempt))).filter(
      (j) => j.uid === uid && j.attempt === attempt,
    );
  }

  ofUid(uid: string): TrackedJob[] {
    return this.#pick(this.#byUid.get(uid)).filter((j) => j.uid === uid);
  }

  /** Jobs set aside because their identity changed (to be removed, never reported as anyone's). */
  tampered(): TrackedJob[] {
    return [...this.#tampered.values()];
  }

  /**
   * Checks an ad against the identity its job had when first seen. Returns the job to index, or undefined
   * when it was tampered with (then it is set aside) or lacks the operator's tags.
   */
  admit(ad: JobAd): { job: TrackedJob; tampered: false } | { job: TrackedJob; tampered: true } | undefined {
    const job = toTracked(ad, 'queue');
    if (!job) return undefined;
    const known = this.#firstSeen.get(job.jobId) ?? this.#jobs.get(job.jobId);
    this.#share(job, known);
    const qdate = adNumber(ad, 'QDate');
    // Only a job that has run can have rewritten its own attributes (chirp works from inside a running
    // job); the same id and QDate on a job that never started is a new job (ids are reused after a wipe).
    const started = (adNumber(ad, 'NumJobStarts') ?? 0) > 0 || adNumber(ad, 'JobStartDate') !== undefined;
    if (known && adNumber(known.ad, 'QDate') === qdate && started) {
      if (known.uid !== job.uid || known.attempt !== job.attempt || known.ref !== job.ref) {
        this.#firstSeen.set(job.jobId, known);
        this.#tampered.set(job.jobId, job);
        return { job, tampered: true };
      }
    } else {
      // Another job under this id (or a first sighting): its identity is its own from now on.
      this.#firstSeen.delete(job.jobId);
    }
    return { job, tampered: false };
  }

  /** Makes a job (and its ad) use the snapshot's copies of its id, uid and ref strings. */
  #share(job: TrackedJob, known: TrackedJob | undefined): void {
    if (known) job.jobId = known.jobId;
    const uid = this.#name(job.uid);
    const ref = this.#name(job.ref);
    job.uid = uid;
    job.ref = ref;
    job.ad[Tag.JobUID] = uid;
    job.ad[Tag.Ref] = ref;
  }

  #name(s: string): string {
    const shared = this.#names.get(s);
    if (shared !== undefined) return shared;
    this.#names.set(s, s);
    return s;
  }

  /** Replaces the whole snapshot (a full read); returns the jobs that left it. */
  replace(next: Map<string, TrackedJob>): TrackedJob[] {
    // A job whose id now belongs to another job (a reused id: another HPCJob's, or another attempt of the
    // same HPCJob) has left as well.
    const left = [...this.#jobs.values()].filter((j) => !sameJob(next.get(j.jobId), j));
    this.#jobs = next;
    for (const id of [...this.#firstSeen.keys()]) if (!this.#tampered.has(id)) this.#firstSeen.delete(id);
    this.#reindex();
    return left;
  }

  /**
   * Adds or updates one job (a delta read never removes: only a full read can tell a job left). Returns the
   * job it displaced when the id now belongs to another job (ids are reused after a spool wipe): that one
   * has left.
   */
  upsert(job: TrackedJob): TrackedJob | undefined {
    const old = this.#jobs.get(job.jobId);
    this.#jobs.set(job.jobId, job);
    if (old && !sameJob(job, old)) {
      this.#reindex();
      return old;
    }
    if (!old) {
      add(this.#byUid, job.uid, job.jobId);
      add(this.#byAttempt, attemptKey(job.uid, job.attempt), job.jobId);
    }
    return undefined;
  }

  /** Forgets a tampered job once it is gone from the queue. */
  dropTampered(present: ReadonlySet<string>): void {
    for (const id of [...this.#tampered.keys()]) {
      if (present.has(id)) continue;
      this.#tampered.delete(id);
      this.#firstSeen.delete(id);
    }
  }

  /** Entries held, for the memory check (every one belongs to a job still in the queue). */
  memory(): Record<string, number> {
    return { queue: this.#jobs.size, identities: this.#firstSeen.size, tampered: this.#tampered.size };
  }

  #pick(ids: Set<string> | undefined): TrackedJob[] {
    if (!ids) return [];
    const out: TrackedJob[] = [];
    for (const id of ids) {
      const j = this.#jobs.get(id);
      if (j) out.push(j);
    }
    return out;
  }

  #reindex(): void {
    this.#byUid = new Map();
    this.#byAttempt = new Map();
    // Names no job in the snapshot uses any more go (a tampered job's were never shared beyond it).
    this.#names = new Map();
    for (const j of this.#jobs.values()) {
      add(this.#byUid, j.uid, j.jobId);
      add(this.#byAttempt, attemptKey(j.uid, j.attempt), j.jobId);
      this.#names.set(j.uid, j.uid);
      this.#names.set(j.ref, j.ref);
    }
  }
}

function add(index: Map<string, Set<string>>, key: string, id: string): void {
  let ids = index.get(key);
  if (!ids) index.set(key, (ids = new Set()));
  ids.add(id);
}
