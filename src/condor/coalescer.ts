/**
 * Coalesces submissions that arrive together into one condor_submit (one cluster, a row per job), bounded
 * by a batch size and a short linger, with one call per schedd in flight at a time: what arrives while a
 * call runs forms the next batch, so batches grow with the load. Requests are fire and forget: the outcome
 * is kept here and the HPCJob is told to reconcile again, so workers never wait on a submit.
 *
 * Before each condor_submit one condor_q looks for jobs of the batch that already exist (same HPCJobUID and
 * HPCJobAttempt: a submission whose status write was lost, a condor_submit that timed out after committing,
 * or another replica's), and adopts them. A batch that fails is split in halves until the bad job is alone.
 *
 * Only the leader submits: `fence()` is asked right before every condor_submit, so a replica whose Lease
 * may have passed to another never submits (the new leader's adoption check would not see a late commit).
 */
import type { Logger } from 'pino';
import type { Clock } from '../runtime/clock.js';
import { Linger } from './linger.js';
import { CondorError } from './errors.js';
import type { CondorMetrics } from './metrics.js';
import { adNumber, adString } from './parse.js';
import type { ScheddApi } from './schedd-api.js';
import {
  SubmitDescriptionError,
  renderSubmitDescription,
  renderSubmitDescriptions,
  type SubmitJob,
} from './submit-description.js';
import { Tag } from './tags.js';

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
  /**
   * permanent: the description or the schedd refused this job; retrying the same job will not help.
   * reason: a CamelCase reason when the failure has one of its own (staging problems).
   */
  | { state: 'failed'; permanent: boolean; message: string; reason?: string; at: number };

export interface CoalescerOptions {
  operatorId: string;
  clock: Clock;
  log: Logger;
  metrics?: CondorMetrics;
  /** Told (namespace/name) when a request finished, successfully or not. */
  onDone: (ref: string) => void;
  /** May this replica submit now (it holds the Lease, with time to spare)? Default: yes. */
  fence?: () => boolean;
  maxBatch?: number;
  /** Quiet time after the last request before a batch goes out. */
  lingerMs?: number;
  /** Longest a request waits for its batch to fill. */
  maxLingerMs?: number;
  /** Test-only failpoint run right after a successful condor_submit, before anything is recorded. */
  afterSubmit?: () => void;
}

const keyOf = (uid: string, attempt: number) => `${uid}#${attempt}`;

export class SubmitCoalescer {
  readonly #api: ScheddApi;
  readonly #o: Required<Omit<CoalescerOptions, 'metrics' | 'afterSubmit' | 'fence'>> &
    Pick<CoalescerOptions, 'metrics' | 'afterSubmit' | 'fence'>;
  readonly #pending: SubmitRequest[] = [];
  /**
   * Outcomes by HPCJob uid, then attempt: settled() asks for one HPCJob's on every reconcile, and a scan
   * of every outcome there cost a few ms each with 20,000 HPCJobs being submitted.
   */
  readonly #outcomes = new Map<string, Map<number, SubmitOutcome>>();
  /** When the last submission involving each HPCJob ended (ms), until it is forgotten. */
  readonly #lastEnded = new Map<string, number>();
  readonly #linger: Linger;
  /** Requests without an outcome yet (the 'in-flight' entries of #outcomes), counted for the schedd's load. */
  #waiting = 0;
  #inFlight: Promise<void> | undefined;
  #stopping = false;

  constructor(api: ScheddApi, o: CoalescerOptions) {
    this.#api = api;
    this.#o = { maxBatch: 500, lingerMs: 100, maxLingerMs: 1000, ...o };
    this.#linger = new Linger(this.#o.clock, this.#o, () => this.#flush());
  }

  /** What became of the request for this attempt (undefined: never asked, or already taken). */
  outcome(uid: string, attempt: number): SubmitOutcome | undefined {
    return this.#outcomes.get(uid)?.get(attempt);
  }

  /** Forgets a recorded outcome once the reconcile has acted on it. */
  clear(uid: string, attempt: number): void {
    if (this.outcome(uid, attempt)?.state !== 'in-flight') this.#delete(uid, attempt);
  }

