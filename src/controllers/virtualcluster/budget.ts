/**
 * Allocation budgets (pure): what the allocation's pilots used in the current period, read from the batch
 * system's accounting, and how many more pilots fit in what is left. Autoscaling stops before a budget runs
 * out: every active pilot is counted at its whole walltime (it may run that long), so the pilots sent can
 * never spend more than the budget even if they all run to the end.
 */
import type { UsageRecord } from '../../sites/accounting.js';

import type { BudgetPeriod } from '../../crds/virtualcluster-budget.js';

export type { BudgetPeriod };

export interface Budget {
  coreHours?: number;
  gpuHours?: number;
  period: BudgetPeriod;
}

export interface Usage {
  coreHours: number;
  gpuHours: number;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Where the period that holds `nowMs` began (UTC; weeks begin on Monday). */
export function periodStartMs(period: BudgetPeriod, nowMs: number): number {
  const d = new Date(nowMs);
  const day = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  if (period === 'Daily') return day;
  if (period === 'Weekly') return day - ((d.getUTCDay() + 6) % 7) * DAY_MS;
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

/**
 * Core- and GPU-hours the pilots named `prefix...` used from `fromMs` to `nowMs` (the part of each pilot's run
 * inside the period; one record per pilot, a finished one over a running one of the same name).
 */
export function usageOf(
  records: readonly UsageRecord[],
  prefix: string,
  fromMs: number,
  nowMs: number,
): Usage {
  const byName = new Map<string, UsageRecord>();
  for (const r of records) {
    if (!r.name.startsWith(prefix)) continue;
    const seen = byName.get(r.name);
    if (!seen || (seen.endMs === undefined && r.endMs !== undefined)) byName.set(r.name, r);
  }
  const used: Usage = { coreHours: 0, gpuHours: 0 };
  for (const r of byName.values()) {
    const ms = Math.max(0, Math.min(r.endMs ?? nowMs, nowMs) - Math.max(r.startMs, fromMs));
    used.coreHours += (r.cpus * ms) / HOUR_MS;
    used.gpuHours += (r.gpus * ms) / HOUR_MS;
  }
  return used;
}

export interface PilotCost {
  cores: number;
  gpus: number;
  walltimeHours: number;
}

/**
 * How many more pilots fit: the budget less what ended pilots used, less the whole walltime of each of the
 * `active` ones (they may run that long). Infinity when the budget limits nothing.
 */
export function pilotsWithinBudget(b: Budget, ended: Usage, active: number, pilot: PilotCost): number {
  const fits = (limit: number | undefined, used: number, per: number): number => {
    if (limit === undefined || per <= 0) return Infinity;
    return Math.max(0, Math.floor((limit - used) / per + 1e-9) - active);
  };
  return Math.min(
    fits(b.coreHours, ended.coreHours, pilot.cores * pilot.walltimeHours),
    fits(b.gpuHours, ended.gpuHours, pilot.gpus * pilot.walltimeHours),
  );
}

export interface BudgetView {
  /** Used this period so far, running pilots included (what status shows). */
  used: Usage;
  periodStartMs: number;
  /** More pilots that may be sent now. */
  room: number;
}

/** The budget of one allocation this pass, from its accounting records and its active pilots' names. */
export function budgetView(
  b: Budget,
  records: readonly UsageRecord[],
  x: { prefix: string; active: ReadonlySet<string>; nowMs: number; pilot: PilotCost },
): BudgetView {
  const from = periodStartMs(b.period, x.nowMs);
  // A pilot no longer active that the accounting (read a little earlier) still shows running ended since:
  // counted as having run until now.
  const ended = records
    .filter((r) => !x.active.has(r.name))
    .map((r) => (r.endMs === undefined ? { ...r, endMs: x.nowMs } : r));
  return {
    used: usageOf(records, x.prefix, from, x.nowMs),
    periodStartMs: from,
    room: pilotsWithinBudget(b, usageOf(ended, x.prefix, from, x.nowMs), x.active.size, x.pilot),
  };
}
