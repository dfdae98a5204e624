/**
 * An informer over a ListWatchSource: a paginated list, then a watch that resumes from the last
 * resourceVersion (with bookmarks), a relist on 410 Gone (as an HTTP error or an in-stream ERROR event),
 * restarts with exponential backoff and jitter on errors, a watchdog that restarts a watch gone silent, and a
 * periodic resync that re-delivers every object. It keeps the objects in a cache (with indexes) that
 * reconcilers read; event handlers should only enqueue keys.
 */
import type { Logger } from 'pino';
import { every, systemClock, systemRandom, type Clock, type Random, type Timer } from './clock.js';
import {
  errorMessage,
  isGone,
  type KubeObject,
  type ListWatchSource,
  type WatchEventType,
  type WatchHandle,
  type WatchStatus,
} from './kube-api.js';
import type { Metrics } from './metrics.js';
import { backoffDelay } from './ratelimiter.js';
import { Store, keyOf, objectKey, trimForCache, type IndexFunc } from './store.js';

export { objectKey, splitKey, trimForCache, keyOf, type IndexFunc } from './store.js';

export type InformerEventType = 'add' | 'update' | 'delete' | 'resync';
export type InformerHandler<T> = (type: InformerEventType, obj: T, old?: T) => void;

export interface InformerOptions {
  log: Logger;
  metrics?: Metrics;
  /** Timers, sleeps and the watchdog's sense of silence; default systemClock. */
  clock?: Clock;
  /** Watch timeout spread and restart jitter; default systemRandom. */
  random?: Random;
  /** Re-deliver every cached object this often (ms); 0 disables. Default 10 min. */
  resyncMs?: number;
  /** Server-side watch timeout; each watch lasts this long × [1, 2). Default 300 s (client-go: 5 min). */
  watchTimeoutSeconds?: number;
  /** Restart a watch that has sent nothing (not even a bookmark) for this long (ms). Default 2 watches + 30 s. */
  watchdogMs?: number;
  /** Objects per list page. Default 500. */
  pageSize?: number;
}

/** Restarts after errors: 1 s, 2 s, 4 s ... capped at 30 s, ±20 %. */
const RESTART_BACKOFF = { baseMs: 1000, maxMs: 30_000, spread: 0.2 };
/** The watchdog looks at least this often. */
const WATCHDOG_CHECK_MS = 10_000;

type WatchOutcome = 'closed' | 'expired';

export class Informer<T extends KubeObject> {
  readonly name: string;
  readonly #source: ListWatchSource<T>;
  readonly #log: Logger;
  readonly #metrics: Metrics | undefined;
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #o: Required<Omit<InformerOptions, 'log' | 'metrics' | 'clock' | 'random'>>;
  readonly #cache = new Store<T>();
  readonly #handlers: InformerHandler<T>[] = [];
  #resourceVersion = '';
  #synced = false;
  #stopped = true;
  /** Aborts the restart backoff sleep on stop(). */
  #stopping = new AbortController();
  #watch: WatchHandle | undefined;
  #watchdogFired = false;
  #lastActivity = 0;
  #failures = 0;
  #timers: Timer[] = [];
  readonly #firstSync: { resolve: () => void; promise: Promise<void> };

