import { describe, expect, it } from '@jest/globals';
import { makeHPCJob } from '../../../test/support/builders/hpcjob.js';
import { makeAllocation, makeVirtualCluster } from '../../../test/support/builders/virtualcluster.js';
import { pilotLifetimeSeconds } from '../../sites/pilot.js';
import {
  longestStepSeconds,
  maxWalltimeSeconds,
  PILOT_STARTUP_SECONDS,
  pilotWalltimeFor,
  pilotWalltimeSeconds,
  stepNeedSeconds,
} from './walltime.js';

const step = (walltime?: string) =>
  makeHPCJob('s', 'ns')
    .virtualCluster('vc')
    .spec(walltime ? { resources: { walltime } } : {})
    .obj();

describe('stepNeedSeconds', () => {
  it('is the step walltime plus the margin (2 minutes unless the VirtualCluster says)', () => {
    const vc = makeVirtualCluster().obj();
    expect(stepNeedSeconds(step('10m'), vc)).toBe(600 + 120);
    vc.spec.steps = { walltimeMargin: '30s' };
    expect(stepNeedSeconds(step('10m'), vc)).toBe(630);
  });

  it('takes the VirtualCluster default for a step without walltime, and nothing when neither says', () => {
    const vc = makeVirtualCluster().obj();
    expect(stepNeedSeconds(step(), vc)).toBeUndefined();
    vc.spec.steps = { defaultWalltime: '1h' };
    expect(stepNeedSeconds(step(), vc)).toBe(3600 + 120);
    // The step's own walltime wins over the default.
    expect(stepNeedSeconds(step('90s'), vc)).toBe(210);
  });
});

describe('pilot walltimes', () => {
  it('asks for the shortest walltime whose lifetime covers the need after start-up', () => {
    for (const need of [60, 210, 720, 3000, 5400, 6000, 36_000]) {
      const w = pilotWalltimeFor(need);
      expect(pilotLifetimeSeconds(w)).toBeGreaterThanOrEqual(need + PILOT_STARTUP_SECONDS);
      expect(pilotLifetimeSeconds(w - 1)).toBeLessThan(need + PILOT_STARTUP_SECONDS);
    }
  });

  it('keeps the allocation walltime unless queued steps need longer, and never goes beyond maxWalltime', () => {
    const a = makeAllocation().set({ walltime: '1h', maxWalltime: '4h' }).obj();
    expect(pilotWalltimeSeconds(a, 0)).toBe(3600);
    expect(pilotWalltimeSeconds(a, 1200)).toBe(3600);
    const longer = pilotWalltimeSeconds(a, 7200);
    expect(longer).toBeGreaterThan(3600);
    expect(pilotLifetimeSeconds(longer)).toBe(7200 + PILOT_STARTUP_SECONDS);
    expect(pilotWalltimeSeconds(a, 50_000)).toBe(4 * 3600);
    // Without maxWalltime the walltime is the limit.
    expect(pilotWalltimeSeconds(makeAllocation().set({ walltime: '1h' }).obj(), 7200)).toBe(3600);
  });

  it('says how long a step the longest pilot of an allocation can run', () => {
    const a = makeAllocation().set({ walltime: '2m', maxWalltime: '5m' }).obj();
    expect(maxWalltimeSeconds(a)).toBe(300);
    expect(longestStepSeconds(a)).toBe(300 - 30 - PILOT_STARTUP_SECONDS);
  });
});
