/**
 * The simulation in the unit suite: a fixed range of seeds (make test-sim hunts many more), every named
 * scenario, every flawed operator caught by the invariant meant for it, and replays that are exact.
 */
import { runSeed } from './hunt.js';
import { FLAWS } from './scenarios/flawed.js';
import { SCENARIOS } from './scenarios/plans.js';
import { runSchedule } from './schedule.js';

const SEEDS = 40;

describe('simulation', () => {
  it(`seeds 1-${SEEDS} violate no invariant`, async () => {
    const failed: string[] = [];
    for (let seed = 1; seed <= SEEDS; seed++) {
      const r = await runSeed(seed);
      if (r.violation) failed.push(`seed ${seed}: ${r.violation.invariant}: ${r.violation.message}`);
    }
    expect(failed).toEqual([]);
  });

  it('seeds that found HPCJobSet bugs beyond that range stay clean (51, 1600: an idle index removed, submitted again as the same attempt)', async () => {
    for (const seed of [51, 1600]) {
      const r = await runSeed(seed);
      expect({ seed, violation: r.violation }).toEqual({ seed, violation: undefined });
    }
  });

  it('replays a seed exactly', async () => {
    const a = await runSeed(7, { traceAll: true });
    const b = await runSeed(7, { traceAll: true });
    expect(a.trace.length).toBeGreaterThan(1000);
    expect(b.trace).toBe(a.trace);
  });

  describe.each(Object.entries(SCENARIOS))('scenario: %s', (_name, plan) => {
    it('violates no invariant (seeds 1-3)', async () => {
      for (const seed of [1, 2, 3]) {
        const r = await runSchedule(plan(seed));
        expect({ seed, violation: r.violation }).toEqual({ seed, violation: undefined });
      }
    });
  });

  describe.each(Object.entries(FLAWS))('an operator that %s', (_name, flaw) => {
    it(`is caught by ${flaw.invariant}`, async () => {
      const r = await runSchedule(flaw.plan(1), { factory: flaw.factory });
      expect(r.violation?.invariant).toBe(flaw.invariant);
    });
  });
});
