/**
 * Call lanes: each HTCondor daemon the operator talks to (a schedd, a collector), and each kind of call to it
 * (tracking, submitting, acting, fetching output, reading pilot slots), gets its own small bound of calls at
 * once. A call waits only for calls in its own lane, so a tenant's VirtualCluster whose collector or schedd
 * never answers holds its own lanes and nobody else's: the wait that one tenant can cause another is zero,
 * and within a lane it is bounded by the lane's size and the calls' timeouts (docs/reliability.md).
 *
 * Before, all calls shared one semaphore of 4: four VirtualClusters pointing at a black-holed collector held
 * every slot and stalled every tenant's submissions and tracking.
 */
import { Semaphore } from './semaphore.js';
import type { Clock } from '../runtime/clock.js';
import type {
  CallPurpose,
  CollectorApi,
  CondorConnector,
  JobAction,
  JobSelector,
  ScheddApi,
  ScheddTarget,
} from './schedd-api.js';
import type { SubmitJob, SubmitTable } from './submit-description.js';
import type { JobAd } from './parse.js';
import type { MatchAnalysis } from './match-analysis.js';

/** What a call is, for its lane: each kind has its own bound per daemon. */
export type CallKind = 'track' | 'submit' | 'act' | 'logs' | 'probe' | 'pilots' | 'analyze' | 'tail';

/** Calls at once per daemon and kind. Submissions are one at a time (the coalescer batches behind them). */
export const LANE_SIZES: Readonly<Record<CallKind, number>> = {
  track: 1,
  submit: 1,
  act: 2,
  logs: 1,
  probe: 1,
  pilots: 1,
  analyze: 1,
  // One-shot condor_tail for `kubectl hpc logs` of a running step (followers are bounded by their own pool).
  tail: 2,
};

export interface LaneWait {
  lane: string;
  waitedMs: number;
}

export class Lanes {
  readonly #clock: Clock;
  readonly #lanes = new Map<string, { sem: Semaphore; users: number }>();
  readonly #onWait: ((w: LaneWait) => void) | undefined;

  constructor(o: { clock: Clock; onWait?: (w: LaneWait) => void }) {
    this.#clock = o.clock;
    this.#onWait = o.onWait;
  }

  /** Runs `fn` once `lane` has room. A lane with nobody in it is dropped (tenants come and go). */
  async run<T>(lane: string, kind: CallKind, fn: () => Promise<T>): Promise<T> {
    let l = this.#lanes.get(lane);
    if (!l) this.#lanes.set(lane, (l = { sem: new Semaphore(LANE_SIZES[kind]), users: 0 }));
    l.users++;
    const asked = this.#clock.now();
    const release = await l.sem.acquire();
    this.#onWait?.({ lane, waitedMs: this.#clock.now() - asked });
    try {
      return await fn();
    } finally {
      release();
      if (--l.users === 0) this.#lanes.delete(lane);
    }
  }

  /** Lanes in use (memory held per daemon is released with its last call). */
  get size(): number {
    return this.#lanes.size;
  }
}

export const scheddLane = (t: ScheddTarget, kind: CallKind): string =>
  `schedd:${t.pool ?? ''}/${t.name ?? ''}/${kind}`;

class LanedSchedd implements ScheddApi {
  constructor(
    readonly inner: ScheddApi,
    readonly target: ScheddTarget,
    readonly lanes: Lanes,
  ) {}

  get label(): string {
    return this.inner.label;
  }

  #run<T>(kind: CallKind, fn: () => Promise<T>): Promise<T> {
    return this.lanes.run(scheddLane(this.target, kind), kind, fn);
  }

  submit(jobs: readonly SubmitJob[]): Promise<string[]> {
    return this.#run('submit', () => this.inner.submit(jobs));
  }

  submitTable(table: SubmitTable): Promise<string[]> {
    return this.#run('submit', () => this.inner.submitTable(table));
  }
  query(
    sel: JobSelector,
    attributes: readonly string[],
    purpose: CallPurpose,
    onAd?: (ad: JobAd) => void,
  ): Promise<JobAd[]> {
    // The adoption check runs right before a submission, in the submission's lane.
    return this.#run(purpose === 'adopt' ? 'submit' : 'track', () =>
      this.inner.query(sel, attributes, purpose, onAd),
    );
  }
  history(sel: JobSelector, attributes: readonly string[], o: { limit?: number }): Promise<JobAd[]> {
    return this.#run('track', () => this.inner.history(sel, attributes, o));
  }
  act(action: JobAction, sel: JobSelector, reason?: string): Promise<boolean> {
    return this.#run('act', () => this.inner.act(action, sel, reason));
  }
  acknowledge(sel: JobSelector): Promise<boolean> {
    return this.#run('act', () => this.inner.acknowledge(sel));
  }
  transferData(sel: JobSelector): Promise<void> {
    return this.#run('logs', () => this.inner.transferData(sel));
  }
  ping(): Promise<void> {
    return this.#run('probe', () => this.inner.ping());
  }
  analyze(sel: JobSelector): Promise<MatchAnalysis | undefined> {
    return this.#run('analyze', () => this.inner.analyze(sel));
  }
}

class LanedCollector implements CollectorApi {
  constructor(
    readonly inner: CollectorApi,
    readonly lanes: Lanes,
  ) {}

  get label(): string {
    return this.inner.label;
  }

  pilotSlots(virtualCluster: string, attributes: readonly string[]): Promise<JobAd[]> {
    return this.lanes.run(`collector:${this.inner.label}`, 'pilots', () =>
      this.inner.pilotSlots(virtualCluster, attributes),
    );
  }
}

/** The same connector with every call put in its lane. */
export function lanedConnector(inner: CondorConnector, lanes: Lanes): CondorConnector {
  return {
    schedd: (target) => new LanedSchedd(inner.schedd(target), target, lanes),
    collector: (pool) => new LanedCollector(inner.collector(pool), lanes),
  };
}
