import { describe, expect, it } from '@jest/globals';
import { Semaphore } from './semaphore.js';

describe('Semaphore', () => {
  it('lets at most size holders in and serves waiters in order', async () => {
    const sem = new Semaphore(2);
    const order: string[] = [];
    const r1 = await sem.acquire();
    const r2 = await sem.acquire();
    const third = sem.acquire().then((r) => {
      order.push('third');
      return r;
    });
    const fourth = sem.acquire().then((r) => {
      order.push('fourth');
      return r;
    });
    await Promise.resolve();
    expect(order).toEqual([]);
    expect(sem.waiting).toBe(2);
    r1();
    r1(); // a second release of the same slot is ignored
    const r3 = await third;
    expect(order).toEqual(['third']);
    expect(sem.waiting).toBe(1);
    r2();
    const r4 = await fourth;
    expect(order).toEqual(['third', 'fourth']);
    r3();
    r4();
    // All free again: two immediate acquisitions.
    await sem.acquire();
    await sem.acquire();
    expect(sem.waiting).toBe(0);
  });

  it('refuses a non-positive size', () => {
    expect(() => new Semaphore(0)).toThrow();
  });
});
