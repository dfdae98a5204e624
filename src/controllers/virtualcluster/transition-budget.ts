/**
 * An allocation's budget in one pass (pure): what its status shows (used this period, the limits) and how
 * many more pilots may be sent, from the accounting records the observer read and the pilots listed now.
 */
import type { Allocation, AllocationStatus } from '../../crds/virtualcluster.js';
import { BUDGET_DEFAULT_PERIOD, hoursText } from '../../crds/virtualcluster-budget.js';
import { WORKER_DEFAULTS } from '../../crds/virtualcluster.js';
import { rfc3339 } from '../../runtime/conditions.js';
import { budgetView } from './budget.js';
import type { PlaceView } from './model.js';
import { active } from './places.js';

export interface BudgetOutcome {
  status: NonNullable<AllocationStatus['budget']>;
  /** More pilots that may be sent now. */
  room: number;
  /** Why no more may be sent, when that holds pilots back (unknown: the accounting was never read). */
  state: 'within' | 'exhausted' | 'unknown';
  message: string;
}

/** GPUs per pilot. */
function gpusOf(a: Allocation): number {
  return a.workers?.gpus ?? WORKER_DEFAULTS.gpus;
}

export function allocationBudget(
  a: Allocation,
  v: Extract<PlaceView, { kind: 'listed' }>,
  x: { prefix: string; nowMs: number; walltimeSeconds: number; wantedMore: number },
): BudgetOutcome | undefined {
  const b = a.budget;
  if (!b) return undefined;
  const limits = {
    ...(b.coreHours !== undefined ? { coreHours: b.coreHours } : {}),
    ...(b.gpuHours !== undefined ? { gpuHours: b.gpuHours } : {}),
  };
  if (!v.usage) {
    const why = v.usageError ? `: ${v.usageError}` : ' yet';
    return {
      status: limits,
      room: 0,
      state: 'unknown',
      message: `allocation ${a.name}: the batch accounting could not be read${why}; no pilot is sent until it is`,
    };
  }
  const pilot = {
    cores: a.workers?.cores ?? WORKER_DEFAULTS.cores,
    gpus: gpusOf(a),
    walltimeHours: x.walltimeSeconds / 3600,
  };
  const view = budgetView(
    { coreHours: b.coreHours, gpuHours: b.gpuHours, period: b.period ?? BUDGET_DEFAULT_PERIOD },
    v.usage,
    { prefix: x.prefix, active: new Set(active(v.jobs).map((j) => j.name)), nowMs: x.nowMs, pilot },
  );
  const status = {
    ...limits,
    periodStart: rfc3339(new Date(view.periodStartMs)),
    coreHoursUsed: hoursText(view.used.coreHours),
    ...(b.gpuHours !== undefined ? { gpuHoursUsed: hoursText(view.used.gpuHours) } : {}),
  };
  const used = [
    b.coreHours !== undefined ? `${status.coreHoursUsed} of ${b.coreHours} core-hours` : '',
    b.gpuHours !== undefined ? `${status.gpuHoursUsed ?? '0'} of ${b.gpuHours} GPU-hours` : '',
  ]
    .filter(Boolean)
    .join(', ');
  const exhausted = x.wantedMore > view.room;
  const message = exhausted
    ? `allocation ${a.name}: ${used} used since ${status.periodStart}; ${view.room} more pilot(s) of ${pilot.cores} core(s) x ${hoursText(pilot.walltimeHours)}h fit, ${x.wantedMore} wanted`
    : `allocation ${a.name}: ${used} used since ${status.periodStart}`;
  return { status, room: view.room, state: exhausted ? 'exhausted' : 'within', message };
}
