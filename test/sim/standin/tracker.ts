/**
 * STAND-IN: polls each schedd in use for all of this operator's jobs and indexes what it saw by
 * (HPCJobUID, HPCJobAttempt), never by job id alone (ids are reused after a spool wipe). A poll that started
 * after a job was submitted and did not see it is evidence that the job left the queue.
 */
import type { JobAd } from '../../../src/condor/parse.js';
import type { CondorConnector, ScheddTarget } from '../../../src/condor/schedd-api.js';
import { scheddLabel } from '../../../src/condor/schedd-api.js';
import { Tag, TRACKED_ATTRIBUTES } from '../../../src/condor/tags.js';
import type { Clock, Timer } from '../../../src/runtime/clock.js';

const POLL_MS = 5_000;

export interface Snapshot {
  startedAt: number;
  ads: Map<string, JobAd>;
}

interface Target {
  target: ScheddTarget;
  users: Set<string>;
  last?: Snapshot;
  timer?: Timer;
  polling: boolean;
}

export const attemptKey = (uid: string, attempt: number): string => `${uid}#${attempt}`;

export class Tracker {
  readonly #targets = new Map<string, Target>();
  #stopped = false;

  constructor(
    readonly clock: Clock,
    readonly condor: CondorConnector,
    readonly operator: string,
    readonly onPoll: (users: readonly string[]) => void,
  ) {}

  /** `user` (an HPCJob key) needs `target` polled; returns the last snapshot of it. */
  use(target: ScheddTarget, user: string): Snapshot | undefined {
    const label = scheddLabel(target);
    let t = this.#targets.get(label);
    if (!t) {
      t = { target, users: new Set(), polling: false };
      this.#targets.set(label, t);
      this.#schedule(label, 0);
    }
    t.users.add(user);
    return t.last;
  }

  /** `user` no longer needs any target; targets nobody uses are dropped. */
  release(user: string): void {
    for (const [label, t] of this.#targets) {
      t.users.delete(user);
      if (t.users.size) continue;
      t.timer?.cancel();
      this.#targets.delete(label);
    }
  }

  stop(): void {
    this.#stopped = true;
    for (const t of this.#targets.values()) t.timer?.cancel();
    this.#targets.clear();
  }

  get size(): number {
    let n = this.#targets.size;
    for (const t of this.#targets.values()) n += t.last?.ads.size ?? 0;
    return n;
  }

  #schedule(label: string, ms: number): void {
    const t = this.#targets.get(label);
    if (!t || this.#stopped) return;
    t.timer = this.clock.after(ms, () => void this.#poll(label));
  }

  async #poll(label: string): Promise<void> {
    const t = this.#targets.get(label);
    if (!t || t.polling) return;
    t.polling = true;
    const startedAt = this.clock.now();
    try {
      const ads = await this.condor
        .schedd(t.target)
        .query({ operator: this.operator }, TRACKED_ATTRIBUTES, 'track');
      const byAttempt = new Map<string, JobAd>();
      for (const ad of ads) {
        const uid = ad[Tag.JobUID];
        const attempt = ad[Tag.Attempt];
        if (typeof uid === 'string' && typeof attempt === 'number')
          byAttempt.set(attemptKey(uid, attempt), ad);
      }
      if (this.#targets.get(label) === t) t.last = { startedAt, ads: byAttempt };
      this.onPoll([...t.users]);
    } catch {
      // Unreachable: keep the last snapshot; the next poll tries again.
    } finally {
      t.polling = false;
      this.#schedule(label, POLL_MS);
    }
  }
}
