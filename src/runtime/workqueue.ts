/**
 * A rate-limited, delaying work queue of string keys with client-go's guarantees:
 * - a key waits in the queue at most once (adds while it waits are merged);
 * - a key is never handed to two workers at once; adds while it is processed make it run once more after;
 * - `addAfter` delays, `addRateLimited` backs off per key, `forget` resets the backoff;
 * - `shutDown` wakes every waiting `get` with undefined; in-flight keys finish normally.
 */
import { systemClock, type Clock, type Timer } from './clock.js';
import { defaultControllerRateLimiter, type RateLimiter } from './ratelimiter.js';

/** Hooks for workqueue_* metrics. */
export interface QueueMetrics {
  add(): void;
  depth(n: number): void;
  queueLatency(seconds: number): void;
  workDuration(seconds: number): void;
  retry(): void;
}

export interface WorkQueueOptions {
  /** Default: client-go's DefaultControllerRateLimiter on `clock`. */
  rateLimiter?: RateLimiter<string>;
  metrics?: QueueMetrics;
  /** Delays and the metrics' durations; default systemClock. */
  clock?: Clock;
}

export class WorkQueue {
  readonly name: string;
  readonly #queue: string[] = [];
  readonly #dirty = new Set<string>();
  readonly #processing = new Map<string, number>();
  readonly #addedAt = new Map<string, number>();
  /** Earliest time each delayed key becomes ready, and its timer. */
  readonly #waiting = new Map<string, { at: number; timer: Timer }>();
  readonly #getters: ((key: string | undefined) => void)[] = [];
  readonly #limiter: RateLimiter<string>;
  readonly #metrics: QueueMetrics | undefined;
  readonly #clock: Clock;
  #shuttingDown = false;
  #drained: (() => void) | undefined;

  constructor(name: string, o: WorkQueueOptions = {}) {
    this.name = name;
    this.#clock = o.clock ?? systemClock;
    this.#limiter = o.rateLimiter ?? defaultControllerRateLimiter<string>(this.#clock);
    this.#metrics = o.metrics;
  }

  add(key: string): void {
    if (this.#shuttingDown) return;
    if (this.#dirty.has(key)) return;
    this.#metrics?.add();
    this.#dirty.add(key);
    this.#addedAt.set(key, this.#clock.now());
    // Being processed: it goes back into the queue when done() is called.
    if (this.#processing.has(key)) return;
    this.#push(key);
  }

  /** Adds `key` after `ms`; an earlier pending delay for the same key wins. */
  addAfter(key: string, ms: number): void {
    if (this.#shuttingDown) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const at = this.#clock.now() + ms;
    const current = this.#waiting.get(key);
    if (current && current.at <= at) return;
    current?.timer.cancel();
    const timer = this.#clock.after(ms, () => {
      this.#waiting.delete(key);
      this.add(key);
    });
    this.#waiting.set(key, { at, timer });
  }

  addRateLimited(key: string): void {
    this.#metrics?.retry();
    this.addAfter(key, this.#limiter.when(key));
  }

  forget(key: string): void {
    this.#limiter.forget(key);
  }

  numRequeues(key: string): number {
    return this.#limiter.numRequeues(key);
  }

  /** The next key to work on, or undefined once the queue is shut down. Call done(key) afterwards. */
  get(): Promise<string | undefined> {
    const key = this.#take();
    if (key !== undefined) return Promise.resolve(key);
    if (this.#shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.#getters.push(resolve));
  }

  done(key: string): void {
    const started = this.#processing.get(key);
    if (started === undefined) return;
    this.#processing.delete(key);
    this.#metrics?.workDuration((this.#clock.now() - started) / 1000);
    if (this.#dirty.has(key) && !this.#shuttingDown) this.#push(key);
    else this.#dirty.delete(key);
    if (this.#shuttingDown && this.#processing.size === 0) this.#drained?.();
  }

  len(): number {
    return this.#queue.length;
  }

  get processing(): number {
    return this.#processing.size;
  }

  /** Longest time a key has been processed, in seconds (workqueue_longest_running_processor_seconds). */
  longestRunningSeconds(): number {
    const now = this.#clock.now();
    let longest = 0;
    for (const started of this.#processing.values()) longest = Math.max(longest, (now - started) / 1000);
    return longest;
  }

  /** Stops handing out keys; resolves once the keys being processed are done. */
  shutDown(): Promise<void> {
    this.#shuttingDown = true;
    for (const w of this.#waiting.values()) w.timer.cancel();
    this.#waiting.clear();
    this.#queue.length = 0;
    for (const g of this.#getters.splice(0)) g(undefined);
    if (this.#processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.#drained = resolve;
    });
  }

  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  #push(key: string): void {
    const getter = this.#getters.shift();
    if (getter) {
      this.#start(key);
      getter(key);
      return;
    }
    this.#queue.push(key);
    this.#metrics?.depth(this.#queue.length);
  }

  #take(): string | undefined {
    const key = this.#queue.shift();
    if (key === undefined) return undefined;
    this.#metrics?.depth(this.#queue.length);
    this.#start(key);
    return key;
  }

  #start(key: string): void {
    this.#dirty.delete(key);
    this.#processing.set(key, this.#clock.now());
    const added = this.#addedAt.get(key);
    this.#addedAt.delete(key);
    if (added !== undefined) this.#metrics?.queueLatency((this.#clock.now() - added) / 1000);
  }
}
