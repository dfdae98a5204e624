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

  it('hands out every high-priority key before any low one, each lane in order', async () => {
    const q = new WorkQueue('t');
    q.add('timer-1', 'low');
    q.add('change-1');
    q.add('timer-2', 'low');
    q.add('change-2', 'high');
    const order: (string | undefined)[] = [];
    for (let i = 0; i < 4; i++) order.push(await q.get());
    expect(order).toEqual(['change-1', 'change-2', 'timer-1', 'timer-2']);
  });

  it('moves a key waiting at low priority to the high lane when a change adds it, and never back', async () => {
    const q = new WorkQueue('t');
    q.add('a', 'low');
    q.add('b', 'low');
    q.add('c');
    q.add('b'); // a change for b: it goes after c, ahead of a
    q.add('c', 'low'); // a timer for c does not lower it
    expect(q.len()).toBe(3);
    expect([await q.get(), await q.get(), await q.get()]).toEqual(['c', 'b', 'a']);
    expect(q.len()).toBe(0);
  });

  it('runs a key added again while processed in the lane of its highest add', async () => {
    const q = new WorkQueue('t');
    q.add('a');
    const first = await q.get();
    q.add('a', 'low');
    q.add('a'); // raised while processed
    q.add('b', 'low');
    q.done(first as string);
    expect(await q.get()).toBe('a');
  });

  it('fires a delayed key at low priority unless a high add for it came while it waited', async () => {
    const clock = new ManualClock(0);
    const q = new WorkQueue('t', { clock });
    q.addAfter('timer', 100, 'low');
    q.addAfter('raised', 100, 'low');
    q.addAfter('raised', 500); // later, but high: the earlier timer stands and is raised
    clock.advance(100);
    q.add('change');
    expect([await q.get(), await q.get(), await q.get()]).toEqual(['raised', 'change', 'timer']);
  });

  it('keeps its order through many keys taken, deleted and added (the lanes drop their consumed front)', async () => {
    const q = new WorkQueue('t');
    for (let i = 0; i < 5000; i++) q.add(`k${i}`, i % 2 === 0 ? 'low' : 'high');
    for (let i = 0; i < 5000; i += 4) q.add(`k${i}`); // every other low key raised
    const got: string[] = [];
    for (let i = 0; i < 5000; i++) {
      const k = (await q.get()) as string;
      got.push(k);
      q.done(k);
    }
    const n = (k: string) => Number(k.slice(1));
    const high = got.slice(0, 2500 + 1250);
    expect(high.slice(0, 2500).every((k) => n(k) % 2 === 1)).toBe(true);
    expect(high.slice(2500).map(n)).toEqual(Array.from({ length: 1250 }, (_, i) => i * 4));
    expect(got.slice(3750).map(n)).toEqual(Array.from({ length: 1250 }, (_, i) => i * 4 + 2));
    expect(q.len()).toBe(0);
  });

  it('reports the depth of each lane (workqueue_depth{priority})', async () => {
    const depths: [string, number][] = [];
    const q = new WorkQueue('t', {
      metrics: {
        add: () => undefined,
        depth: (n, priority) => depths.push([priority, n]),
        queueLatency: () => undefined,
        workDuration: () => undefined,
        retry: () => undefined,
      },
    });
    q.add('a', 'low');
    q.add('b', 'low');
    q.add('b');
    await q.get();
    expect(depths).toEqual([
      ['low', 1],
      ['low', 2],
      ['low', 1],
      ['high', 1],
      ['high', 0],
    ]);
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
