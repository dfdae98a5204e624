/**
 * Asks one schedd why idle jobs do not run (`condor_q -better-analyze`), lightly: jobs with the same
 * requirements share an autocluster, and one analysis stands for all of them; an autocluster is analysed at
 * most once per `everyMs`; one call at a time, in its own lane. Whoever asked is told when the answer is in.
 */
import type { Logger } from 'pino';
import type { Clock, Timer } from '../runtime/clock.js';
import { errorMessage } from '../runtime/kube-api.js';
import type { MatchAnalysis } from './match-analysis.js';
import { adNumber } from './parse.js';
import type { TrackedJob } from './queue-snapshot.js';
import type { ScheddApi } from './schedd-api.js';

export interface AnalysisResult {
  /** When it was made (ms). */
  at: number;
  result: MatchAnalysis;
}

export interface AnalyzerOptions {
  operatorId: string;
  clock: Clock;
  log: Logger;
  /** An HPCJob (namespace/name) whose analysis came in. */
  onDone: (ref: string) => void;
  /** An autocluster's analysis is made again at most this often (default 5 min). */
  everyMs?: number;
}

interface Entry {
  latest?: AnalysisResult;
  /** When it was last asked for or read (entries nobody reads go). */
  usedAt: number;
  /** HPCJobs told when the next answer comes. */
  waiting: Set<string>;
  /** After a failed analysis, not again before this (ms). */
  retryAt?: number;
}

/** A failed analysis is tried again after this (the schedd is busy or down; tracking matters more). */
const RETRY_MS = 30_000;

export class MatchAnalyzer {
  readonly #api: ScheddApi;
  readonly #o: Required<AnalyzerOptions>;
  readonly #entries = new Map<string, Entry>();
  readonly #queue: { key: string; job: TrackedJob }[] = [];
  #busy = false;
  /** Forgets analyses nobody reads any more (their jobs ran or left), so memory per job is not kept for ever. */
  #pruner: Timer | undefined;
  #stopped = false;

  constructor(api: ScheddApi, o: AnalyzerOptions) {
    this.#api = api;
    this.#o = { ...o, everyMs: o.everyMs ?? 300_000 };
  }

  /** The latest analysis that stands for the job (its autocluster's, else its own). */
  latest(job: TrackedJob): AnalysisResult | undefined {
    const e = this.#entries.get(keyOf(job));
    if (e) e.usedAt = this.#o.clock.now();
    return e?.latest;
  }

  /** Asks for an analysis of the job unless a recent one stands for it or one is on its way. */
  request(job: TrackedJob): void {
    const now = this.#o.clock.now();
    const key = keyOf(job);
    let e = this.#entries.get(key);
    if (!e) this.#entries.set(key, (e = { usedAt: now, waiting: new Set() }));
    e.usedAt = now;
    this.#armPruner();
    if (e.latest && now - e.latest.at < this.#o.everyMs) return;
    if (e.retryAt !== undefined && now < e.retryAt) return;
    const queued = e.waiting.size > 0;
    e.waiting.add(job.ref);
    if (queued) return;
    this.#queue.push({ key, job });
    void this.#next();
  }

  /** Stops pruning and asking; an analysis on its way ends on its own. */
  stop(): void {
    this.#stopped = true;
    this.#queue.length = 0;
    this.#pruner?.cancel();
    this.#pruner = undefined;
  }

  #armPruner(): void {
    if (this.#pruner || this.#stopped) return;
    this.#pruner = this.#o.clock.after(this.#o.everyMs, () => {
      this.#pruner = undefined;
      const cutoff = this.#o.clock.now() - this.#o.everyMs;
      for (const [k, e] of this.#entries)
        if (e.usedAt <= cutoff && e.waiting.size === 0) this.#entries.delete(k);
      if (this.#entries.size > 0) this.#armPruner();
    });
  }

  memory(): Record<string, number> {
    return { analyses: this.#entries.size, analysesQueued: this.#queue.length };
  }

  async #next(): Promise<void> {
    if (this.#busy || this.#stopped) return;
    const item = this.#queue.shift();
    if (!item) return;
    this.#busy = true;
    try {
      await this.#analyze(item.key, item.job);
    } finally {
      this.#busy = false;
      void this.#next();
    }
  }

  async #analyze(key: string, job: TrackedJob): Promise<void> {
    const e = this.#entries.get(key);
    if (!e) return;
    let result: MatchAnalysis | undefined;
    try {
      result = await this.#api.analyze({
        operator: this.#o.operatorId,
        jobs: [{ jobId: job.jobId, uid: job.uid }],
      });
    } catch (err) {
      this.#o.log.warn(
        { object: job.ref, jobId: job.jobId, err: errorMessage(err) },
        'match analysis failed',
      );
    }
    const now = this.#o.clock.now();
    if (result) e.latest = { at: now, result };
    e.retryAt = result ? undefined : now + RETRY_MS;
    const waiting = [...e.waiting];
    e.waiting.clear();
    for (const ref of waiting) this.#o.onDone(ref);
  }
}

/** Jobs of one autocluster share an analysis; a job whose autocluster is not known yet stands alone. */
function keyOf(job: TrackedJob): string {
  const ac = adNumber(job.ad, 'AutoClusterId');
  return ac === undefined ? `job:${job.jobId}:${job.uid}` : `ac:${ac}`;
}