  /** Queues a submission; a second request for the same attempt while one is in flight is ignored. */
  request(req: SubmitRequest): void {
    if (this.outcome(req.uid, req.attempt)?.state === 'in-flight') return;
    if (this.#stopping) {
      this.#finish(req, this.#failed(false, 'the operator is stopping'));
      return;
    }
    this.#set(req.uid, req.attempt, { state: 'in-flight' });
    this.#pending.push(req);
    this.#kick();
  }

  /** Records an attempt that cannot be submitted (its files could not be prepared) as a failed request. */
  reject(
    req: Pick<SubmitRequest, 'uid' | 'attempt' | 'ref'>,
    failure: { message: string; reason: string; permanent: boolean },
  ): void {
    this.#set(req.uid, req.attempt, { state: 'failed', ...failure, at: this.#o.clock.now() });
    this.#o.onDone(req.ref);
  }

  /** Whether no submission of this HPCJob is queued or running, and when the last one ended. */
  settledSince(uid: string): { busy: boolean; lastEnded: number } {
    // A queued request is in flight from the moment it is asked for, so the outcomes say it all.
    let busy = false;
    for (const o of this.#outcomes.get(uid)?.values() ?? []) busy ||= o.state === 'in-flight';
    return { busy, lastEnded: this.#lastEnded.get(uid) ?? 0 };
  }

  /** Forgets an HPCJob that is gone. */
  forget(uid: string): void {
    for (const [attempt, o] of this.#outcomes.get(uid) ?? [])
      if (o.state !== 'in-flight') this.#delete(uid, attempt);
    if (!this.settledSince(uid).busy) this.#lastEnded.delete(uid);
  }

  /** Submissions asked for whose outcome is not known yet. */
  get waiting(): number {
    return this.#waiting;
  }

  get pending(): number {
    return this.#pending.length;
  }

  memory(): Record<string, number> {
    let outcomes = 0;
    for (const m of this.#outcomes.values()) outcomes += m.size;
    return { submitOutcomes: outcomes, submitLastEnded: this.#lastEnded.size };
  }

  /**
   * Stops submitting: the call in flight finishes (its jobs are recorded), queued requests fail as
   * transient. Resolves when nothing can commit any more — only then may the Lease be released.
   */
  async drain(): Promise<void> {
    this.#stopping = true;
    this.#linger.cancel();
    const queued = this.#pending.splice(0);
    for (const req of queued) this.#finish(req, this.#failed(false, 'the operator is stopping'));
    while (this.#inFlight) await this.#inFlight;
  }

  /**
   * Flushes once requests stop arriving for `lingerMs` (a burst keeps extending it, up to `maxLingerMs`
   * from the first request), at once when a batch is full, and never while a call is in flight.
   */
  #kick(): void {
    if (this.#inFlight || this.#pending.length === 0 || this.#stopping) return;
    if (this.#pending.length >= this.#o.maxBatch) return this.#flush();
    this.#linger.arm();
  }

  #flush(): void {
    this.#linger.cancel();
    if (this.#inFlight || this.#pending.length === 0 || this.#stopping) return;
    const batch = this.#pending.splice(0, this.#o.maxBatch);
    this.#inFlight = this.#submitBatch(batch)
      .catch((e: unknown) => this.#o.log.error({ err: String(e) }, 'submit batch crashed'))
      .finally(() => {
        this.#inFlight = undefined;
        this.#kick();
      });
  }

  /** Records an outcome, keeping #waiting the count of in-flight ones. */
  #set(uid: string, attempt: number, outcome: SubmitOutcome): void {
    let byAttempt = this.#outcomes.get(uid);
    if (!byAttempt) this.#outcomes.set(uid, (byAttempt = new Map()));
    const was = byAttempt.get(attempt)?.state === 'in-flight';
    this.#waiting += Number(outcome.state === 'in-flight') - Number(was);
    byAttempt.set(attempt, outcome);
  }

  #delete(uid: string, attempt: number): void {
    const byAttempt = this.#outcomes.get(uid);
    if (byAttempt?.get(attempt)?.state === 'in-flight') this.#waiting--;
    byAttempt?.delete(attempt);
    if (byAttempt?.size === 0) this.#outcomes.delete(uid);
  }

  #failed(permanent: boolean, message: string): SubmitOutcome {
    return { state: 'failed', permanent, message, at: this.#o.clock.now() };
  }

  #finish(req: SubmitRequest, outcome: SubmitOutcome): void {
    this.#set(req.uid, req.attempt, outcome);
    // Before anyone hears of the outcome: a read of the queue must begin after this to settle the HPCJob.
    this.#lastEnded.set(req.uid, this.#o.clock.now());
    const schedd = this.#api.label;
    if (outcome.state === 'submitted') {
      this.#o.metrics?.submissions.inc({ schedd, result: outcome.adopted ? 'adopted' : 'submitted' });
    } else if (outcome.state === 'failed') {
      this.#o.metrics?.submissions.inc({ schedd, result: 'failed' });
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
        this.#finish(req, this.#failed(true, message));
      }
    }
    if (valid.length === 0) return;
    try {
      await this.#submit(await this.#adoptExisting(valid));
    } catch (e) {
      this.#failAll(valid, e);
    }
  }

  /** One condor_q for the batch: attempts that already have a job are adopted, not submitted again. */
  async #adoptExisting(batch: SubmitRequest[]): Promise<SubmitRequest[]> {
    const uids = [...new Set(batch.map((r) => r.uid))];
    const ads = await this.#api.query(
      { operator: this.#o.operatorId, uids },
      [Tag.JobUID, Tag.Attempt, 'QDate'],
      'adopt',
    );
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
      if (!jobId) {
        rest.push(req);
        continue;
      }
      this.#o.log.info(
        { key: req.ref, jobId, attempt: req.attempt },
        'adopted an existing job instead of submitting again',
      );
      this.#finish(req, { state: 'submitted', jobId, adopted: true });
    }
    return rest;
  }

  async #submit(batch: SubmitRequest[]): Promise<void> {
    if (batch.length === 0) return;
    // Usually one description; jobs whose differing values cannot share one go in their own.
    for (const { jobs } of renderSubmitDescriptions(batch.map((r) => r.job))) {
      await this.#submitOne(jobs.map((i) => batch[i] as SubmitRequest));
    }
  }

