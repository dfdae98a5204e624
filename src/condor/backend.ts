/**
 * Everything the operator does with one schedd, behind one narrow interface: a tracker (one condor_q per
 * tick), a submission coalescer and an action batcher. Controllers use `SchedulerBackends.for(target)`.
 */
import type { Logger } from 'pino';
import type { Metrics } from '../runtime/metrics.js';
import { ActionBatcher } from './actions.js';
import type { CondorCli } from './cli.js';
import { SubmitCoalescer } from './coalescer.js';
import { ScheddClient, type ScheddTarget } from './schedd.js';
import { JobTracker } from './tracker.js';

export interface BackendsOptions {
  cli: CondorCli;
  operatorId: string;
  log: Logger;
  metrics?: Metrics;
  /** An HPCJob (namespace/name) needs a reconcile: its job changed or its submission finished. */
  onChange: (ref: string) => void;
  /** A schedd became unreachable or reachable again. */
  onReachability?: (schedd: string, reachable: boolean) => void;
  tracker?: {
    minIntervalMs?: number;
    activeMaxIntervalMs?: number;
    maxIntervalMs?: number;
    absentAfterMs?: number;
  };
  coalescer?: { maxBatch?: number; lingerMs?: number; maxLingerMs?: number; maxInFlight?: number };
  /** Test-only failpoint, run right after a successful condor_submit and before anything is recorded. */
  afterSubmit?: () => void;
}

export class SchedulerBackend {
  readonly schedd: ScheddClient;
  readonly tracker: JobTracker;
  readonly submissions: SubmitCoalescer;
  readonly actions: ActionBatcher;

  constructor(target: ScheddTarget, o: BackendsOptions) {
    this.schedd = new ScheddClient(o.cli, target);
    const log = o.log.child({ schedd: this.schedd.label });
    this.tracker = new JobTracker(this.schedd, {
      operatorId: o.operatorId,
      log,
      metrics: o.metrics,
      onChange: o.onChange,
      onReachability: (reachable) => o.onReachability?.(this.schedd.label, reachable),
      ...o.tracker,
    });
    this.submissions = new SubmitCoalescer(this.schedd, this.tracker, {
      operatorId: o.operatorId,
      log,
      metrics: o.metrics,
      onDone: o.onChange,
      afterSubmit: o.afterSubmit,
      ...o.coalescer,
    });
    this.actions = new ActionBatcher(this.schedd, this.tracker, { operatorId: o.operatorId, log });
  }

  get name(): string {
    return this.schedd.label;
  }
}

/** One backend per schedd, made on first use (the default pool, and each VirtualCluster's). */
export class SchedulerBackends {
  readonly #o: BackendsOptions;
  readonly #backends = new Map<string, SchedulerBackend>();
  #started = false;

  constructor(o: BackendsOptions) {
    this.#o = o;
  }

  for(target: ScheddTarget): SchedulerBackend {
    const k = `${target.name ?? ''}\0${target.pool ?? ''}`;
    let b = this.#backends.get(k);
    if (!b) {
      b = new SchedulerBackend(target, this.#o);
      this.#backends.set(k, b);
      if (this.#started) b.tracker.start();
    }
    return b;
  }

  all(): SchedulerBackend[] {
    return [...this.#backends.values()];
  }

  start(): void {
    this.#started = true;
    for (const b of this.#backends.values()) b.tracker.start();
  }

  async stop(): Promise<void> {
    this.#started = false;
    await Promise.all(
      [...this.#backends.values()].map(async (b) => {
        await b.actions.drain();
        await b.tracker.stop();
      }),
    );
  }
}
