/**
 * The followers of one operator replica: at most one per (schedd, job, stream), shared by its clients, and at
 * most `maxPerSchedd` children per schedd at once (--max-log-followers-per-schedd). A schedd's bound counts a
 * child until it is gone, including one being killed, because that is what the schedd sees.
 */
import { Follower, type TailProcess } from './follower.js';

/** What a follower follows. The job is its id and its HPCJob's UID together, never its id alone. */
export interface FollowKey {
  /** The schedd (and pool) its condor_tail asks: the unit of the bound. */
  schedd: string;
  jobId: string;
  uid: string;
  stream: 'stdout' | 'stderr';
}

export type Acquired =
  { follower: Follower; created: boolean } | { busy: { schedd: string; followers: number; max: number } };

export interface PoolOptions {
  maxPerSchedd: number;
  headBytes: number;
  killAfterMs?: number;
}

export function followKey(k: FollowKey): string {
  return JSON.stringify([k.schedd, k.jobId, k.uid, k.stream]);
}

export class FollowerPool {
  readonly #o: PoolOptions;
  /** Followers new clients may join. */
  readonly #open = new Map<string, Follower>();
  /** Children not yet gone, per schedd. */
  readonly #live = new Map<string, Set<Follower>>();

  constructor(o: PoolOptions) {
    this.#o = o;
  }

  /** The follower of `key`: the running one, or a new one when the schedd has room. */
  acquire(key: FollowKey, start: () => TailProcess): Acquired {
    const k = followKey(key);
    const open = this.#open.get(k);
    if (open) return { follower: open, created: false };
    const live = this.#live.get(key.schedd) ?? new Set<Follower>();
    if (live.size >= this.#o.maxPerSchedd)
      return { busy: { schedd: key.schedd, followers: live.size, max: this.#o.maxPerSchedd } };
    const follower = new Follower(k, {
      start,
      headBytes: this.#o.headBytes,
      killAfterMs: this.#o.killAfterMs,
      onStopped: (f) => {
        if (this.#open.get(f.key) === f) this.#open.delete(f.key);
      },
      onClosed: (f) => {
        live.delete(f);
        if (live.size === 0 && this.#live.get(key.schedd) === live) this.#live.delete(key.schedd);
      },
    });
    this.#open.set(k, follower);
    live.add(follower);
    this.#live.set(key.schedd, live);
    follower.start();
    return { follower, created: true };
  }

  /** Children running against `schedd` (for tests, metrics and the 429 message). */
  count(schedd: string): number {
    return this.#live.get(schedd)?.size ?? 0;
  }

  /** Stops every follower (the operator is shutting down). */
  stopAll(): void {
    for (const live of [...this.#live.values()]) for (const f of [...live]) f.stop();
  }
}
