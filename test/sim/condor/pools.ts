/**
 * The HTCondor side of the world: the schedds by name (`local` is the operator's default), the collectors by
 * pool (`local` is the default pool, others are VirtualClusters' collectorHost), and the tools' timeouts.
 * A collector can be down (tools fail at once) or black-holed (tools hang until their timeout); a schedd
 * addressed through a pool is located through that pool's collector, so it shares the collector's fate.
 */
import type { JobAd } from '../../../src/condor/parse.js';
import type { ScheddTarget } from '../../../src/condor/schedd-api.js';
import type { Scheduler } from '../scheduler.js';
import type { Trace } from '../trace.js';
import type { ScheddModel } from './schedd-model.js';

export interface CondorTimeouts {
  /** condor_submit (the model's timeout: a submit may commit and then time out). */
  submit: number;
  /** condor_q, condor_history, condor_rm/hold/release, condor_qedit. */
  query: number;
  transfer: number;
  /** condor_status against a collector. */
  status: number;
}

export const LOCAL = 'local';

export class CollectorModel {
  downUntil = 0;
  blackholeUntil = 0;

  constructor(
    readonly label: string,
    readonly sched: Scheduler,
    readonly trace: Trace,
    readonly slots: (virtualCluster: string) => JobAd[],
  ) {}

  get down(): boolean {
    return this.sched.now() < this.downUntil;
  }

  get blackholed(): boolean {
    return this.sched.now() < this.blackholeUntil;
  }

  goDown(ms: number): void {
    this.downUntil = Math.max(this.downUntil, this.sched.now() + ms);
    this.trace.add(`cm:${this.label}`, 'fault', `collector down for ${ms} ms`);
  }

  blackhole(ms: number): void {
    this.blackholeUntil = Math.max(this.blackholeUntil, this.sched.now() + ms);
    this.trace.add(
      `cm:${this.label}`,
      'fault',
      `collector black-holed for ${ms} ms (calls hang until their timeout)`,
    );
  }
}

export class CondorWorld {
  readonly schedds = new Map<string, ScheddModel>();
  readonly collectors = new Map<string, CollectorModel>();

  constructor(readonly timeouts: CondorTimeouts) {}

  scheddOf(target: ScheddTarget): ScheddModel | undefined {
    return this.schedds.get(target.name || LOCAL);
  }

  collectorOf(pool: string | undefined): CollectorModel | undefined {
    return this.collectors.get(pool || LOCAL);
  }

  /** Whether calls to `target` are served normally now (the fairness check needs this). */
  healthy(target: ScheddTarget): boolean {
    const s = this.scheddOf(target);
    const c = this.collectorOf(target.pool);
    return !!s && !!c && !s.down && !c.down && !c.blackholed;
  }
}
