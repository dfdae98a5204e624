import { describe, expect, it } from '@jest/globals';
import { BucketRateLimiter, ItemExponentialRateLimiter, MaxOfRateLimiter } from './ratelimiter.js';

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
    let now = 0;
    const l = new BucketRateLimiter<string>(10, 3, () => now);
    expect([l.when('x'), l.when('y'), l.when('z')]).toEqual([0, 0, 0]);
    expect(l.when('w')).toBeCloseTo(100);
    expect(l.when('v')).toBeCloseTo(200);
    now = 1000; // 10 tokens accrue, capped at the burst
    expect(l.when('u')).toBe(0);
  });
});

describe('MaxOfRateLimiter', () => {
  it('takes the longest delay', () => {
    let now = 0;
    const l = new MaxOfRateLimiter<string>(
      new ItemExponentialRateLimiter<string>(5, 1000),
      new BucketRateLimiter<string>(1, 1, () => now),
    );
    expect(l.when('a')).toBe(5);
    expect(l.when('a')).toBe(1000);
    now = 10_000;
    expect(l.when('a')).toBe(20);
  });
});
