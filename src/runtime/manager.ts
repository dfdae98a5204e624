/**
 * A manager of runnables, in controller-runtime's shape (pkg/manager): shared informers, a list of runnables
 * (controllers, pollers, servers) each marked leader-only or not, optional leader election, and hooks.
 *
 * start(): runnables that do not need the Lease, then the informers (a standby keeps warm caches), wait for
 * them to sync, acquire leadership, then the leader-only runnables in the order they were added.
 * stop(): the reverse, in an order that keeps a graceful handover safe: leader-only runnables stop first (a
 * controller finishes its in-flight reconciles), then the beforeRelease hooks run in order (the HTCondor
 * submissions are drained there: the Lease must not be released while a condor_submit may still commit),
 * then the Lease is released, then the informers and the other runnables stop, then the stop hooks run.
 */
import type { Logger } from 'pino';
import type { Clock, Random } from './clock.js';
import { Informer, type InformerOptions } from './informer.js';
import { errorMessage, type KubeObject, type ListWatchSource } from './kube-api.js';
import type { Metrics } from './metrics.js';

export interface Runnable {
  readonly name: string;
  start(): void | Promise<void>;
  stop(): Promise<void>;
}

/** What the manager needs of a leader elector (LeaderElector has it). */
export interface Elector {
  /** Resolves once leading (true), or false when released before. */
  acquire(onLost: () => void): Promise<boolean>;
  release(): Promise<void>;
}

export type Hook = () => void | Promise<void>;

export interface ManagerOptions {
  log: Logger;
  metrics?: Metrics;
  /** Given to the informers the manager makes; default systemClock. */
  clock?: Clock;
  /** Given to the informers the manager makes; default systemRandom. */
  random?: Random;
  /** Options of the informers the manager makes (resync, watch timeout...). */
  informers?: Omit<InformerOptions, 'log' | 'metrics' | 'clock' | 'random'>;
  /** Without one, this process leads at once (single replica, tests). */
  leaderElection?: {
    elector: Elector;
    /**
     * Runs when leadership is lost after it was won. Leader-only runnables must not act any more: most
     * callers exit the process at once (controller-runtime's default), a test may call stop().
     */
    onLost: () => void;
  };
}

/** The part of an informer the manager starts and stops, whatever its object type. */
interface InformerLifecycle {
  readonly synced: boolean;
  start(): Promise<void>;
  stop(): void;
}

interface Entry {
  runnable: Runnable;
  leaderOnly: boolean;
  started: boolean;
}

export class Manager {
  readonly #o: ManagerOptions;
  readonly #log: Logger;
  readonly #informers = new Map<string, InformerLifecycle>();
  readonly #runnables: Entry[] = [];
  readonly #beforeRelease: { name: string; hook: Hook }[] = [];
  readonly #onStop: { name: string; hook: Hook }[] = [];
  #leading = false;
  #stopping: Promise<void> | undefined;
  #stopRequested!: () => void;
  readonly #stopSignal = new Promise<void>((r) => (this.#stopRequested = r));

  constructor(o: ManagerOptions) {
    this.#o = o;
    this.#log = o.log.child({ component: 'manager' });
  }

  /** The shared informer of `source` (one per source name): made on first use, started by start(). */
  informer<T extends KubeObject>(source: ListWatchSource<T>): Informer<T> {
    // Made below from a source of this name, so of this source's object type.
    const existing = this.#informers.get(source.name) as Informer<T> | undefined;
    if (existing) return existing;
    const inf = new Informer<T>(source, {
      ...this.#o.informers,
      log: this.#o.log,
      metrics: this.#o.metrics,
      clock: this.#o.clock,
      random: this.#o.random,
    });
    this.#informers.set(source.name, inf);
    return inf;
  }

  /** Adds a runnable; leader-only (the default) ones start once this process leads. */
  add(runnable: Runnable, o: { leaderOnly?: boolean } = {}): void {
    this.#runnables.push({ runnable, leaderOnly: o.leaderOnly ?? true, started: false });
  }

  /** Runs on stop() after the leader-only runnables stopped and before the Lease is released, in order. */
  beforeRelease(name: string, hook: Hook): void {
    this.#beforeRelease.push({ name, hook });
  }

  /** Runs at the very end of stop(), in order (close connection pools, servers...). */
  onStop(name: string, hook: Hook): void {
    this.#onStop.push({ name, hook });
  }

  /** True once every informer has listed (readyz). */
  get synced(): boolean {
    return [...this.#informers.values()].every((i) => i.synced);
  }

  /** True while the leader-only runnables run. */
  get leading(): boolean {
    return this.#leading;
  }

  /**
   * Starts everything; resolves once the leader-only runnables have started (as a standby: once it leads),
   * or early when stop() is called first.
   */
  async start(): Promise<void> {
    await this.#startAll(this.#runnables.filter((e) => !e.leaderOnly));
    const synced = Promise.all([...this.#informers.values()].map((i) => i.start()));
    if (!(await this.#unlessStopped(synced))) return;
    this.#log.info({ informers: [...this.#informers.keys()] }, 'caches synced');
    const le = this.#o.leaderElection;
    if (le) {
      const led = await this.#unlessStopped(le.elector.acquire(() => this.#lost(le.onLost)));
      if (!led || this.#stopping) return;
    }
    this.#leading = true;
    await this.#startAll(this.#runnables.filter((e) => e.leaderOnly));
  }

  /** Stops everything in the order the file comment gives. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stopAll();
    return this.#stopping;
  }

  async #stopAll(): Promise<void> {
    this.#stopRequested();
    this.#log.info('stopping: leader-only runnables first');
    await this.#stopEach(this.#runnables.filter((e) => e.leaderOnly).reverse());
    this.#leading = false;
    await this.#runHooks('beforeRelease', this.#beforeRelease);
    await this.#o.leaderElection?.elector.release();
    for (const inf of this.#informers.values()) inf.stop();
    await this.#stopEach(this.#runnables.filter((e) => !e.leaderOnly).reverse());
    await this.#runHooks('onStop', this.#onStop);
    this.#log.info('stopped');
  }

  #lost(onLost: () => void): void {
    this.#leading = false;
    onLost();
  }

  /** Resolves `p`'s value, or undefined as soon as stop() is called. */
  async #unlessStopped<T>(p: Promise<T>): Promise<T | undefined> {
    return Promise.race([p, this.#stopSignal.then(() => undefined)]);
  }

  async #startAll(entries: Entry[]): Promise<void> {
    for (const e of entries) {
      if (this.#stopping) return;
      await e.runnable.start();
      e.started = true;
      this.#log.debug({ runnable: e.runnable.name }, 'started');
    }
  }

  /** Stops each started runnable in the order given; one that fails to stop does not keep the rest running. */
  async #stopEach(entries: Entry[]): Promise<void> {
    for (const e of entries) {
      if (!e.started) continue;
      try {
        await e.runnable.stop();
      } catch (err) {
        this.#log.error({ runnable: e.runnable.name, err: errorMessage(err) }, 'runnable failed to stop');
      }
      e.started = false;
    }
  }

  async #runHooks(kind: string, hooks: { name: string; hook: Hook }[]): Promise<void> {
    for (const { name, hook } of hooks) {
      try {
        await hook();
      } catch (err) {
        this.#log.error({ hook: name, kind, err: errorMessage(err) }, 'stop hook failed');
      }
    }
  }
}
