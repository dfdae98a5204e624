import { describe, expect, it } from '@jest/globals';
import { ManualClock } from '../../test/support/manual-clock.js';
import { fixedRandom } from '../../test/support/random.js';
import {
  BucketRateLimiter,
  ItemExponentialRateLimiter,
  MaxOfRateLimiter,
  backoffDelay,
  jitter,
} from './ratelimiter.js';

describe('ItemExponentialRateLimiter', () => {
  it('doubles per failure from 5 ms and caps, per item, until forgotten', () => {
    const l = new ItemExponentialRateLimiter<string>(5, 1_000_000);
    expect([l.when('a'), l.when('a'), l.when('a')]).toEqual([5, 10, 20]);
    expect(l.when('b')).toBe(5);
    expect(l.numRequeues('a')).toBe(3);
    for (let i = 0; i < 40; i++) l.when('a');
    expect(l.when('a')).toBe(1_000_000);
    l.forget('a');
    expect(l.numRequeues('a')).toBe(0);
    expect(l.when('a')).toBe(5);
  });
});

describe('BucketRateLimiter', () => {
  it('lets a burst through, then spaces items at 1/qps', () => {
    const clock = new ManualClock(0);
    const l = new BucketRateLimiter<string>(10, 3, clock);
    expect([l.when('x'), l.when('y'), l.when('z')]).toEqual([0, 0, 0]);
    expect(l.when('w')).toBeCloseTo(100);
    expect(l.when('v')).toBeCloseTo(200);
    clock.advance(1000); // 10 tokens accrue, capped at the burst
    expect(l.when('u')).toBe(0);
  });
});

describe('MaxOfRateLimiter', () => {
  it('takes the longest delay', () => {
    const clock = new ManualClock(0);
    const l = new MaxOfRateLimiter<string>(
      new ItemExponentialRateLimiter<string>(5, 1000),
      new BucketRateLimiter<string>(1, 1, clock),
    );
    expect(l.when('a')).toBe(5);
    expect(l.when('a')).toBe(1000);
    clock.advance(10_000);
    expect(l.when('a')).toBe(20);
  });
});

describe('jitter and backoffDelay', () => {
  it('draw their spread from the injected Random', () => {
    expect(jitter(2000, 1.2, fixedRandom(0))).toBe(2000);
    expect(jitter(2000, 1.2, fixedRandom(0.5))).toBe(3200);
    const o = { baseMs: 1000, maxMs: 30_000, spread: 0.2 };
    expect(backoffDelay(1, o, fixedRandom(0))).toBe(800);
    expect(backoffDelay(3, o, fixedRandom(0.5))).toBe(4000);
    expect(backoffDelay(20, o, fixedRandom(0.5))).toBe(30_000);
  });
});
