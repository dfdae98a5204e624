/**
 * Batches job actions (condor_rm, condor_hold, condor_release) per schedd: requests made within a short
 * linger go out as one call per action and reason, selected by a constraint over the operator's jobs.
 * Fire and forget: the tracker is nudged afterwards and reconciles see the result in the next poll; an
 * action that did not take effect is simply requested again by the level-triggered reconcile.
 */
import type { Logger } from 'pino';
import type { JobAction, ScheddClient } from './schedd.js';
import { classAdLiteral } from './submit-description.js';
import { Tag } from './tags.js';
import type { JobTracker } from './tracker.js';

/** A job by id ("12.0") or every job of an HPCJob by its uid. */
export type ActionTarget = { jobId: string } | { uid: string };

export interface ActionOptions {
  operatorId: string;
  log: Logger;
  lingerMs?: number;
  /** Targets per call. */
  maxBatch?: number;
  /** The same action on the same target is not sent again within this time. */
  repeatAfterMs?: number;
}

export class ActionBatcher {
  readonly #schedd: ScheddClient;
  readonly #tracker: JobTracker;
  readonly #o: Required<ActionOptions>;
  /** action + reason -> targets. */
  readonly #pending = new Map<
    string,
    { action: JobAction; reason: string | undefined; targets: Map<string, ActionTarget> }
  >();
  /**
   * Actions sent recently, by action and target: the tracker needs a poll to show their effect, and a
   * level-triggered reconcile asks again meanwhile; asking the schedd twice helps nobody.
   */
  readonly #recent = new Map<string, number>();
  /** condor_transfer_data requests and results, by job id. */
  readonly #fetches = new Map<string, 'pending' | 'done' | 'failed'>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> = Promise.resolve();
  #lastError: string | undefined;

  constructor(schedd: ScheddClient, tracker: JobTracker, o: ActionOptions) {
    this.#schedd = schedd;
    this.#tracker = tracker;
    this.#o = { lingerMs: 100, maxBatch: 200, repeatAfterMs: 10_000, ...o };
  }

  get lastError(): string | undefined {
    return this.#lastError;
  }

  /**
   * Fetches a finished spooled job's output sandbox (stdout, stderr) back to its submit directory, batched
   * like the actions. Returns where that stands for this job.
   */
  fetchOutput(jobId: string): 'pending' | 'done' | 'failed' {
    const state = this.#fetches.get(jobId);
    if (state) return state;
    this.#fetches.set(jobId, 'pending');
    this.#arm();
    return 'pending';
  }

  /** Forgets fetch results of jobs that left (keeps the map small). */
  forgetFetch(jobId: string): void {
    if (this.#fetches.get(jobId) !== 'pending') this.#fetches.delete(jobId);
  }

  request(action: JobAction, target: ActionTarget, reason?: string): void {
    const targetKey = 'jobId' in target ? `j:${target.jobId}` : `u:${target.uid}`;
    const recentKey = `${action}\0${targetKey}`;
    const sentAt = this.#recent.get(recentKey);
    if (sentAt !== undefined && Date.now() - sentAt < this.#o.repeatAfterMs) return;
    const k = `${action}\0${reason ?? ''}`;
    let group = this.#pending.get(k);
    if (!group) {
      group = { action, reason, targets: new Map() };
      this.#pending.set(k, group);
    }
    group.targets.set(targetKey, target);
    this.#arm();
  }

  #arm(): void {
    if (!this.#timer) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#running = this.#running.then(() => this.#flush());
      }, this.#o.lingerMs);
    }
  }

  /** Waits for requests made so far to be sent (tests and shutdown). */
  async drain(): Promise<void> {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#running = this.#running.then(() => this.#flush());
    }
    await this.#running;
  }

  async #flush(): Promise<void> {
    const groups = [...this.#pending.values()];
    this.#pending.clear();
    const fetches = [...this.#fetches].filter(([, st]) => st === 'pending').map(([id]) => id);
    for (let i = 0; i < fetches.length; i += this.#o.maxBatch) {
      const chunk = fetches.slice(i, i + this.#o.maxBatch);
      const constraint = `${Tag.Operator} == ${classAdLiteral(this.#o.operatorId)} && (${chunk.map((jobId) => targetConstraint({ jobId })).join(' || ')})`;
      try {
        await this.#schedd.transferData(constraint);
        for (const id of chunk) this.#fetches.set(id, 'done');
      } catch (e) {
        for (const id of chunk) this.#fetches.set(id, 'failed');
        this.#o.log.warn(
          { schedd: this.#schedd.label, jobs: chunk.length, err: e instanceof Error ? e.message : String(e) },
          'fetching job output failed',
        );
      }
    }
    for (const g of groups) {
      const targets = [...g.targets.values()];
      for (let i = 0; i < targets.length; i += this.#o.maxBatch) {
        const chunk = targets.slice(i, i + this.#o.maxBatch);
        const constraint = `${Tag.Operator} == ${classAdLiteral(this.#o.operatorId)} && (${chunk.map(targetConstraint).join(' || ')})`;
        try {
          await this.#schedd.act(g.action, constraint, g.reason);
          this.#lastError = undefined;
          const now = Date.now();
          for (const t of chunk)
            this.#recent.set(`${g.action}\0${'jobId' in t ? `j:${t.jobId}` : `u:${t.uid}`}`, now);
        } catch (e) {
          // The reconcile asks again while the job is not in the wanted state; just report it.
          this.#lastError = e instanceof Error ? e.message : String(e);
          this.#o.log.warn(
            { schedd: this.#schedd.label, action: g.action, jobs: chunk.length, err: this.#lastError },
            'job action failed',
          );
        }
      }
    }
    for (const [k, at] of this.#recent) if (Date.now() - at > this.#o.repeatAfterMs) this.#recent.delete(k);
    this.#tracker.nudge();
  }
}

function targetConstraint(t: ActionTarget): string {
  if ('uid' in t) return `${Tag.JobUID} == ${classAdLiteral(t.uid)}`;
  const [c, p] = t.jobId.split('.');
  return `(ClusterId == ${Number(c)} && ProcId == ${Number(p)})`;
}
