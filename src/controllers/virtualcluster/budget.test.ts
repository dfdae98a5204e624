import { budgetView, periodStartMs, pilotsWithinBudget, usageOf } from './budget.js';

const at = (iso: string) => Date.parse(iso);
const H = 3_600_000;
const NOW = at('2026-12-03T12:00:00Z'); // a Thursday

describe('budget periods', () => {
  it('begin at midnight UTC, on Monday, or on the first of the month', () => {
    expect(periodStartMs('Daily', NOW)).toBe(at('2026-12-03T00:00:00Z'));
    expect(periodStartMs('Weekly', NOW)).toBe(at('2026-11-30T00:00:00Z'));
    expect(periodStartMs('Weekly', at('2026-12-06T23:59:00Z'))).toBe(at('2026-11-30T00:00:00Z'));
    expect(periodStartMs('Monthly', NOW)).toBe(at('2026-12-01T00:00:00Z'));
  });
});

describe('usageOf', () => {
  it('counts our pilots only, the part of each run inside the period, running ones up to now', () => {
    const u = usageOf(
      [
        { name: 'hpx-1', cpus: 4, gpus: 1, startMs: NOW - 3 * H, endMs: NOW - H },
        { name: 'hpx-2', cpus: 2, gpus: 0, startMs: NOW - 30 * H, endMs: NOW - 10 * H }, // 2 h of it today
        { name: 'hpx-3', cpus: 1, gpus: 2, startMs: NOW - H },
        { name: 'other', cpus: 64, gpus: 8, startMs: NOW - 5 * H, endMs: NOW },
      ],
      'hpx-',
      periodStartMs('Daily', NOW),
      NOW,
    );
    expect(u).toEqual({ coreHours: 8 + 4 + 1, gpuHours: 2 + 2 });
  });

  it('takes a pilot once when both the queue and accounting list it', () => {
    const u = usageOf(
      [
        { name: 'hpx-1', cpus: 1, gpus: 0, startMs: NOW - 2 * H },
        { name: 'hpx-1', cpus: 1, gpus: 0, startMs: NOW - 2 * H, endMs: NOW - H },
      ],
      'hpx-',
      0,
      NOW,
    );
    expect(u.coreHours).toBe(1);
  });
});

describe('pilotsWithinBudget', () => {
  const pilot = { cores: 4, gpus: 1, walltimeHours: 2 };

  it('counts each active pilot at its whole walltime', () => {
    // 100 - 60 = 40 core-hours left; 8 per pilot: 5, less 2 active.
    expect(
      pilotsWithinBudget({ coreHours: 100, period: 'Monthly' }, { coreHours: 60, gpuHours: 0 }, 2, pilot),
    ).toBe(3);
  });

  it('is 0 once the budget is spent or committed, never negative', () => {
    expect(
      pilotsWithinBudget({ coreHours: 100, period: 'Monthly' }, { coreHours: 99, gpuHours: 0 }, 0, pilot),
    ).toBe(0);
    expect(
      pilotsWithinBudget({ coreHours: 100, period: 'Monthly' }, { coreHours: 90, gpuHours: 0 }, 3, pilot),
    ).toBe(0);
  });

  it('takes the tighter of core- and GPU-hours, and ignores what is not limited', () => {
    const b = { coreHours: 1000, gpuHours: 5, period: 'Daily' as const };
    expect(pilotsWithinBudget(b, { coreHours: 0, gpuHours: 0 }, 0, pilot)).toBe(2);
    expect(pilotsWithinBudget({ period: 'Daily' }, { coreHours: 1e9, gpuHours: 1e9 }, 0, pilot)).toBe(
      Infinity,
    );
    expect(
      pilotsWithinBudget({ gpuHours: 5, period: 'Daily' }, { coreHours: 0, gpuHours: 0 }, 0, {
        ...pilot,
        gpus: 0,
      }),
    ).toBe(Infinity);
  });
});

describe('budgetView', () => {
  it('shows what was used including running pilots, and leaves room from what ended', () => {
    const v = budgetView(
      { coreHours: 10, period: 'Daily' },
      [
        { name: 'hpx-1', cpus: 1, gpus: 0, startMs: NOW - 3 * H, endMs: NOW - H },
        { name: 'hpx-2', cpus: 1, gpus: 0, startMs: NOW - H },
      ],
      {
        prefix: 'hpx-',
        active: new Set(['hpx-2']),
        nowMs: NOW,
        pilot: { cores: 1, gpus: 0, walltimeHours: 2 },
      },
    );
    expect(v.used).toEqual({ coreHours: 3, gpuHours: 0 });
    expect(v.periodStartMs).toBe(at('2026-12-03T00:00:00Z'));
    // 10 - 2 (ended) = 8 -> 4 pilots of 2 h, less the active one.
    expect(v.room).toBe(3);
  });
});
