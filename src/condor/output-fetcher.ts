/**
 * Fetches the output sandboxes of finished, spooled jobs (condor_transfer_data) into their submit
 * directories, batched per schedd in a lane of its own: a slow transfer never delays a removal, hold or
 * release, and those never delay a transfer. A job whose fetch fails is tried again with backoff, as long as
 * someone asks for it; nothing here ever gives a fetch up. The reconcile decides what waiting too long means
 * (and acknowledges a job — letting HTCondor delete its sandbox — only once its output is here).
 */
import type { Logger } from 'pino';
import type { Clock, Timer } from '../runtime/clock.js';
import type { CondorMetrics } from './metrics.js';
import type { JobRef, ScheddApi } from './schedd-api.js';
import { refKey } from './tracker.js';

export type FetchState =
  | { state: 'done' }
  /** Asked for, not here yet; `failures` failed tries so far, the last one's error. */
  | { state: 'pending'; since: number; failures: number; lastError?: string }
  /** The sandbox cannot be fetched as it is (a file it lists is not in the spool): trying again is pointless. */
  | { state: 'failed'; error: string };

/**
 * condor_transfer_data's answer when a file the job lists is missing from its spooled sandbox, which HTCondor
 * leaves so for good (seen after a hold and release: output the restarted run did not change is not sent
 * back again). Every try fails the same way.
 */
const MISSING_FROM_SPOOL = /reading from file \S+: \(errno 2\) No such file or directory/;

interface Entry {
  job: JobRef;
  /** namespace/name of the job's HPCJob, told when the fetch ends. */
  ref: string;
  since: number;
  done: boolean;
  /** Set when the fetch can never succeed. */
  permanentError?: string;
  failures: number;
  lastError?: string;
  /** Not before this time (backoff after a failure). */
  nextTryAt: number;
}

/** Backoff after n failures: 2 s, 4 s, 8 s ... at most 5 min. */
export function fetchBackoffMs(failures: number): number {
  return Math.min(300_000, 2000 * 2 ** Math.max(0, failures - 1));
}

export class OutputFetcher {
  readonly #api: ScheddApi;
  readonly #o: {
    operatorId: string;
    clock: Clock;
    log: Logger;
    metrics?: CondorMetrics;
    onDone: (ref: string) => void;
    lingerMs: number;
    maxBatch: number;
  };
  readonly #entries = new Map<string, Entry>();
  #timer: Timer | undefined;
  #running: Promise<void> | undefined;

  constructor(
    api: ScheddApi,
    o: {
      operatorId: string;
      clock: Clock;
      log: Logger;
      metrics?: CondorMetrics;
      /** Told the HPCJob (namespace/name) when a fetch of its job finished, successfully or not. */
      onDone: (ref: string) => void;
      lingerMs?: number;
      maxBatch?: number;
    },
  ) {
    this.#api = api;
    this.#o = { lingerMs: 100, maxBatch: 200, ...o };
  }

  /** Where the fetch of this job (of HPCJob `ref`) stands; asks for it when it was not asked for yet. */
  fetch(job: JobRef, ref: string): FetchState {
    const known = this.status(job);
    if (known) return known;
    const now = this.#o.clock.now();
    const entry = {
      job: { jobId: job.jobId, uid: job.uid },
      ref,
      since: now,
      done: false,
      failures: 0,
      nextTryAt: now,
    };
    this.#entries.set(refKey(job), entry);
    this.#arm(0);
    return { state: 'pending', since: now, failures: 0 };
  }

  /** Where the fetch of this job stands, without asking for it; undefined when nobody asked. */
  status(job: JobRef): FetchState | undefined {
    const e = this.#entries.get(refKey(job));
    if (!e) return undefined;
    if (e.done) return { state: 'done' };
    if (e.permanentError) return { state: 'failed', error: e.permanentError };
    return { state: 'pending', since: e.since, failures: e.failures, lastError: e.lastError };
  }

  /** The job's output is no longer needed here (recorded and acknowledged, or the job is gone). */
  forget(job: JobRef): void {
    this.#entries.delete(refKey(job));
  }

  /**
   * Forgets every fetch of an HPCJob that is gone. A reconcile that raced the acknowledgement can ask for a
   * job's output again after acknowledge() forgot it; nothing else would ever drop that entry (sim seed 2208).
   */
  forgetUid(uid: string): void {
    for (const [k, e] of this.#entries) if (e.job.uid === uid) this.#entries.delete(k);
  }

  memory(): Record<string, number> {
    return { fetches: this.#entries.size };
  }

  /** Waits for a fetch in progress (shutdown). */
  async drain(): Promise<void> {
    this.#timer?.cancel();
    this.#timer = undefined;
    await this.#running;
  }

  #arm(delayMs: number): void {
    if (this.#running) return;
    const due = Math.max(this.#o.lingerMs, delayMs);
    this.#timer?.cancel();
    this.#timer = this.#o.clock.after(due, () => {
      this.#timer = undefined;
      this.#running = this.#flush().finally(() => {
        this.#running = undefined;
        this.#rearm();
      });
    });
  }

  /** After a flush: come back when the next waiting job is due. */
  #rearm(): void {
    const now = this.#o.clock.now();
    let next = Infinity;
    for (const e of this.#entries.values())
      if (!e.done && !e.permanentError) next = Math.min(next, e.nextTryAt);
    if (next !== Infinity) this.#arm(next - now);
  }

  async #flush(): Promise<void> {
    const now = this.#o.clock.now();
    const due = [...this.#entries]
      .filter(([, e]) => !e.done && !e.permanentError && e.nextTryAt <= now)
      .map(([k]) => k);
    for (let i = 0; i < due.length; i += this.#o.maxBatch)
      await this.#transfer(due.slice(i, i + this.#o.maxBatch));
  }

  /** One condor_transfer_data for the jobs of `keys`; when several fail together, each is tried alone. */
  async #transfer(ids: string[]): Promise<void> {
    const jobs = ids.flatMap((k) => {
      const e = this.#entries.get(k);
      return e ? [e.job] : [];
    });
    try {
      await this.#api.transferData({ operator: this.#o.operatorId, jobs });
      for (const id of ids) this.#settle(id, undefined);
    } catch (e) {
      const err = e instanceof Error ? e.message : String(e);
      this.#o.metrics?.outputFetchFailures.inc({ schedd: this.#api.label });
      this.#o.log.warn({ schedd: this.#api.label, jobs: ids.length, err }, 'fetching job output failed');
      if (ids.length === 1) this.#settle(ids[0] as string, err);
      else for (const id of ids) await this.#transfer([id]);
    }
  }

  #settle(jobId: string, error: string | undefined): void {
    const e = this.#entries.get(jobId);
    if (!e) return;
    if (error === undefined) e.done = true;
    else if (MISSING_FROM_SPOOL.test(error)) {
      e.permanentError = error;
    } else {
      e.failures++;
      e.lastError = error;
      e.nextTryAt = this.#o.clock.now() + fetchBackoffMs(e.failures);
    }
    this.#o.onDone(e.ref);
  }
}
