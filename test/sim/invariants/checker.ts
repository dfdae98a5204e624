/**
 * Wires the invariants to the models: listens to commits, acknowledgements and HPCJob and HPCJobSet writes, samples the
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
import { checkCleanup, checkLiveness, checkMemory, checkStuckRemovals } from './final.js';
import { checkPilotStart, checkTokensLeft, checkTokensRemoved } from './tokens.js';
import type { Pilot } from '../site/site-model.js';
import { VC_FINALIZER } from '../../../src/controllers/virtualcluster/reasons.js';
import { SetWrites, checkSetCleanup, checkSetLiveness } from './sets.js';

export class Checker implements CondorListener, StoreListener {
  violation: Violation | undefined;
  readonly fairness: FairnessMonitor;
  readonly setWrites: SetWrites;
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
    /** pilot-token-removed's bound (ms). */
    readonly tokenRemovalBoundMs = Infinity,
  ) {
    this.fairness = new FairnessMonitor(ctx, this.report, fairnessBoundMs);
    this.setWrites = new SetWrites(ctx, this.report);
  }

  onCommit(jobs: readonly SimJob[], caller: Caller): void {
    for (const j of jobs) this.ctx.ledger.record(j, this.ctx.now());
    for (const j of jobs) checkCommit(this.ctx, this.report, j, caller);
    for (const j of jobs) this.setWrites.onCommit(j);
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
    if (kind === 'virtualclusters' && before && who !== USER) return this.#vcWrite(before, after);
    if (kind === 'virtualclusters' || who === USER) return;
    const statusChanged =
      after &&
      JSON.stringify((before as { status?: unknown } | undefined)?.status) !==
        JSON.stringify((after as { status?: unknown }).status);
    if (statusChanged && kind === 'hpcjobs') checkStatusWrite(this.ctx, this.report, before, after);
    if (statusChanged && kind === 'hpcjobsets') this.setWrites.onStatusWrite(before, after, who);
    if (before) checkFinalizerRemoval(this.ctx, this.report, before, after);
    if (before && !after) this.setWrites.forget(before.metadata.uid as string);
  }

  /** A VirtualCluster's finalizer removed: nothing it minted may be left on a site. */
  #vcWrite(before: KubeObject, after: KubeObject | undefined): void {
    const had = before.metadata.finalizers?.includes(VC_FINALIZER);
    if (!had || after?.metadata.finalizers?.includes(VC_FINALIZER)) return;
    checkTokensLeft(this.ctx, this.report, `${before.metadata.namespace}/${before.metadata.name}`);
  }

  /** A pilot with a token of its own starts on `host`. */
  pilotStarted(host: string, p: Pilot, token: string | undefined): void {
    checkPilotStart(this.ctx, this.report, host, p, token, this.fairness.leaderSince);
  }

  /** Every few seconds of virtual time. */
  tick(): void {
    this.fairness.check();
    checkTokensRemoved(this.ctx, this.report, this.tokenRemovalBoundMs, this.fairness.leaderSince);
  }

  liveness(): void {
    checkLiveness(this.ctx, this.report);
    checkSetLiveness(this.ctx, this.report);
  }

  /** At the end of the cleanup wait, before the memory settles. */
  stuckRemovals(): void {
    checkStuckRemovals(this.ctx, this.report);
  }

  cleanup(): void {
    checkCleanup(this.ctx, this.report);
    checkSetCleanup(this.ctx, this.report);
    checkMemory(this.ctx, this.report);
  }
}
