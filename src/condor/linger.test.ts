import { describe, expect, it } from '@jest/globals';
import { ManualClock } from '../../test/support/manual-clock.js';
import { Linger } from './linger.js';

function lingerOn(clock: ManualClock): { linger: Linger; fired: number[] } {
  const fired: number[] = [];
  const linger = new Linger(clock, { lingerMs: 100, maxLingerMs: 1000 }, () => fired.push(clock.now()));
  return { linger, fired };
}

describe('Linger', () => {
  it('fires lingerMs after the last request of a short burst', () => {
    const clock = new ManualClock(0);
    const { linger, fired } = lingerOn(clock);
    linger.arm();
    clock.advance(60);
    linger.arm();
    clock.advance(99);
    expect(fired).toEqual([]);
    clock.advance(1);
    expect(fired).toEqual([160]);
  });

  it('never waits more than maxLingerMs from the first request of a steady stream', () => {
    const clock = new ManualClock(0);
    const { linger, fired } = lingerOn(clock);
    for (let t = 0; t < 1500; t += 50) {
      linger.arm();
      clock.advance(50);
    }
    expect(fired[0]).toBe(1000);
  });

  it('cancel says whether a flush was pending and starts the next burst afresh', () => {
    const clock = new ManualClock(0);
    const { linger, fired } = lingerOn(clock);
    expect(linger.cancel()).toBe(false);
    for (let t = 0; t < 950; t += 50) {
      linger.arm();
      clock.advance(50);
    }
    expect(linger.cancel()).toBe(true);
    clock.advance(100);
    expect(fired).toEqual([]);
    linger.arm();
    clock.advance(150);
    // A fresh burst: lingerMs from its own first request, not capped by the cancelled burst's start.
    expect(fired).toEqual([1150]);
  });
});
