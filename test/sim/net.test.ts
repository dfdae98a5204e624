import { ok } from './net.js';
import { kit, watch } from './testkit.js';

describe('Net and the process model', () => {
  it('serves a call after its planned delay and replies after the reply delay', async () => {
    const k = kit();
    let servedAt = 0;
    const o = watch(
      k.net.call(k.replica, { port: 'p', text: 'x' }, () => ({
        serveInMs: 100,
        serve: () => ((servedAt = k.sched.now()), ok(7, 50)),
      })),
    );
    await k.advance(120);
    expect(servedAt - k.sched.now()).toBe(-20);
    expect(o.settled).toBe(false);
    await k.advance(100);
    expect(o.value).toBe(7);
  });

  it('a crash when a call is issued: the request never leaves and the caller never hears back', async () => {
    const k = kit();
    k.replica.crashAt = 1;
    let served = false;
    const o = watch(
      k.net.call(k.replica, { port: 'p', text: 'x' }, () => ({
        serveInMs: 10,
        serve: () => ((served = true), ok(1)),
      })),
    );
    await k.advance(1_000);
    expect(k.replica.alive).toBe(false);
    expect(served).toBe(false);
    expect(o.settled).toBe(false);
  });

  it('a crash when the reply arrives: the effect happened, nobody hears of it', async () => {
    const k = kit();
    k.replica.crashAt = 2;
    let served = false;
    const o = watch(
      k.net.call(k.replica, { port: 'p', text: 'x' }, () => ({
        serveInMs: 10,
        serve: () => ((served = true), ok(1)),
      })),
    );
    await k.advance(1_000);
    expect(served).toBe(true);
    expect(o.settled).toBe(false);
  });

  it('calls in flight when a replica dies take effect at that instant or never', async () => {
    const outcomes = new Set<string>();
    for (let seed = 1; seed <= 20; seed++) {
      const k = kit(seed);
      let servedAt: number | undefined;
      watch(
        k.net.call(k.replica, { port: 'p', text: 'slow' }, () => ({
          serveInMs: 1_000,
          serve: () => ((servedAt = k.sched.now()), ok(1)),
        })),
      );
      k.sched.schedule(100, () => k.replica.onCrash('test'));
      await k.advance(5_000);
      outcomes.add(
        servedAt === undefined ? 'never' : servedAt === k.sched.now() - 4_900 ? 'at the crash' : 'later',
      );
    }
    expect([...outcomes].sort()).toEqual(['at the crash', 'never']);
  });

  it('an aborted call rejects at once, yet the request is still served', async () => {
    const k = kit();
    const ac = new AbortController();
    let served = false;
    const o = watch(
      k.net.call(
        k.replica,
        { port: 'p', text: 'x' },
        () => ({ serveInMs: 100, serve: () => ((served = true), ok(1)) }),
        ac.signal,
      ),
    );
    k.sched.schedule(10, () => ac.abort());
    await k.advance(200);
    expect((o.error as Error).name).toBe('AbortError');
    expect(served).toBe(true);
  });
});
