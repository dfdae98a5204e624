/**
 * Coalesces submissions that arrive together into one condor_submit (one cluster, a row per job), bounded
 * by a batch size and a short linger, with one call per schedd in flight at a time: what arrives while a
 * call runs forms the next batch, so batches grow with the load. Requests are fire and forget: the result
 * lands in the tracker (expect) and the HPCJob is told to reconcile again, so workers never wait on a submit.
 *
 * Before each condor_submit one condor_q looks for jobs of the batch that already exist (same HPCJobUID and
 * HPCJobAttempt: a submission whose status write was lost, or another replica's), and adopts them. A batch
 * that fails is split in halves until the bad job is alone, so one bad job cannot block the others.
 */
import type { Logger } from 'pino';
import type { Metrics } from '../runtime/metrics.js';
import { CondorError } from './errors.js';
import { adNumber, adString, jobIdsOf } from './parse.js';
import type { ScheddClient } from './schedd.js';
import {
  SubmitDescriptionError,
  classAdLiteral,
  renderSubmitDescription,
  renderSubmitDescriptions,
  type SubmitJob,
} from './submit-description.js';
import { Tag } from './tags.js';
import type { JobTracker } from './tracker.js';

export interface SubmitRequest {
  uid: string;
  attempt: number;
  /** namespace/name of the HPCJob. */
  ref: string;
  job: SubmitJob;
}

export type SubmitOutcome =
  | { state: 'in-flight' }
  | { state: 'submitted'; jobId: string; adopted: boolean }
  /** permanent: the description or the schedd refused this job; retrying the same job will not help. */
  | { state: 'failed'; permanent: boolean; message: string; at: number };

export interface CoalescerOptions {
  operatorId: string;
  log: Logger;
  metrics?: Metrics;
  /** Told (namespace/name) when a request finished, successfully or not. */
  onDone: (ref: string) => void;
  maxBatch?: number;
  /** Quiet time after the last request before a batch goes out. */
  lingerMs?: number;
  /** Longest a request waits for its batch to fill. */
  maxLingerMs?: number;
  maxInFlight?: number;
  /** Directory condor_submit runs in (relative paths in descriptions are relative to it). */
  cwd?: string;
  /** Test-only failpoint run right after a successful condor_submit, before anything is recorded. */
  afterSubmit?: () => void;
}

const keyOf = (uid: string, attempt: number) => `${uid}#${attempt}`;

export class SubmitCoalescer {
  readonly #schedd: ScheddClient;
  readonly #tracker: JobTracker;
  readonly #o: Required<Omit<CoalescerOptions, 'metrics' | 'afterSubmit' | 'cwd'>> &
    Pick<CoalescerOptions, 'metrics' | 'afterSubmit' | 'cwd'>;
  readonly #pending: SubmitRequest[] = [];
  readonly #outcomes = new Map<string, SubmitOutcome>();
  #timer: NodeJS.Timeout | undefined;
  #inFlight = 0;

  constructor(schedd: ScheddClient, tracker: JobTracker, o: CoalescerOptions) {
    this.#schedd = schedd;
    this.#tracker = tracker;
    this.#o = { maxBatch: 500, lingerMs: 100, maxLingerMs: 1000, maxInFlight: 1, ...o };
  }

  /** What became of the request for this attempt (undefined: never asked, or already taken). */
  outcome(uid: string, attempt: number): SubmitOutcome | undefined {
    return this.#outcomes.get(keyOf(uid, attempt));
  }

  /** Forgets a recorded outcome once the reconcile has acted on it. */
  clear(uid: string, attempt: number): void {
    const o = this.#outcomes.get(keyOf(uid, attempt));
    if (o && o.state !== 'in-flight') this.#outcomes.delete(keyOf(uid, attempt));
  }

