/**
 * Allocation budgets in the VirtualCluster transition: pilots sent only while the rest of the period can pay
 * for them to their walltime, status showing what was used, BudgetExhausted with its Event, and no pilot while
 * the accounting cannot be read. Pure: builders, no I/O.
 */
import { describe, expect, it } from '@jest/globals';
import type { VirtualCluster } from '../../crds/virtualcluster.js';
import { findStatusCondition } from '../../runtime/conditions.js';
import type { UsageRecord } from '../../sites/accounting.js';
import { makeObservation, pilot } from '../../../test/support/builders/vc-observation.js';
import { makeVirtualCluster } from '../../../test/support/builders/virtualcluster.js';
import type { Plan, SiteEffect, TransitionConfig } from './model.js';
import { placeOf } from './places.js';
import { BudgetReason, EventReason } from './reasons.js';
import { transition } from './transition.js';

const NOW = Date.parse('2026-12-03T12:00:00Z');
const H = 3_600_000;
const CONFIG: TransitionConfig = { activePollMs: 5000, steadyPollMs: 30_000 };

/** Four 2-core, 2-hour pilots wanted; `coreHours` a day. */
const vc = (coreHours: number): VirtualCluster =>
  makeVirtualCluster()
    .withFinalizer()
    .allocation((a) =>
      a
        .slurm('login.example')
        .workers({ count: 4, cores: 2 })
        .set({
          walltime: '2h',
          budget: { coreHours, period: 'Daily' },
        }),
    )
    .obj();
const placeOfVc = (v: VirtualCluster) =>
  placeOf(v, v.spec.allocations?.[0] as NonNullable<VirtualCluster['spec']['allocations']>[number]);
function plan(v: VirtualCluster, usage: UsageRecord[] | undefined, running = 0, usageError?: string): Plan {
  const p = placeOfVc(v);
  const jobs = Array.from({ length: running }, (_, k) => pilot(p, k, 'running'));
  const o = makeObservation()
    .listed(p, jobs, { usage, ...(usageError ? { usageError } : {}) })
    .obj();
  return transition(v, o, NOW, CONFIG);
}
const submitted = (p: Plan) =>
  p.effects
    .filter((e): e is Extract<SiteEffect, { kind: 'submitPilots' }> => e.kind === 'submitPilots')
    .flatMap((e) => e.pilots);
const cond = (p: Plan) => findStatusCondition(p.status?.conditions, 'BudgetExhausted');

describe('allocation budgets', () => {
  it('sends every wanted pilot while the budget can pay for all of them', () => {
    const p = plan(vc(100), []);
    expect(submitted(p)).toHaveLength(4);
    expect(cond(p)).toMatchObject({ status: 'False', reason: BudgetReason.WithinBudget });
    expect(p.status?.allocations?.[0]?.budget).toEqual({
      coreHours: 100,
      periodStart: '2026-12-03T00:00:00Z',
      coreHoursUsed: '0',
    });
  });

  it('sends only what the rest pays for to the walltime, counting running pilots at their whole walltime', () => {
    const v = vc(20);
    const prefix = placeOfVc(v).pilotPrefix;
    // 6 core-hours used by an ended pilot; one running (4 core-hours committed): 10 left, 2 pilots of 4.
    const usage = [
      { name: `${prefix}90`, cpus: 2, gpus: 0, startMs: NOW - 5 * H, endMs: NOW - 2 * H },
      { name: `${prefix}0`, cpus: 2, gpus: 0, startMs: NOW - H },
      { name: 'someone-else', cpus: 64, gpus: 0, startMs: NOW - 5 * H, endMs: NOW },
    ];
    const p = plan(v, usage, 1);
    expect(submitted(p)).toHaveLength(2);
    expect(cond(p)).toMatchObject({ status: 'True', reason: BudgetReason.Exhausted });
    expect(cond(p)?.message).toBe(
      'allocation site1: 8 of 20 core-hours used since 2026-12-03T00:00:00Z; 2 more pilot(s) of 2 core(s) x 2h fit, 3 wanted',
    );
    expect(p.events).toContainEqual(
      expect.objectContaining({ type: 'Warning', reason: EventReason.BudgetExhausted }),
    );
    expect(p.status?.allocations?.[0]?.budget?.coreHoursUsed).toBe('8');
  });

  it('sends nothing once the budget is spent, and says so on the allocation', () => {
    const v = vc(10);
    const prefix = placeOfVc(v).pilotPrefix;
    const p = plan(v, [{ name: `${prefix}9`, cpus: 2, gpus: 0, startMs: NOW - 5 * H, endMs: NOW }]);
    expect(submitted(p)).toEqual([]);
    expect(p.status?.allocations?.[0]?.message).toMatch(
      /^allocation site1: 10 of 10 core-hours used .* 0 more pilot/,
    );
  });

  it('sends nothing while the accounting cannot be read', () => {
    const p = plan(vc(100), undefined, 0, 'reading the accounting failed: sacct: command not found');
    expect(submitted(p)).toEqual([]);
    expect(cond(p)).toMatchObject({ status: 'True', reason: BudgetReason.UsageUnknown });
    expect(cond(p)?.message).toContain('sacct: command not found');
  });

  it('says nothing of budgets for an allocation without one', () => {
    const v = makeVirtualCluster()
      .allocation((a) => a.workers({ count: 1 }))
      .obj();
    const p = transition(v, makeObservation().listed(placeOfVc(v), []).obj(), NOW, CONFIG);
    expect(cond(p)).toBeUndefined();
    expect(p.status?.allocations?.[0]?.budget).toBeUndefined();
  });
});
