import { describe, expect, it } from '@jest/globals';
import { ManualClock, flushPromises } from '../../test/support/manual-clock.js';
import { ItemExponentialRateLimiter } from './ratelimiter.js';
import { WorkQueue } from './workqueue.js';

const tick = () => flushPromises();

describe('WorkQueue', () => {
  it('merges adds of a waiting key and hands keys out in order', async () => {
    const q = new WorkQueue('t');
    q.add('a');
    q.add('b');
    q.add('a');
    expect(q.len()).toBe(2);
    expect(await q.get()).toBe('a');
    expect(await q.get()).toBe('b');
    expect(q.len()).toBe(0);
  });

  it('never hands a key to two workers; an add during processing runs it once more after done', async () => {
    const q = new WorkQueue('t');
    q.add('a');
    const first = await q.get();
    expect(first).toBe('a');
    q.add('a');
    q.add('a');
    expect(q.len()).toBe(0); // not handed out while processing
    let second: string | undefined;
    void q.get().then((k) => (second = k));
    await tick();
    expect(second).toBeUndefined();
    q.done('a');
    await tick();
    expect(second).toBe('a');
    q.done('a');
    expect(q.len()).toBe(0);
  });

  it('delays with addAfter, keeping the earliest delay of a key', () => {
    const clock = new ManualClock(0);
    const q = new WorkQueue('t', { clock });
    q.addAfter('a', 200);
    q.addAfter('a', 20);
    q.addAfter('a', 500);
    expect(q.len()).toBe(0);
    expect(clock.pendingTimers()).toBe(1);
    clock.advance(19);
    expect(q.len()).toBe(0);
    clock.advance(1);
    expect(q.len()).toBe(1);
    clock.advance(1000);
    expect(q.len()).toBe(1);
  });

  it('backs off per key with addRateLimited until forgotten', async () => {
    const clock = new ManualClock(0);
    const q = new WorkQueue('t', { clock, rateLimiter: new ItemExponentialRateLimiter<string>(20, 1000) });
    q.addRateLimited('a'); // 20 ms
    q.addRateLimited('a'); // 40 ms, but the earlier 20 ms delay stands
    expect(q.numRequeues('a')).toBe(2);
    clock.advance(19);
    expect(q.len()).toBe(0);
    clock.advance(1);
    expect(await q.get()).toBe('a');
    q.done('a');
    q.forget('a');
    expect(q.numRequeues('a')).toBe(0);
  });

  it('on shut down wakes waiting workers and resolves once in-flight work is done', async () => {
    const q = new WorkQueue('t');
    q.add('a');
    const k = await q.get();
    const waiting = q.get();
    let drained = false;
    const shut = q.shutDown().then(() => (drained = true));
    expect(await waiting).toBeUndefined();
    q.add('b'); // ignored after shut down
    await tick();
    expect(drained).toBe(false);
    q.done(k as string);
    await shut;
    expect(drained).toBe(true);
    expect(await q.get()).toBeUndefined();
  });

  it('reports metrics hooks, with durations on its clock', async () => {
    const clock = new ManualClock(0);
    const seen = { adds: 0, retries: 0, latencies: [] as number[], durations: [] as number[] };
    const q = new WorkQueue('t', {
      clock,
      rateLimiter: new ItemExponentialRateLimiter<string>(1, 10),
      metrics: {
        add: () => seen.adds++,
        depth: () => undefined,
        queueLatency: (s) => seen.latencies.push(s),
        workDuration: (s) => seen.durations.push(s),
        retry: () => seen.retries++,
      },
    });
    q.add('a');
    q.add('a');
    clock.advance(1500);
    const k = await q.get();
    clock.advance(250);
    expect(q.longestRunningSeconds()).toBe(0.25);
    q.done(k as string);
    q.addRateLimited('a');
    expect(seen).toEqual({ adds: 1, retries: 1, latencies: [1.5], durations: [0.25] });
  });
});
