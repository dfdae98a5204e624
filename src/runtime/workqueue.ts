/**
 * A rate-limited, delaying work queue of string keys with client-go's guarantees:
 * - a key waits in the queue at most once (adds while it waits are merged);
 * - a key is never handed to two workers at once; adds while it is processed make it run once more after;
 * - `addAfter` delays, `addRateLimited` backs off per key, `forget` resets the backoff;
 * - `shutDown` wakes every waiting `get` with undefined; in-flight keys finish normally.
 *
 * Keys wait in two lanes, as in controller-runtime's priority queue: a `high` add (something changed: a
 * watch event, a schedd's change notice) is handed out before any `low` one (a look again on a timer, the
 * safety net behind a notice that comes anyway). A key waits in one lane only, the higher it was added with.
 * Without this, thousands of timer requeues queued ahead of a change delay it by minutes (the 20,000-HPCJob
 * bench: 215,000 of 236,000 reconciles were timer requeues, and a change waited 120 s on average).
 */
import { systemClock, type Clock, type Timer } from './clock.js';
import { KeyFifo } from './key-fifo.js';
import { defaultControllerRateLimiter, type RateLimiter } from './ratelimiter.js';

/** Hooks for workqueue_* metrics. */
export interface QueueMetrics {
  add(): void;
  /** Keys waiting in one lane (workqueue_depth{priority}, as controller-runtime's priority queue labels it). */
  depth(n: number, priority: Priority): void;
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

/** How soon a key should run: `high` for a change, `low` for a timer's look again. */
export type Priority = 'high' | 'low';

export class WorkQueue {
  readonly name: string;
  /** Waiting keys by lane, in the order they came. */
  readonly #lanes: Record<Priority, KeyFifo> = { high: new KeyFifo(), low: new KeyFifo() };
  /** Keys to run (waiting, or to run again once processed), with the lane they go to. */
  readonly #dirty = new Map<string, Priority>();
  readonly #processing = new Map<string, number>();
  readonly #addedAt = new Map<string, number>();
  /** Earliest time each delayed key becomes ready, and its timer. */
  readonly #waiting = new Map<string, { at: number; timer: Timer; priority: Priority }>();
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

  add(key: string, priority: Priority = 'high'): void {
    if (this.#shuttingDown) return;
    const was = this.#dirty.get(key);
    if (was !== undefined) {
      if (was === 'low' && priority === 'high') this.#promote(key);
      return;
    }
    this.#metrics?.add();
    this.#dirty.set(key, priority);
    this.#addedAt.set(key, this.#clock.now());
    // Being processed: it goes back into the queue when done() is called.
    if (this.#processing.has(key)) return;
    this.#push(key, priority);
  }

  /** Adds `key` after `ms`; an earlier pending delay for the same key wins (at the higher priority). */
  addAfter(key: string, ms: number, priority: Priority = 'high'): void {
    if (this.#shuttingDown) return;
    if (ms <= 0) {
      this.add(key, priority);
      return;
    }
    const at = this.#clock.now() + ms;
    const current = this.#waiting.get(key);
    if (current && current.at <= at) {
      if (priority === 'high') current.priority = 'high';
      return;
    }
    current?.timer.cancel();
    const timer = this.#clock.after(ms, () => {
      // The entry in the map is this timer's: a high add while it waited raised its priority there.
      const fired = this.#waiting.get(key)?.priority ?? priority;
      this.#waiting.delete(key);
      this.add(key, fired);
    });
    this.#waiting.set(key, { at, timer, priority: current?.priority === 'high' ? 'high' : priority });
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
    const again = this.#dirty.get(key);
    if (again !== undefined && !this.#shuttingDown) this.#push(key, again);
    else this.#dirty.delete(key);
    if (this.#shuttingDown && this.#processing.size === 0) this.#drained?.();
  }

  len(): number {
    return this.#lanes.high.size + this.#lanes.low.size;
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
    this.#lanes.high.clear();
    this.#lanes.low.clear();
    for (const g of this.#getters.splice(0)) g(undefined);
    if (this.#processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.#drained = resolve;
    });
  }

  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  #push(key: string, priority: Priority): void {
    const getter = this.#getters.shift();
    if (getter) {
      this.#start(key);
      getter(key);
      return;
    }
    this.#lanes[priority].push(key);
    this.#metrics?.depth(this.#lanes[priority].size, priority);
  }

  /** A key waiting at low priority was added at high: it moves to the end of the high lane. */
  #promote(key: string): void {
    this.#dirty.set(key, 'high');
    if (!this.#lanes.low.delete(key)) return;
    this.#lanes.high.push(key);
    this.#metrics?.depth(this.#lanes.low.size, 'low');
    this.#metrics?.depth(this.#lanes.high.size, 'high');
  }

  #take(): string | undefined {
    const priority: Priority = this.#lanes.high.size > 0 ? 'high' : 'low';
    const key = this.#lanes[priority].shift();
    if (key === undefined) return undefined;
    this.#metrics?.depth(this.#lanes[priority].size, priority);
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
