/**
 * Which Events reach the API server, the way client-go does it (tools/events for series, tools/record's
 * spam filter), so that a condition that repeats, or an object that keeps changing, costs a bounded number of
 * writes:
 *
 * - **Series.** An Event isomorphic to one recorded in the last SERIES_FINISH_MS (same object, type, reason,
 *   action and note) is not created again: the first one becomes a series (`series.count`,
 *   `series.lastObservedTime`). The second occurrence is patched at once; later ones are only counted, and
 *   the count is written when the series ends (none for SERIES_FINISH_MS) or every SERIES_REFRESH_MS while
 *   it goes on (client-go: 6 and 30 minutes).
 * - **Spam filter.** A token bucket per object (25 at once, then one per 5 minutes, client-go's values)
 *   drops an object's Events beyond that, whatever they say; counting into a series is free.
 *
 * Both caches are bounded (least recently used out), as client-go's LRU caches are. Pure bookkeeping on a
 * clock: the recorder (events.ts) does the writes and calls back with their outcome.
 */

/** A series ends after this long without an occurrence (client-go's finishTime). */
export const SERIES_FINISH_MS = 6 * 60_000;
/** A series that goes on has its count written at least this often (client-go's refreshTime). */
export const SERIES_REFRESH_MS = 30 * 60_000;
/** Spam filter: Events an object may have at once, and how often one more is allowed (client-go's). */
export const SPAM_BURST = 25;
export const SPAM_REFILL_MS = 5 * 60_000;
/** Entries per cache (client-go's maxLruCacheEntries). */
export const MAX_ENTRIES = 4096;

/** The series count of one Event as written to its `series` field. */
export interface SeriesWrite {
  namespace: string;
  name: string;
  count: number;
  /** ms since the epoch. */
  lastObserved: number;
}

/** What to do with an Event that just happened. */
export type Verdict =
  | { write: 'create' }
  | { write: 'series'; series: SeriesWrite }
  /** Counted into a series; its count is written later (see due()). */
  | { write: 'counted' }
  /** Over the object's budget: not written. */
  | { write: 'filtered' };

interface Series {
  namespace: string;
  name: string;
  count: number;
  /** The count the API server has (1 once created; 0 while the create is on its way). */
  written: number;
  lastObserved: number;
  lastWritten: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** A Map used as an LRU cache: get() refreshes an entry, set() evicts the oldest beyond `max`. */
class Lru<V> {
  readonly #m = new Map<string, V>();
  constructor(readonly max: number) {}

  get(k: string): V | undefined {
    const v = this.#m.get(k);
    if (v !== undefined) {
      this.#m.delete(k);
      this.#m.set(k, v);
    }
    return v;
  }

  set(k: string, v: V): void {
    this.#m.delete(k);
    this.#m.set(k, v);
    if (this.#m.size > this.max) this.#m.delete(this.#m.keys().next().value as string);
  }

  delete(k: string): void {
    this.#m.delete(k);
  }

  entries(): [string, V][] {
    return [...this.#m.entries()];
  }

  get size(): number {
    return this.#m.size;
  }
}

export interface CorrelatorOptions {
  maxEntries?: number;
}

export class EventCorrelator {
  readonly #series: Lru<Series>;
  readonly #buckets: Lru<Bucket>;

  constructor(o: CorrelatorOptions = {}) {
    this.#series = new Lru(o.maxEntries ?? MAX_ENTRIES);
    this.#buckets = new Lru(o.maxEntries ?? MAX_ENTRIES);
  }

  /**
   * An Event about `object` happened at `now`; `key` says what it is (isomorphic Events share it), `name` and
   * `namespace` are what it would be created as.
   */
  observe(object: string, key: string, e: { namespace: string; name: string }, now: number): Verdict {
    const s = this.#series.get(key);
    if (s && now - s.lastObserved < SERIES_FINISH_MS) {
      s.count++;
      s.lastObserved = now;
      // The second occurrence shows at once that it repeats; the rest are written together later.
      if (s.written !== 1 || s.count !== 2) return { write: 'counted' };
      if (!this.#take(object, now)) return { write: 'counted' };
      s.written = s.count;
      s.lastWritten = now;
      return { write: 'series', series: seriesOf(s) };
    }
    if (!this.#take(object, now)) return { write: 'filtered' };
    this.#series.set(key, { ...e, count: 1, written: 0, lastObserved: now, lastWritten: now });
    return { write: 'create' };
  }

  /** The create of `key`'s Event succeeded (its count is then 1), or failed (forgotten: the next creates). */
  created(key: string, ok: boolean): void {
    const s = this.#series.get(key);
    if (!s) return;
    if (ok) s.written = 1;
    else this.#series.delete(key);
  }

  /** A series write failed (the Event expired, say): forgotten, so the next occurrence creates a new one. */
  seriesFailed(key: string): void {
    this.#series.delete(key);
  }

  /**
   * Series counts to write now (ended with occurrences not written yet, or going on with a count not written
   * for SERIES_REFRESH_MS), marked written; entries of ended series are dropped.
   */
  due(now: number): { key: string; series: SeriesWrite }[] {
    const out: { key: string; series: SeriesWrite }[] = [];
    for (const [key, s] of this.#series.entries()) {
      const ended = now - s.lastObserved >= SERIES_FINISH_MS;
      const pending = s.written > 0 && s.count > s.written;
      if (pending && (ended || now - s.lastWritten >= SERIES_REFRESH_MS)) {
        s.written = s.count;
        s.lastWritten = now;
        out.push({ key, series: seriesOf(s) });
      }
      // A create still on its way keeps its entry: its outcome decides.
      if (ended && s.written > 0) this.#series.delete(key);
    }
    return out;
  }

  /** Entries kept (series being watched for repeats). */
  get size(): number {
    return this.#series.size;
  }

  #take(object: string, now: number): boolean {
    const b = this.#buckets.get(object) ?? { tokens: SPAM_BURST, at: now };
    b.tokens = Math.min(SPAM_BURST, b.tokens + (now - b.at) / SPAM_REFILL_MS);
    b.at = now;
    const ok = b.tokens >= 1;
    if (ok) b.tokens -= 1;
    this.#buckets.set(object, b);
    return ok;
  }
}

function seriesOf(s: Series): SeriesWrite {
  return { namespace: s.namespace, name: s.name, count: s.count, lastObserved: s.lastObserved };
}
