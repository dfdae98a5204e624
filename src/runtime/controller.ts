/**
 * The reconcile loop: N workers take keys from a work queue and call a level-triggered reconciler, with
 * controller-runtime's result handling (pkg/internal/controller/controller.go reconcileHandler):
 * an error requeues with per-key backoff, `requeueAfter` requeues after a delay and resets the backoff,
 * success resets the backoff. A TerminalError is counted and not retried.
 */
import type { Logger } from 'pino';
import type { Metrics } from './metrics.js';
import { WorkQueue } from './workqueue.js';

export interface Result {
  /** Reconcile this key again after this many ms (0 or undefined: only when something changes). */
  requeueAfterMs?: number;
}

export type Reconciler = (key: string, log: Logger) => Promise<Result | void>;

/** An error that retrying cannot fix; logged and counted, the key is not requeued. */
export class TerminalError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TerminalError';
  }
}

export interface ControllerOptions {
  name: string;
  reconcile: Reconciler;
  workers: number;
  log: Logger;
  metrics: Metrics;
  queue?: WorkQueue;
}

export class Controller {
  readonly name: string;
  readonly queue: WorkQueue;
  readonly #reconcile: Reconciler;
  readonly #workers: number;
  readonly #log: Logger;
  readonly #metrics: Metrics;
  #running: Promise<void>[] = [];
  #active = 0;

  constructor(o: ControllerOptions) {
    this.name = o.name;
    this.#reconcile = o.reconcile;
    this.#workers = o.workers;
    this.#log = o.log.child({ controller: o.name });
    this.#metrics = o.metrics;
    this.queue = o.queue ?? new WorkQueue(o.name, { metrics: o.metrics.queueMetrics(o.name) });
    o.metrics.initController(o.name, o.workers);
  }

  /** Starts the workers; they run until stop(). */
  start(): void {
    for (let i = 0; i < this.#workers; i++) this.#running.push(this.#worker());
    const t = setInterval(() => {
      const labels = { name: this.name, controller: this.name };
      this.#metrics.workqueueLongestRunning.set(labels, this.queue.longestRunningSeconds());
    }, 1000);
    t.unref();
    this.#stopTimer = () => clearInterval(t);
  }

  #stopTimer: () => void = () => undefined;

  /** Stops taking keys and waits for the reconciles in flight to finish. */
  async stop(): Promise<void> {
    this.#stopTimer();
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
    const end = this.#metrics.reconcileTime.startTimer({ controller: c });
    this.#metrics.activeWorkers.set({ controller: c }, ++this.#active);
    try {
      const result = (await this.#reconcile(key, log)) ?? {};
      if (result.requeueAfterMs && result.requeueAfterMs > 0) {
        this.queue.forget(key);
        this.queue.addAfter(key, result.requeueAfterMs);
        this.#metrics.reconcileTotal.inc({ controller: c, result: 'requeue_after' });
      } else {
        this.queue.forget(key);
        this.#metrics.reconcileTotal.inc({ controller: c, result: 'success' });
      }
    } catch (e) {
      this.#metrics.reconcileTotal.inc({ controller: c, result: 'error' });
      this.#metrics.reconcileErrors.inc({ controller: c });
      if (e instanceof TerminalError) {
        this.#metrics.terminalReconcileErrors.inc({ controller: c });
        log.error({ err: e.message }, 'reconcile failed terminally; not retrying');
        this.queue.forget(key);
      } else {
        const retries = this.queue.numRequeues(key);
        // Conflicts are routine (a stale cache after our own write): keep them quiet.
        const level = isConflict(e) || retries < 3 ? 'debug' : 'warn';
        log[level]({ err: errorMessage(e), retries }, 'reconcile failed; requeued with backoff');
        this.queue.addRateLimited(key);
      }
    } finally {
      end();
      this.#metrics.activeWorkers.set({ controller: c }, --this.#active);
      this.queue.done(key);
    }
  }
}

export function isConflict(e: unknown): boolean {
  return (e as { code?: number })?.code === 409;
}

export function isNotFound(e: unknown): boolean {
  return (e as { code?: number })?.code === 404;
}

export function errorMessage(e: unknown): string {
  if (e instanceof Error) {
    const body = (e as { body?: unknown }).body;
    if (typeof body === 'string') {
      try {
        const status = JSON.parse(body) as { message?: string };
        if (status.message) return `${e.message.split('\n')[0]}: ${status.message}`;
      } catch {
        // not JSON
      }
    }
    return e.message.split('\n')[0] ?? e.message;
  }
  return String(e);
}
