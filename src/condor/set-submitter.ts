/**
 * Submits an HPCJobSet's indices: the jobs of one request go out in ONE condor_submit (one cluster, a proc
 * per index), in the background, one request per set at a time; the outcome is kept until the set's
 * reconcile takes it. Only the leader submits (`fence()` right before the call). What a submission that
 * ended (even by a timeout) committed is in the next read of the queue, which the set's reconcile waits for
 * (`settledSince`) before it submits again: no index is ever submitted twice for one attempt.
 */
import type { Logger } from 'pino';
import type { Clock } from '../runtime/clock.js';
import { CondorError } from './errors.js';
import type { CondorMetrics } from './metrics.js';
import type { ScheddApi } from './schedd-api.js';
import { SubmitDescriptionError, type SubmitTable } from './submit-description.js';

export interface SetSubmitRequest {
  /** metadata.uid of the HPCJobSet (the HPCJobUID of its jobs). */
  uid: string;
  /** What the controller is told when the request finished. */
  ref: string;
  /** The indices, one proc each. */
  table: SubmitTable;
}

export type SetSubmitOutcome =
  | { state: 'in-flight' }
  | { state: 'submitted'; jobIds: string[]; at: number }
  /** permanent: the description or the schedd refused the jobs; the same jobs will fail again. */
  | { state: 'failed'; permanent: boolean; message: string; at: number };

export interface SetSubmitterOptions {
  clock: Clock;
  log: Logger;
  metrics?: CondorMetrics;
  onDone: (ref: string) => void;
  fence?: () => boolean;
}

export class SetSubmitter {
  readonly #api: ScheddApi;
  readonly #o: SetSubmitterOptions;
  readonly #outcomes = new Map<string, SetSubmitOutcome>();
  readonly #lastEnded = new Map<string, number>();
  readonly #inFlight = new Set<Promise<void>>();
  #stopping = false;

  constructor(api: ScheddApi, o: SetSubmitterOptions) {
    this.#api = api;
    this.#o = o;
  }

  outcome(uid: string): SetSubmitOutcome | undefined {
    return this.#outcomes.get(uid);
  }

  /** Forgets an outcome the reconcile has acted on (never one in flight). */
  clear(uid: string): void {
    if (this.#outcomes.get(uid)?.state !== 'in-flight') this.#outcomes.delete(uid);
  }

  /** Starts the submission unless one of this set is in flight (then the request is dropped). */
  request(req: SetSubmitRequest): void {
    if (this.#outcomes.get(req.uid)?.state === 'in-flight') return;
    if (this.#stopping) return this.#finish(req, this.#failed(false, 'the operator is stopping'));
    this.#outcomes.set(req.uid, { state: 'in-flight' });
    const p = this.#submit(req).finally(() => this.#inFlight.delete(p));
    this.#inFlight.add(p);
  }

  settledSince(uid: string): { busy: boolean; lastEnded: number } {
    return { busy: this.#outcomes.get(uid)?.state === 'in-flight', lastEnded: this.#lastEnded.get(uid) ?? 0 };
  }

  forget(uid: string): void {
    if (this.#outcomes.get(uid)?.state === 'in-flight') return;
    this.#outcomes.delete(uid);
    this.#lastEnded.delete(uid);
  }

  memory(): Record<string, number> {
    return { setSubmitOutcomes: this.#outcomes.size };
  }

  /** Lets the calls in flight finish: after this nothing of this replica can commit. */
  async drain(): Promise<void> {
    this.#stopping = true;
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
  }

  async #submit(req: SetSubmitRequest): Promise<void> {
    try {
      if (this.#o.fence && !this.#o.fence())
        throw new CondorError(
          'unavailable',
          'condor_submit',
          undefined,
          '',
          'not the leader: not submitting',
        );
      const jobIds = await this.#api.submitTable(req.table);
      if (jobIds.length !== req.table.size)
        throw new CondorError(
          'failed',
          'condor_submit',
          0,
          '',
          `made ${jobIds.length} jobs for ${req.table.size}`,
        );
      this.#o.metrics?.submitBatchSize.observe({ schedd: this.#api.label }, jobIds.length);
      this.#o.log.info(
        { key: req.ref, jobs: jobIds.length, first: jobIds[0] },
        'submitted HPCJobSet indices',
      );
      this.#finish(req, { state: 'submitted', jobIds, at: this.#o.clock.now() });
    } catch (e) {
      const permanent =
        e instanceof SubmitDescriptionError || (e instanceof CondorError && e.kind === 'rejected');
      this.#finish(req, this.#failed(permanent, e instanceof Error ? e.message : String(e)));
    }
  }

  #failed(permanent: boolean, message: string): SetSubmitOutcome {
    return { state: 'failed', permanent, message, at: this.#o.clock.now() };
  }

  #finish(req: SetSubmitRequest, outcome: SetSubmitOutcome): void {
    this.#outcomes.set(req.uid, outcome);
    // Before anyone hears of it: a read of the queue must begin after this to settle the set.
    this.#lastEnded.set(req.uid, this.#o.clock.now());
    const result = outcome.state === 'submitted' ? 'submitted' : 'failed';
    this.#o.metrics?.submissions.inc({ schedd: this.#api.label, result }, req.table.size);
    this.#o.onDone(req.ref);
  }
}