  constructor(source: ListWatchSource<T>, o: InformerOptions) {
    this.name = source.name;
    this.#source = source;
    this.#log = o.log.child({ informer: source.name });
    this.#metrics = o.metrics;
    this.#clock = o.clock ?? systemClock;
    this.#random = o.random ?? systemRandom;
    const watchTimeoutSeconds = o.watchTimeoutSeconds ?? 300;
    this.#o = {
      resyncMs: o.resyncMs ?? 10 * 60_000,
      watchTimeoutSeconds,
      watchdogMs: o.watchdogMs ?? (watchTimeoutSeconds * 2 + 30) * 1000,
      pageSize: o.pageSize ?? 500,
    };
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    this.#firstSync = { resolve, promise };
  }

  on(handler: InformerHandler<T>): void {
    this.#handlers.push(handler);
  }

  /** Adds an index kept current on every add, update, delete and relist; query it with byIndex. */
  addIndex(name: string, fn: IndexFunc<T>): void {
    this.#cache.addIndex(name, fn);
  }

  /** The cached objects `fn` of index `name` maps to `value`. */
  byIndex(name: string, value: string): T[] {
    return this.#cache.byIndex(name, value);
  }

  /** Starts listing and watching; resolves once the first list is in the cache. */
  start(): Promise<void> {
    if (!this.#stopped) return this.#firstSync.promise;
    this.#stopped = false;
    this.#stopping = new AbortController();
    void this.#listAndWatch();
    if (this.#o.resyncMs > 0) this.#timers.push(every(this.#clock, this.#o.resyncMs, () => this.#resync()));
    const check = Math.min(WATCHDOG_CHECK_MS, this.#o.watchdogMs);
    this.#timers.push(every(this.#clock, check, () => this.#watchdog()));
    return this.#firstSync.promise;
  }

  stop(): void {
    this.#stopped = true;
    this.#timers.forEach((t) => t.cancel());
    this.#timers = [];
    this.#stopping.abort();
    this.#watch?.abort();
  }

  /** True once the first list is in the cache (readyz). */
  get synced(): boolean {
    return this.#synced;
  }

  /** Resolves once the first list is in the cache (never, if the informer is stopped before). */
  waitForSync(): Promise<void> {
    return this.#firstSync.promise;
  }

  get resourceVersion(): string {
    return this.#resourceVersion;
  }

  get(namespace: string, name: string): T | undefined {
    return this.#cache.get(keyOf(namespace, name));
  }

  getByKey(key: string): T | undefined {
    return this.#cache.get(key);
  }

  list(): T[] {
    return this.#cache.list();
  }

  get size(): number {
    return this.#cache.size;
  }

  #emit(type: InformerEventType, obj: T, old?: T): void {
    for (const h of this.#handlers) {
      try {
        h(type, obj, old);
      } catch (e) {
        this.#log.error({ err: errorMessage(e), key: objectKey(obj) }, 'informer handler threw');
      }
    }
  }

  #resync(): void {
    for (const obj of this.#cache.list()) this.#emit('resync', obj);
  }

  async #list(): Promise<void> {
    const seen = new Map<string, T>();
    let cont: string | undefined;
    let rv = '';
    do {
      const page = await this.#source.list({ limit: this.#o.pageSize, continue: cont });
      for (const item of page.items) seen.set(objectKey(item), trimForCache(item));
      cont = page.continue || undefined;
      rv = page.resourceVersion || rv;
    } while (cont);
    if (this.#stopped) return;
    this.#metrics?.informerRelists.inc({ resource: this.name });
    this.#replace(seen);
    this.#resourceVersion = rv;
    this.#lastActivity = this.#clock.now();
    if (!this.#synced) {
      this.#synced = true;
      this.#firstSync.resolve();
    }
    this.#log.debug({ objects: seen.size, resourceVersion: rv }, 'listed');
  }

  /** Replaces the cache with a full list: deletes for what vanished, adds/updates for the rest. */
  #replace(seen: Map<string, T>): void {
    for (const [key, old] of [...this.#cache.entries()]) {
      if (seen.has(key)) continue;
      this.#cache.delete(key);
      this.#emit('delete', old);
    }
    for (const [key, obj] of seen) {
      const old = this.#cache.set(key, obj);
      if (!old) this.#emit('add', obj);
      else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion) this.#emit('update', obj, old);
    }
  }

  async #listAndWatch(): Promise<void> {
    while (!this.#stopped) {
      try {
        if (!this.#resourceVersion) await this.#list();
        if (this.#stopped) return;
        const outcome = await this.#watchOnce();
        if (outcome === 'expired') this.#expired();
        else this.#failures = 0;
      } catch (e) {
        if (this.#stopped) return;
        if (isGone(e)) {
          this.#expired();
          continue;
        }
        this.#failures++;
        const delay = backoffDelay(this.#failures, RESTART_BACKOFF, this.#random);
        this.#metrics?.informerRestarts.inc({ resource: this.name, reason: 'error' });
        this.#log.warn({ err: errorMessage(e), retryInMs: Math.round(delay) }, 'list/watch failed, retrying');
        await this.#clock.sleep(delay, this.#stopping.signal);
      }
    }
  }

  /** The resourceVersion is too old (410 Gone): the next round relists. */
  #expired(): void {
    this.#metrics?.informerRestarts.inc({ resource: this.name, reason: 'expired' });
    this.#log.info({ resourceVersion: this.#resourceVersion }, 'watch expired (410 Gone): relisting');
    this.#resourceVersion = '';
  }

  /** One watch from the current resourceVersion. Resolves how it ended; rejects on errors. */
  #watchOnce(): Promise<WatchOutcome> {
    return new Promise((resolve, reject) => {
      let expired = false;
      let settled = false;
      const timeoutSeconds = Math.floor(this.#o.watchTimeoutSeconds * (1 + this.#random()));
      this.#lastActivity = this.#clock.now();
      const done = (err?: unknown): void => {
        if (settled) return;
        settled = true;
        this.#watch = undefined;
        const watchdog = this.#watchdogFired;
        this.#watchdogFired = false;
        if (expired || isGone(err)) resolve('expired');
        // Our own aborts (stop, watchdog) end the watch with an AbortError: not a failure.
        else if (err && !this.#stopped && !watchdog) reject(err);
        else resolve('closed');
      };
      const onEvent = (type: WatchEventType, obj: T | WatchStatus): void => {
        if (settled) return;
        if (!this.#onWatchEvent(type, obj)) return;
        // 410 in the stream: the server closes the watch, but do not rely on it.
        expired = true;
        this.#watch?.abort();
      };
      this.#source
        .watch({ resourceVersion: this.#resourceVersion, timeoutSeconds }, onEvent, done)
        .then((handle) => {
          if (settled) return handle.abort();
          this.#watch = handle;
          if (this.#stopped || expired) handle.abort();
        })
        .catch(done);
    });
  }

  /** Applies one watch event to the cache. Returns true when it says the resourceVersion expired. */
  #onWatchEvent(type: WatchEventType, event: T | WatchStatus): boolean {
    this.#lastActivity = this.#clock.now();
    this.#metrics?.informerEvents.inc({ resource: this.name, type });
    if (type === 'ERROR') {
      const status = event as WatchStatus;
      if (status.code === 410) return true;
      this.#log.warn({ status: status.message, code: status.code }, 'watch error event');
      return false;
    }
    const obj = event as T;
    this.#resourceVersion = obj.metadata.resourceVersion || this.#resourceVersion;
    if (type === 'ADDED' || type === 'MODIFIED') {
      const old = this.#cache.set(objectKey(obj), trimForCache(obj));
      this.#failures = 0;
      this.#emit(old ? 'update' : 'add', obj, old);
    } else if (type === 'DELETED') {
      this.#cache.delete(objectKey(obj));
      this.#emit('delete', obj);
    }
    return false;
  }

  #watchdog(): void {
    if (!this.#watch || this.#stopped) return;
    const silentForMs = this.#clock.now() - this.#lastActivity;
    if (silentForMs <= this.#o.watchdogMs) return;
    this.#metrics?.informerRestarts.inc({ resource: this.name, reason: 'watchdog' });
    this.#log.warn({ silentForMs }, 'watch silent for too long: restarting it');
    this.#watchdogFired = true;
    this.#watch.abort();
  }
}
