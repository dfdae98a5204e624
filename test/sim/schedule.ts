/**
 * Runs one schedule through its phases: chaos (the plan's user actions and faults, replicas crashing), heal
 * (until every HPCJob reached a final phase: liveness), clean up (the user deletes everything; nothing may be
 * left behind, and the operator's memory falls back). Invariants are checked all along; the first violation
 * ends the run. The result carries the trace and the command that replays the seed.
 */
import type { HPCJob } from '../../src/crds/hpcjob.js';
import { FINAL_PHASES } from '../../src/crds/hpcjob.js';
import { FINAL_SET_PHASES, type HPCJobSet } from '../../src/crds/hpcjobset.js';
import type { KubeObject } from '../../src/runtime/kube-api.js';
import type { Violation } from './invariants/context.js';
import { isLive } from './invariants/ledger.js';
import { startReplica, type OperatorFactory } from './operator-hook.js';
import type { Plan } from './plan.js';
import { MINUTE } from './plan.js';
import { Replicas } from './replicas.js';
import { deleteEverything, heal, scheduleTimeline } from './script.js';
import { World } from './world.js';
import { RESOURCE_KINDS } from './kube/store.js';
import { guardRealTime } from './guard.js';

/**
 * After everything is gone, the operator gets up to this long to let go of per-job memory (the real
 * operator drops an unused schedd backend after 10 idle minutes); the run ends as soon as it has.
 */
const SETTLE_MS = 15 * MINUTE;

export interface ScheduleOptions {
  traceAll?: boolean;
  factory?: OperatorFactory;
  fairnessBoundMs?: number;
  /** Invariants only counted, not failing the run (run.ts --ignore). */
  ignore?: readonly string[];
}

export interface Result {
  seed: number;
  violation?: Violation;
  /** The trace (the last entries, or all with traceAll). */
  trace: string;
  steps: number;
  virtualMs: number;
  worstTrackingGapMs: number;
  /** What happened, for the hunt's coverage summary. */
  counts: Record<string, number>;
}

export async function runSchedule(plan: Plan, o: ScheduleOptions = {}): Promise<Result> {
  const w = new World(plan, {
    traceAll: o.traceAll ?? false,
    fairnessBoundMs: o.fairnessBoundMs,
    ignore: o.ignore,
  });
  const replicas = new Replicas(w, o.factory ?? startReplica);
  const t0 = w.sched.now();
  const stopped = (): boolean => {
    const u = w.sched.uncaught.shift();
    if (u)
      w.checker.report(
        'no-uncaught-exception',
        `${u.owner ?? 'a model'} threw from a timer or callback: ${u.error instanceof Error ? (u.error.stack ?? u.error.message) : String(u.error)}`,
      );
    return w.checker.violation !== undefined;
  };
  const unguard = guardRealTime(w.checker.report);
  try {
    await phases(w, replicas, plan, stopped);
  } finally {
    unguard();
  }
  if (w.checker.violation)
    w.trace.add(
      'check',
      'check',
      `VIOLATION ${w.checker.violation.invariant}: ${w.checker.violation.message}`,
    );
  return {
    seed: plan.seed,
    violation: w.checker.violation,
    trace: w.trace.format(),
    steps: w.sched.steps,
    virtualMs: w.sched.now() - t0,
    worstTrackingGapMs: w.checker.fairness.worstGapMs,
    counts: counts(w),
  };
}

async function phases(w: World, replicas: Replicas, plan: Plan, stopped: () => boolean): Promise<void> {
  const t0 = w.sched.now();
  scheduleTimeline(w, replicas);
  for (let i = 0; i < plan.replicas; i++) replicas.start();

  await w.sched.run({ until: t0 + plan.chaosMs, stop: stopped });
  if (!stopped()) {
    heal(w, replicas);
    await w.sched.run({ until: w.sched.now() + plan.healMaxMs, stop: () => stopped() || settled(w) });
    if (!stopped()) w.checker.liveness();
    for (const o of w.api.store.list('hpcjobs'))
      w.trace.count(
        o.metadata.deletionTimestamp
          ? 'HPCJob still being deleted after healing'
          : `HPCJob ended ${(o as HPCJob).status?.phase ?? 'without status'}`,
      );
    for (const o of w.api.store.list('hpcjobsets'))
      w.trace.count(
        o.metadata.deletionTimestamp
          ? 'HPCJobSet still being deleted after healing'
          : `HPCJobSet ended ${(o as HPCJobSet).status?.phase ?? 'without status'}`,
      );
  }
  if (!stopped()) {
    deleteEverything(w);
    await w.sched.run({ until: w.sched.now() + plan.cleanupMaxMs, stop: () => stopped() || empty(w) });
    if (!stopped()) w.checker.stuckRemovals();
    if (!stopped())
      await w.sched.run({ until: w.sched.now() + SETTLE_MS, stop: () => stopped() || released(w) });
    if (!stopped()) w.checker.cleanup();
  }
}

function counts(w: World): Record<string, number> {
  const c = Object.fromEntries(w.trace.counts);
  c['jobs committed'] = w.ledger.jobs.length;
  c['jobs lost to a spool wipe'] = w.ledger.wiped.size;
  c['409 conflicts'] = w.api.store.conflicts;
  c['410 Gone on watch'] = RESOURCE_KINDS.reduce((n, k) => n + w.api.store.hubs[k].gone, 0);
  c['schedules'] = 1;
  return c;
}

/** Every HPCJob and HPCJobSet reached a final phase and left no live job. */
function settled(w: World): boolean {
  const done = (o: KubeObject, phase: string | undefined, finals: readonly string[]) =>
    !!o.metadata.deletionTimestamp ||
    (!!phase && finals.includes(phase) && !w.ledger.queued(o.metadata.uid as string).some(isLive));
  return (
    w.api.store.list('hpcjobs').every((o) => done(o, (o as HPCJob).status?.phase, FINAL_PHASES)) &&
    w.api.store.list('hpcjobsets').every((o) => done(o, (o as HPCJobSet).status?.phase, FINAL_SET_PHASES))
  );
}

/** Every live replica's diagnostics are back at their baseline. */
function released(w: World): boolean {
  return w.replicas.every(
    (r) =>
      !r.alive ||
      !r.operator ||
      Object.entries(r.operator.diagnostics()).every(([k, v]) => v <= (r.baseline?.[k] ?? 0)),
  );
}

function empty(w: World): boolean {
  return RESOURCE_KINDS.every((k) => w.api.store.list(k).length === 0);
}
