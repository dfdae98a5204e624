/**
 * The reconcile loop: N workers take keys from a work queue and call a level-triggered reconciler, with
 * controller-runtime's result handling (pkg/internal/controller/controller.go reconcileHandler):
 * an error requeues with per-key backoff, `requeueAfter` requeues after a delay (at low priority, behind
 * changes) and resets the backoff, success resets the backoff. A TerminalError is counted and not retried.
 */
import type { Logger } from 'pino';
import { systemClock, type Clock } from './clock.js';
import { errorMessage, isConflict } from './kube-api.js';
import type { Metrics } from './metrics.js';
import { WorkQueue } from './workqueue.js';

export interface Result {
  /** Reconcile this key again after this many ms (0 or undefined: only when something changes). */
  requeueAfterMs?: number;
}

/** Reconcile again after `ms` (controller-runtime's Result{RequeueAfter}); resets the key's backoff. */
export function requeueAfter(ms: number): Result {
  return { requeueAfterMs: ms };
}

/** What a reconcile gets besides its key. */
export interface ReconcileContext {
  /** The controller's logger with the key bound. */
  log: Logger;
  /** Aborts when the controller stops: long waits should give up, the key is retried by the next leader. */
  signal: AbortSignal;
}

export type Reconciler = (key: string, ctx: ReconcileContext) => Promise<Result | void>;

/** An error that retrying cannot fix; logged and counted, the key is not requeued. */
export class TerminalError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TerminalError';
  }
}

/** A TerminalError, or an error caused (at any depth) by one: controller-runtime's errors.Is. */
export function isTerminal(e: unknown): boolean {
  for (let x = e, depth = 0; x instanceof Error && depth < 10; x = x.cause, depth++)
    if (x instanceof TerminalError) return true;
  return false;
}

export interface ControllerOptions {
  name: string;
  reconcile: Reconciler;
  workers: number;
  log: Logger;
  metrics: Metrics;
  /** Default: a WorkQueue named after the controller, on `clock`, with client-go's default rate limiter. */
  queue?: WorkQueue;
  /** Default systemClock. */
  clock?: Clock;
}

export class Controller {
  readonly name: string;
  readonly queue: WorkQueue;
  readonly #reconcile: Reconciler;
  readonly #workers: number;
  readonly #log: Logger;
  readonly #metrics: Metrics;
  readonly #clock: Clock;
  readonly #stopping = new AbortController();
  #running: Promise<void>[] = [];
  #active = 0;

  constructor(o: ControllerOptions) {
    this.name = o.name;
    this.#reconcile = o.reconcile;
    this.#workers = o.workers;
    this.#log = o.log.child({ controller: o.name });
    this.#metrics = o.metrics;
    this.#clock = o.clock ?? systemClock;
    this.queue =
      o.queue ?? new WorkQueue(o.name, { metrics: o.metrics.queueMetrics(o.name), clock: this.#clock });
    o.metrics.initController(o.name, o.workers);
  }

  /** Starts the workers; they run until stop(). */
  start(): void {
    for (let i = 0; i < this.#workers; i++) this.#running.push(this.#worker());
    this.#metrics.longestRunning(this.name, () => this.queue.longestRunningSeconds());
  }

  /**
   * Stops taking keys, aborts the signal reconciles got, and waits for the reconciles in flight to finish.
   * Keys still waiting are dropped: the next leader lists everything anyway.
   */
  async stop(): Promise<void> {
    this.#stopping.abort();
    await this.queue.shutDown();
    await Promise.all(this.#running);
  }

  async #worker(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      await this.#process(key);
    }
  }

  async #process(key: string): Promise<void> {
    const c = this.name;
    const log = this.#log.child({ key });
    const started = this.#clock.now();
    this.#metrics.activeWorkers.set({ controller: c }, ++this.#active);
    try {
      const result = (await this.#reconcile(key, { log, signal: this.#stopping.signal })) ?? {};
      if (result.requeueAfterMs && result.requeueAfterMs > 0) {
        this.queue.forget(key);
        // A look again on a timer waits behind changes (see WorkQueue): it is the safety net, not the news.
        this.queue.addAfter(key, result.requeueAfterMs, 'low');
        this.#metrics.reconcileTotal.inc({ controller: c, result: 'requeue_after' });
      } else {
        this.queue.forget(key);
        this.#metrics.reconcileTotal.inc({ controller: c, result: 'success' });
      }
    } catch (e) {
      this.#metrics.reconcileTotal.inc({ controller: c, result: 'error' });
      this.#metrics.reconcileErrors.inc({ controller: c });
      if (isTerminal(e)) {
        this.#metrics.terminalReconcileErrors.inc({ controller: c });
        log.error({ err: errorMessage(e) }, 'reconcile failed terminally; not retrying');
        this.queue.forget(key);
      } else {
        const retries = this.queue.numRequeues(key);
        // Conflicts are routine (a stale cache after our own write): keep them quiet.
        const level = isConflict(e) || retries < 3 ? 'debug' : 'warn';
        log[level]({ err: errorMessage(e), retries }, 'reconcile failed; requeued with backoff');
        this.queue.addRateLimited(key);
      }
    } finally {
      this.#metrics.reconcileTime.observe({ controller: c }, (this.#clock.now() - started) / 1000);
      this.#metrics.activeWorkers.set({ controller: c }, --this.#active);
      this.queue.done(key);
    }
  }
}
