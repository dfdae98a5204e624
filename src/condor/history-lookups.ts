/**
 * Attempts the queue does not show, looked up in condor_history before anyone calls them lost. A job can
 * leave the queue while the operator is away (a restart, a failover, an outage): its end is in the history,
 * and declaring it Lost would run a step that succeeded once more. An attempt is absent only after several
 * history answers spread over `absentAfterMs` missed it and a full read of the queue, started after the
 * looking began, did not show it either: one empty answer (history being rotated or written late) is not
 * enough.
 */
import { attemptKey, toTracked, type TrackedJob } from './queue-snapshot.js';
import type { JobAd } from './parse.js';

/** History answers that must miss an attempt before it is absent. */
export const MIN_HISTORY_MISSES = 3;
/** A found history entry nobody asked about for this long is dropped (the reconcile recorded the end). */
const HISTORY_KEEP_MS = 600_000;
/** A lookup nobody asked about for this long is dropped (its HPCJob moved on or is gone). */
const LOOKUP_IDLE_MS = 600_000;

interface Lookup {
  uid: string;
  attempt: number;
  /** When the looking began: only a queue read started after it counts. */
  since: number;
  misses: number;
  firstMissAt?: number;
  lastAskedAt: number;
  /** Concluded absent: no more history queries for it (kept a while so that the verdict stays the same). */
  absent?: boolean;
}

export type Verdict = 'pending' | 'absent';

export class HistoryLookups {
  readonly #found = new Map<string, { job: TrackedJob; at: number }>();
  readonly #pending = new Map<string, Lookup>();

  constructor(readonly absentAfterMs: number) {}

  /** The attempt's job from the history, if a lookup found it (asking keeps the entry). */
  found(uid: string, attempt: number, now: number): TrackedJob | undefined {
    const f = this.#found.get(attemptKey(uid, attempt));
    if (f) f.at = now;
    return f?.job;
  }

  /**
   * Asks for the attempt (if not asked already) and says where the looking stands. `lastFullReadStart` is
   * when the last successful whole-queue read began.
   */
  ask(uid: string, attempt: number, now: number, lastFullReadStart: number): Verdict {
    const k = attemptKey(uid, attempt);
    let l = this.#pending.get(k);
    if (!l) this.#pending.set(k, (l = { uid, attempt, since: now, misses: 0, lastAskedAt: now }));
    l.lastAskedAt = now;
    const longEnough = l.firstMissAt !== undefined && now - l.firstMissAt >= this.absentAfterMs;
    if (l.absent || (l.misses >= MIN_HISTORY_MISSES && longEnough && lastFullReadStart >= l.since)) {
      l.absent = true;
      return 'absent';
    }
    return 'pending';
  }

  /** HPCJob uids to look up in this poll's condor_history. */
  uids(): string[] {
    return [...new Set([...this.#pending.values()].filter((l) => !l.absent).map((l) => l.uid))];
  }

  /** Lookups still asking the history. */
  get pending(): number {
    let n = 0;
    for (const l of this.#pending.values()) if (!l.absent) n++;
    return n;
  }

  /** Records a history answer for `uids`; returns the refs of HPCJobs whose attempts were found. */
  record(uids: readonly string[], ads: readonly JobAd[], now: number): string[] {
    const refs: string[] = [];
    const seen = new Set<string>();
    for (const ad of ads) {
      const job = toTracked(ad, 'history');
      if (!job) continue;
      const k = attemptKey(job.uid, job.attempt);
      // Newest first: the first answer for an attempt is its last job. Only what was asked for is kept.
      if (seen.has(k) || !this.#pending.has(k)) continue;
      seen.add(k);
      this.#found.set(k, { job, at: now });
      this.#pending.delete(k);
      refs.push(job.ref);
    }
    const asked = new Set(uids);
    for (const l of this.#pending.values()) {
      if (!asked.has(l.uid)) continue;
      l.misses++;
      l.firstMissAt ??= now;
    }
    return refs;
  }

  /** Drops what nobody needs any more. */
  prune(now: number): void {
    for (const [k, f] of this.#found) if (now - f.at > HISTORY_KEEP_MS) this.#found.delete(k);
    for (const [k, l] of this.#pending) if (now - l.lastAskedAt > LOOKUP_IDLE_MS) this.#pending.delete(k);
  }

  /** The attempt's job is in the queue after all: no history lookup for it. */
  seenInQueue(uid: string, attempt: number): void {
    this.#pending.delete(attemptKey(uid, attempt));
  }

  /** The job's end is recorded: its history entry is not needed any more. */
  recorded(jobId: string): void {
    for (const [k, f] of this.#found) if (f.job.jobId === jobId) this.#found.delete(k);
  }

  /** Forgets everything about one HPCJob (it is gone). */
  forget(uid: string): void {
    for (const [k, f] of this.#found) if (f.job.uid === uid) this.#found.delete(k);
    for (const [k, l] of this.#pending) if (l.uid === uid) this.#pending.delete(k);
  }

  memory(): Record<string, number> {
    return { historyFound: this.#found.size, historyPending: this.#pending.size };
  }
}