  /** Queues a submission; a second request for the same attempt while one is in flight is ignored. */
  request(req: SubmitRequest): void {
    const k = keyOf(req.uid, req.attempt);
    if (this.#outcomes.get(k)?.state === 'in-flight') return;
    this.#outcomes.set(k, { state: 'in-flight' });
    this.#pending.push(req);
    this.#kick();
  }

  get pending(): number {
    return this.#pending.length;
  }

  /**
   * Flushes once requests stop arriving for `lingerMs` (a burst keeps extending it, up to `maxLingerMs`
   * from the first request), at once when a batch is full, and never while a call is in flight.
   */
  #kick(): void {
    if (this.#inFlight >= this.#o.maxInFlight || this.#pending.length === 0) return;
    if (this.#pending.length >= this.#o.maxBatch) {
      this.#flush();
      return;
    }
    const now = Date.now();
    if (this.#firstPendingAt === undefined) this.#firstPendingAt = now;
    const due = Math.min(now + this.#o.lingerMs, this.#firstPendingAt + this.#o.maxLingerMs);
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        this.#flush();
      },
      Math.max(0, due - now),
    );
  }

  #firstPendingAt: number | undefined;

  #flush(): void {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    this.#firstPendingAt = undefined;
    while (this.#inFlight < this.#o.maxInFlight && this.#pending.length > 0) {
      const batch = this.#pending.splice(0, this.#o.maxBatch);
      this.#inFlight++;
      void this.#submitBatch(batch)
        .catch((e: unknown) => this.#o.log.error({ err: String(e) }, 'submit batch crashed'))
        .finally(() => {
          this.#inFlight--;
          this.#kick();
        });
    }
  }

  #finish(req: SubmitRequest, outcome: SubmitOutcome): void {
    this.#outcomes.set(keyOf(req.uid, req.attempt), outcome);
    if (outcome.state === 'submitted') {
      this.#tracker.expect(req.uid, req.attempt, outcome.jobId, req.ref);
      this.#o.metrics?.submissions.inc({
        schedd: this.#schedd.label,
        result: outcome.adopted ? 'adopted' : 'submitted',
      });
    } else if (outcome.state === 'failed') {
      this.#o.metrics?.submissions.inc({ schedd: this.#schedd.label, result: 'failed' });
    }
    this.#o.onDone(req.ref);
  }

  async #submitBatch(batch: SubmitRequest[]): Promise<void> {
    // Jobs whose description cannot be written fail alone, before anything is sent.
    const valid: SubmitRequest[] = [];
    for (const req of batch) {
      try {
        renderSubmitDescription([req.job]);
        valid.push(req);
      } catch (e) {
        const message = e instanceof SubmitDescriptionError ? e.message : String(e);
        this.#finish(req, { state: 'failed', permanent: true, message, at: Date.now() });
      }
    }
    if (valid.length === 0) return;
    let rest: SubmitRequest[];
    try {
      rest = await this.#adoptExisting(valid);
    } catch (e) {
      this.#failAll(valid, e);
      return;
    }
    await this.#submit(rest);
  }

  /** One condor_q for the batch: attempts that already have a job are adopted, not submitted again. */
  async #adoptExisting(batch: SubmitRequest[]): Promise<SubmitRequest[]> {
    const uids = [...new Set(batch.map((r) => r.uid))];
    const constraint = `${Tag.Operator} == ${classAdLiteral(this.#o.operatorId)} && member(${Tag.JobUID}, {${uids.map(classAdLiteral).join(', ')}})`;
    const ads = await this.#schedd.query(constraint, [Tag.JobUID, Tag.Attempt], 'adopt');
    const existing = new Map<string, string>();
    for (const ad of ads) {
      const uid = adString(ad, Tag.JobUID);
      const attempt = adNumber(ad, Tag.Attempt);
      if (uid && attempt !== undefined)
        existing.set(keyOf(uid, attempt), `${adNumber(ad, 'ClusterId')}.${adNumber(ad, 'ProcId')}`);
    }
    const rest: SubmitRequest[] = [];
    for (const req of batch) {
      const jobId = existing.get(keyOf(req.uid, req.attempt));
      if (jobId) {
        this.#o.log.info(
          { key: req.ref, jobId, attempt: req.attempt },
          'adopted an existing job instead of submitting again',
        );
        this.#finish(req, { state: 'submitted', jobId, adopted: true });
      } else rest.push(req);
    }
    return rest;
  }

  async #submit(batch: SubmitRequest[]): Promise<void> {
    if (batch.length === 0) return;
    // Usually one description; jobs whose differing values cannot share one go in their own.
    const rendered = renderSubmitDescriptions(batch.map((r) => r.job));
    for (const { description, jobs } of rendered) {
      await this.#submitOne(
        jobs.map((i) => batch[i] as SubmitRequest),
        description,
      );
    }
  }

  async #submitOne(batch: SubmitRequest[], description: string): Promise<void> {
    try {
      const ranges = await this.#schedd.submit(description, { cwd: this.#o.cwd });
      const ids = jobIdsOf(ranges);
      this.#o.afterSubmit?.();
      this.#o.metrics?.submitBatchSize.observe({ schedd: this.#schedd.label }, batch.length);
      if (ids.length !== batch.length) {
        throw new CondorError(
          'failed',
          'condor_submit',
          0,
          '',
          `condor_submit made ${ids.length} jobs for ${batch.length} requests`,
        );
      }
      batch.forEach((req, i) =>
        this.#finish(req, { state: 'submitted', jobId: ids[i] as string, adopted: false }),
      );
      this.#o.log.debug({ schedd: this.#schedd.label, jobs: batch.length }, 'submitted a batch');
    } catch (e) {
      const transient =
        e instanceof CondorError && (e.kind === 'unavailable' || e.kind === 'timeout' || e.kind === 'spawn');
      if (!transient && batch.length > 1) {
        // Split to isolate the job the schedd refuses; each half checks again for jobs that made it in.
        const mid = Math.ceil(batch.length / 2);
        this.#o.log.info(
          { schedd: this.#schedd.label, jobs: batch.length, err: errorText(e) },
          'submit batch failed: splitting it',
        );
        for (const half of [batch.slice(0, mid), batch.slice(mid)]) {
          try {
            await this.#submit(await this.#adoptExisting(half));
          } catch (e2) {
            this.#failAll(half, e2);
          }
        }
        return;
      }
      this.#failAll(batch, e);
    }
  }

  #failAll(batch: SubmitRequest[], e: unknown): void {
    const permanent = e instanceof CondorError ? e.kind === 'rejected' : false;
    const message = errorText(e);
    for (const req of batch) this.#finish(req, { state: 'failed', permanent, message, at: Date.now() });
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
