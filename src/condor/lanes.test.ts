import { describe, expect, it } from '@jest/globals';
import { FakeSchedd } from '../../test/support/fake-schedd.js';
import { ManualClock, flushPromises } from '../../test/support/manual-clock.js';
import { Lanes, lanedConnector, type LaneWait } from './lanes.js';
import type { CollectorApi, CondorConnector } from './schedd-api.js';

/** A collector that never answers (black-holed) until released. */
class SilentCollector implements CollectorApi {
  readonly waiting: (() => void)[] = [];
  constructor(readonly label: string) {}
  pilotSlots(): Promise<[]> {
    return new Promise((r) => this.waiting.push(() => r([])));
  }
}

describe('Lanes', () => {
  it('Cross-tenant stall: VirtualClusters whose collector never answers delay no other tenant', async () => {
    const clock = new ManualClock();
    const waits: LaneWait[] = [];
    const lanes = new Lanes({ clock, onWait: (w) => waits.push(w) });
    const blackHole = new SilentCollector('blackhole:9618');
    const schedd = new FakeSchedd(clock);
    const inner: CondorConnector = {
      schedd: () => schedd,
      collector: (pool) => (pool === 'blackhole:9618' ? blackHole : new SilentCollector(pool ?? 'local')),
    };
    const condor = lanedConnector(inner, lanes);
    // Four tenants' VirtualClusters point at the black hole; each asks a few times.
    const hung = Array.from({ length: 8 }, (_, i) =>
      condor.collector('blackhole:9618').pilotSlots(`t${i % 4}/vc`, []),
    );
    await flushPromises();
    expect(blackHole.waiting).toHaveLength(1);
    // Another tenant's schedd calls go at once.
    const other = condor.schedd({ name: 'other@ap', pool: 'cm:9618' });
    await other.query({ operator: 'op' }, [], 'track');
    await other.act('remove', { operator: 'op', jobs: [] });
    await other.submit([]);
    expect(waits.filter((w) => w.lane.startsWith('schedd:')).every((w) => w.waitedMs === 0)).toBe(true);
    expect(schedd.calls.map((c) => c.method)).toEqual(['query', 'remove', 'submit']);
    for (const r of blackHole.waiting.splice(0)) r();
    await flushPromises(20);
    while (blackHole.waiting.length) {
      for (const r of blackHole.waiting.splice(0)) r();
      await flushPromises(20);
    }
    await Promise.all(hung);
    expect(lanes.size).toBe(0);
  });

  it('keeps one call per lane and kind at a time where the kind says so, and frees a lane with its last call', async () => {
    const clock = new ManualClock();
    const lanes = new Lanes({ clock });
    let running = 0;
    let most = 0;
    const call = () =>
      lanes.run('schedd:x/track', 'track', async () => {
        most = Math.max(most, ++running);
        await clock.sleep(10);
        running--;
      });
    const all = Promise.all([call(), call(), call()]);
    await clock.advanceAsync(100);
    await all;
    expect(most).toBe(1);
    expect(lanes.size).toBe(0);
  });
});
