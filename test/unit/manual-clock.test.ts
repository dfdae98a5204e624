import { describe, expect, it } from '@jest/globals';
import { every } from '../../src/runtime/clock.js';
import { MANUAL_CLOCK_START, ManualClock } from '../support/manual-clock.js';
import { fixedRandom, seededRandom } from '../support/random.js';

describe('ManualClock', () => {
  it('fires due timers in time order, ties in the order they were set, each at its own instant', () => {
    const clock = new ManualClock();
    const fired: string[] = [];
    const at = (name: string) => () => fired.push(`${name}@${clock.now() - MANUAL_CLOCK_START}`);
    clock.after(30, at('c'));
    clock.after(10, at('a1'));
    clock.after(10, at('a2'));
    clock.after(50, at('late'));
    const cancelled = clock.after(20, at('cancelled'));
    cancelled.cancel();
    expect(clock.pendingTimers()).toBe(4);
    expect(clock.nextTimerAt()).toBe(MANUAL_CLOCK_START + 10);
    clock.advance(40);
    expect(fired).toEqual(['a1@10', 'a2@10', 'c@30']);
    expect(clock.now()).toBe(MANUAL_CLOCK_START + 40);
    expect(clock.pendingTimers()).toBe(1);
  });

  it('fires timers set by a firing timer when they fall due within the same advance', () => {
    const clock = new ManualClock(0);
    const fired: number[] = [];
    const t = every(clock, 10, () => fired.push(clock.now()));
    clock.advance(35);
    expect(fired).toEqual([10, 20, 30]);
    t.cancel();
    clock.advance(100);
    expect(fired).toHaveLength(3);
    expect(clock.nextTimerAt()).toBeUndefined();
  });

  it('resolves sleeps when time reaches them, and early on abort', async () => {
    const clock = new ManualClock(0);
    const woke: string[] = [];
    void clock.sleep(100).then(() => woke.push(`long@${clock.now()}`));
    const ac = new AbortController();
    void clock.sleep(1000, ac.signal).then(() => woke.push(`aborted@${clock.now()}`));
    await clock.advanceAsync(50);
    expect(woke).toEqual([]);
    ac.abort();
    await clock.advanceAsync(50);
    expect(woke).toEqual(['aborted@50', 'long@100']);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('advanceAsync lets code that sleeps, awaits and sleeps again run its whole course', async () => {
    const clock = new ManualClock(0);
    const steps: number[] = [];
    void (async () => {
      for (let i = 0; i < 3; i++) {
        await clock.sleep(10);
        await Promise.resolve();
        steps.push(clock.now());
      }
    })();
    await clock.advanceAsync(30);
    expect(steps).toEqual([10, 20, 30]);
  });
});

describe('seededRandom', () => {
  it('replays the same sequence for a seed, in [0, 1)', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const xs = Array.from({ length: 100 }, () => a());
    expect(Array.from({ length: 100 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new Set(xs).size).toBe(100);
    expect(seededRandom(43)()).not.toBe(xs[0]);
  });

  it('fixedRandom returns its value and refuses one outside [0, 1)', () => {
    expect(fixedRandom(0.5)()).toBe(0.5);
    expect(() => fixedRandom(1)).toThrow(RangeError);
  });
});
