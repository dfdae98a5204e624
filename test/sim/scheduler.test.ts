import { drain, Scheduler, SIM_EPOCH } from './scheduler.js';

describe('Scheduler', () => {
  it('runs events in time order, ties in the order they were scheduled', async () => {
    const s = new Scheduler();
    const seen: string[] = [];
    s.schedule(20, () => seen.push('b'));
    s.schedule(10, () => seen.push('a'));
    s.schedule(20, () => seen.push('c'));
    await s.run({ until: SIM_EPOCH + 100 });
    expect(seen).toEqual(['a', 'b', 'c']);
    expect(s.now()).toBe(SIM_EPOCH + 100);
  });

  it('lets every promise continuation run before time moves on', async () => {
    const s = new Scheduler();
    const clock = s.clockFor('op');
    const seen: number[] = [];
    void (async () => {
      await clock.sleep(10);
      for (let i = 0; i < 50; i++) await Promise.resolve();
      seen.push(s.now());
    })();
    s.schedule(11, () => seen.push(-1));
    await s.run({ until: SIM_EPOCH + 100 });
    expect(seen).toEqual([SIM_EPOCH + 10, -1]);
  });

  it("drops a killed owner's timers, pending and future", async () => {
    const s = new Scheduler();
    const clock = s.clockFor('op-0');
    const seen: string[] = [];
    clock.after(10, () => seen.push('dead'));
    s.schedule(5, () => s.kill('op-0'));
    s.schedule(20, () => clock.after(1, () => seen.push('never')));
    s.schedule(30, () => seen.push('world'));
    await s.run({ until: SIM_EPOCH + 100 });
    expect(seen).toEqual(['world']);
  });

  it('ends a sleep early when its signal aborts', async () => {
    const s = new Scheduler();
    const ac = new AbortController();
    let woke = 0;
    void s
      .clockFor('op')
      .sleep(1_000, ac.signal)
      .then(() => (woke = s.now()));
    s.schedule(10, () => ac.abort());
    await s.run({ until: SIM_EPOCH + 5_000 });
    await drain();
    expect(woke).toBe(SIM_EPOCH + 10);
  });

  it('records what a timer throws instead of crashing the loop', async () => {
    const s = new Scheduler();
    s.schedule(1, () => {
      throw new Error('boom');
    });
    await s.run({ until: SIM_EPOCH + 10 });
    expect(s.uncaught.map((u) => (u.error as Error).message)).toEqual(['boom']);
  });
});
