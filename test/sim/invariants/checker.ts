/**
 * Wires the invariants to the models: listens to commits, acknowledgements and HPCJob writes, samples the
 * fairness monitor, and keeps the first violation (which stops the run).
 */
import type { Caller } from '../net.js';
import type { SimJob } from '../condor/job.js';
import type { CondorListener } from '../condor/schedd-model.js';
import type { StoreListener } from '../kube/store.js';
import { USER } from '../kube/user.js';
import type { KubeObject } from '../../../src/runtime/kube-api.js';
import {
  checkAcknowledge,
  checkCommit,
  checkFinalizerRemoval,
  checkLateSuccess,
  checkStatusWrite,
} from './checks.js';
import type { CheckContext, Violation } from './context.js';
import { FairnessMonitor } from './fairness.js';
import { checkCleanup, checkLiveness, checkMemory } from './final.js';

export class Checker implements CondorListener, StoreListener {
  violation: Violation | undefined;
  readonly fairness: FairnessMonitor;
  readonly report = (invariant: string, message: string): void => {
    if (this.violation) return;
    // A known violation being ignored (--ignore): counted, and the run goes on to find others.
    if (this.ignore.has(invariant)) return this.ctx.count(`ignored ${invariant}`);
    this.violation = { at: this.ctx.now(), invariant, message };
  };

  constructor(
    readonly ctx: CheckContext,
    fairnessBoundMs: number,
    readonly ignore: ReadonlySet<string> = new Set(),
  ) {
    this.fairness = new FairnessMonitor(ctx, this.report, fairnessBoundMs);
  }

  onCommit(jobs: readonly SimJob[], caller: Caller): void {
    for (const j of jobs) this.ctx.ledger.record(j, this.ctx.now());
    for (const j of jobs) checkCommit(this.ctx, this.report, j, caller);
  }

  onChange(job: SimJob, what: string): void {
    if (what === 'Completed') checkLateSuccess(this.ctx, this.report, job);
  }

  onAcknowledge(job: SimJob): void {
    checkAcknowledge(this.ctx, this.report, job);
  }

  onWipe(_schedd: string, queue: readonly SimJob[], history: readonly SimJob[]): void {
    this.ctx.ledger.wipedOut(queue, history);
  }

  onWrite(kind: string, before: KubeObject | undefined, after: KubeObject | undefined, who: string): void {
    if (kind !== 'hpcjobs' || who === USER) return;
    if (
      after &&
      JSON.stringify((before as { status?: unknown } | undefined)?.status) !==
        JSON.stringify((after as { status?: unknown }).status)
    )
      checkStatusWrite(this.ctx, this.report, before, after);
    if (before) checkFinalizerRemoval(this.ctx, this.report, before, after);
  }

  liveness(): void {
    checkLiveness(this.ctx, this.report);
  }

  cleanup(): void {
    checkCleanup(this.ctx, this.report);
    checkMemory(this.ctx, this.report);
  }
}
