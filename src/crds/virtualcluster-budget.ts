/**
 * An allocation's budget: core-hours (and GPU-hours) per period, as HPC allocations are granted, and what its
 * status shows of it. Autoscaling never sends a pilot that the budget could not pay for to its walltime.
 */
import { dateTime, enumOf, int, obj, str, withRules } from './schema.js';

export const BUDGET_PERIODS = ['Daily', 'Weekly', 'Monthly'] as const;
export type BudgetPeriod = (typeof BUDGET_PERIODS)[number];
export const BUDGET_DEFAULT_PERIOD: BudgetPeriod = 'Monthly';

export const budgetSchema = withRules(
  obj(
    {
      coreHours: int({
        description: "Core-hours the allocation's pilots may use per period (cores x hours each pilot runs).",
        minimum: 0,
        maximum: 1_000_000_000,
      }),
      gpuHours: int({
        description: "GPU-hours the allocation's pilots may use per period.",
        minimum: 0,
        maximum: 1_000_000_000,
      }),
      period: enumOf(BUDGET_PERIODS, {
        description:
          'The period a budget is for, in UTC: Daily from midnight, Weekly from Monday, Monthly from the first.',
        default: BUDGET_DEFAULT_PERIOD,
      }),
    },
    {
      description:
        "Core- and GPU-hours the allocation's pilots may use per period, read from the batch system's accounting. Autoscaling sends no pilot the rest of the period could not pay for to its walltime.",
    },
  ),
  [
    {
      rule: 'has(self.coreHours) || has(self.gpuHours)',
      message: 'budget needs coreHours or gpuHours',
      fieldPath: '.coreHours',
    },
  ],
);

/** Hours are shown with one decimal (a string: the API has no floats). */
const HOURS_PATTERN = '^[0-9]+(\\.[0-9])?$';

export const budgetStatusSchema = obj(
  {
    periodStart: dateTime({ description: 'Start of the current budget period.' }),
    coreHoursUsed: str({
      description: 'Core-hours used this period, running pilots included, from the batch accounting.',
      pattern: HOURS_PATTERN,
      maxLength: 16,
    }),
    gpuHoursUsed: str({ description: 'GPU-hours used this period.', pattern: HOURS_PATTERN, maxLength: 16 }),
    coreHours: int({ description: 'The core-hour budget (from the spec).', minimum: 0 }),
    gpuHours: int({ description: 'The GPU-hour budget (from the spec).', minimum: 0 }),
  },
  { description: "The allocation's budget and its use this period (when it has a budget)." },
);

/** "12.5" from 12.46. */
export function hoursText(hours: number): string {
  return (Math.round(hours * 10) / 10).toFixed(1).replace(/\.0$/, '');
}