  async #submitOne(batch: SubmitRequest[]): Promise<void> {
    try {
      if (this.#o.fence && !this.#o.fence())
        throw new CondorError(
          'unavailable',
          'condor_submit',
          undefined,
          '',
          'not the leader: not submitting',
        );
      const ids = await this.#api.submit(batch.map((r) => r.job));
      this.#o.afterSubmit?.();
      this.#o.metrics?.submitBatchSize.observe({ schedd: this.#api.label }, batch.length);
      if (ids.length !== batch.length) {
        const msg = `condor_submit made ${ids.length} jobs for ${batch.length} requests`;
        throw new CondorError('failed', 'condor_submit', 0, '', msg);
      }
      batch.forEach((req, i) =>
        this.#finish(req, { state: 'submitted', jobId: ids[i] as string, adopted: false }),
      );
      this.#o.log.debug({ schedd: this.#api.label, jobs: batch.length }, 'submitted a batch');
    } catch (e) {
      await this.#onSubmitError(batch, e);
    }
  }

  async #onSubmitError(batch: SubmitRequest[], e: unknown): Promise<void> {
    const transient =
      e instanceof CondorError && (e.kind === 'unavailable' || e.kind === 'timeout' || e.kind === 'spawn');
    if (transient || batch.length === 1) {
      this.#failAll(batch, e);
      return;
    }
    // Split to isolate the job the schedd refuses; each half checks again for jobs that made it in.
    const mid = Math.ceil(batch.length / 2);
    this.#o.log.info(
      { schedd: this.#api.label, jobs: batch.length, err: errorText(e) },
      'submit batch failed: splitting it',
    );
    for (const half of [batch.slice(0, mid), batch.slice(mid)]) {
      try {
        await this.#submit(await this.#adoptExisting(half));
      } catch (e2) {
        this.#failAll(half, e2);
      }
    }
  }

  #failAll(batch: SubmitRequest[], e: unknown): void {
    const permanent = e instanceof CondorError ? e.kind === 'rejected' : false;
    for (const req of batch) this.#finish(req, this.#failed(permanent, errorText(e)));
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
