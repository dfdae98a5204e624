/**
 * Batches job actions (remove, hold, release) per schedd: requests made within a short linger go out as one
 * call per action and reason, selected over the operator's jobs. Fire and forget: the tracker is nudged
 * afterwards and reconciles see the result in the next poll; an action that did not take effect is simply
 * requested again by the level-triggered reconcile.
 *
 * The same action on the same job is not sent twice within `repeatAfterMs` (the tracker needs a poll to
 * show its effect, and the reconcile asks again meanwhile). A release names the hold it releases: a new
 * hold of the same job is a new request, never swallowed as a repeat of the last one.
 */
import type { Logger } from 'pino';
import type { Clock, Timer } from '../runtime/clock.js';
import { Linger } from './linger.js';
import type { JobAction, JobRef, JobSelector, ScheddApi } from './schedd-api.js';
import { refKey } from './tracker.js';

/** One job (its id and HPCJob) or every job of an HPCJob by its uid. */
export type ActionTarget = { job: JobRef } | { uid: string };

export interface ActionOptions {
  operatorId: string;
  clock: Clock;
  log: Logger;
  /** Told after each flush (the tracker polls soon to see the effect; `full` when jobs left the queue). */
  onFlushed?: (o: { full: boolean }) => void;
  /** Quiet time after the last request before a batch goes out... */
  lingerMs?: number;
  /** ...but no request waits longer than this for its batch. */
  maxLingerMs?: number;
  /** Targets per call. */
  maxBatch?: number;
  repeatAfterMs?: number;
}

interface Group {
  action: JobAction;
  reason: string | undefined;
  targets: Map<string, { target: ActionTarget; recentKey: string }>;
}

const targetKey = (t: ActionTarget) => ('job' in t ? `j:${refKey(t.job)}` : `u:${t.uid}`);

export class ActionBatcher {
  readonly #api: ScheddApi;
  readonly #o: Required<Omit<ActionOptions, 'onFlushed'>> & Pick<ActionOptions, 'onFlushed'>;
  /** action + reason -> targets. */
  readonly #pending = new Map<string, Group>();
  /** Actions sent recently: action, target and instance -> when. */
  readonly #recent = new Map<string, number>();
  readonly #linger: Linger;
  /** Forgets sent actions once they can no longer be repeats (memory is not held per job for ever). */
  #pruner: Timer | undefined;
  #running: Promise<void> = Promise.resolve();
  #lastError: string | undefined;
  /** A condor_rm -forcex of this flush took jobs out of the queue. */
  #forcedOut = false;

  constructor(api: ScheddApi, o: ActionOptions) {
    this.#api = api;
    this.#o = { lingerMs: 100, maxLingerMs: 1000, maxBatch: 200, repeatAfterMs: 10_000, ...o };
    this.#linger = new Linger(this.#o.clock, this.#o, () => {
      this.#running = this.#running.then(() => this.#flush());
    });
  }

  get lastError(): string | undefined {
    return this.#lastError;
  }

  /**
   * Asks for `action` on `target`. `instance` tells requests for different occasions apart (for a release:
   * the time the hold began), so only true repeats are dropped. False for a repeat (dropped, or already waiting).
   */
  request(
    action: JobAction,
    target: ActionTarget,
    o: { reason?: string; instance?: string | number } = {},
  ): boolean {
    const recentKey = `${action}\0${targetKey(target)}\0${o.instance ?? ''}`;
    const sentAt = this.#recent.get(recentKey);
    if (sentAt !== undefined && this.#o.clock.now() - sentAt < this.#o.repeatAfterMs) return false;
    const k = `${action}\0${o.reason ?? ''}`;
    let group = this.#pending.get(k);
    if (!group) this.#pending.set(k, (group = { action, reason: o.reason, targets: new Map() }));
    const waiting = group.targets.get(targetKey(target))?.recentKey === recentKey;
    group.targets.set(targetKey(target), { target, recentKey });
    this.#linger.arm();
    return !waiting;
  }

  /** Requests waiting or sent recently (memory check). */
  memory(): Record<string, number> {
    let waiting = 0;
    for (const g of this.#pending.values()) waiting += g.targets.size;
    return { actionsWaiting: waiting, actionsRecent: this.#recent.size };
  }

  /** Waits for requests made so far to be sent (tests and shutdown); nothing is scheduled afterwards. */
  async drain(): Promise<void> {
    this.#pruner?.cancel();
    this.#pruner = undefined;
    if (this.#linger.cancel()) this.#running = this.#running.then(() => this.#flush());
    await this.#running;
  }

  async #flush(): Promise<void> {
    const groups = [...this.#pending.values()];
    this.#pending.clear();
    for (const g of groups) {
      const targets = [...g.targets.values()];
      for (let i = 0; i < targets.length; i += this.#o.maxBatch) {
        await this.#send(g, targets.slice(i, i + this.#o.maxBatch));
      }
    }
    this.#prune();
    this.#o.onFlushed?.({ full: this.#forcedOut });
    this.#forcedOut = false;
  }

  #prune(): void {
    const now = this.#o.clock.now();
    for (const [k, at] of this.#recent) if (now - at >= this.#o.repeatAfterMs) this.#recent.delete(k);
    if (this.#recent.size === 0 || this.#pruner) return;
    this.#pruner = this.#o.clock.after(this.#o.repeatAfterMs, () => {
      this.#pruner = undefined;
      this.#prune();
    });
  }

  async #send(g: Group, chunk: { target: ActionTarget; recentKey: string }[]): Promise<void> {
    const sel: JobSelector = {
      operator: this.#o.operatorId,
      jobs: chunk.flatMap(({ target }) => ('job' in target ? [target.job] : [])),
      uids: chunk.flatMap(({ target }) => ('uid' in target ? [target.uid] : [])),
    };
    // A request made while the call is on its way is a repeat too (its effect is not visible yet).
    const sentAt = this.#o.clock.now();
    for (const t of chunk) this.#recent.set(t.recentKey, sentAt);
    try {
      const changed = await this.#api.act(g.action, sel, g.reason);
      this.#o.log.debug({ schedd: this.#api.label, action: g.action, jobs: chunk.length }, 'job action sent');
      // Jobs left the queue at once: the tracker's next read must be a whole one to see them go.
      if ((g.action === 'forcex' || g.action === 'discard') && changed) this.#forcedOut = true;
      else if (g.action === 'forcex')
        this.#o.log.warn(
          { schedd: this.#api.label, jobs: sel.jobs?.map((j) => j.jobId) },
          'condor_rm -forcex matched no job in state X: HTCondor forces out only removed jobs (or they left already)',
        );
      this.#lastError = undefined;
      const now = this.#o.clock.now();
      for (const t of chunk) this.#recent.set(t.recentKey, now);
    } catch (e) {
      for (const t of chunk) if (this.#recent.get(t.recentKey) === sentAt) this.#recent.delete(t.recentKey);
      // The reconcile asks again while the job is not in the wanted state; just report it.
      this.#lastError = e instanceof Error ? e.message : String(e);
      this.#o.log.warn(
        { schedd: this.#api.label, action: g.action, jobs: chunk.length, err: this.#lastError },
        'job action failed',
      );
    }
  }
}
