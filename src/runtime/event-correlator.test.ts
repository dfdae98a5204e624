import { describe, expect, it } from '@jest/globals';
import { EventCorrelator, SERIES_FINISH_MS, SERIES_REFRESH_MS } from './event-correlator.js';

const e = { namespace: 'ns', name: 'j.1' };

describe('EventCorrelator', () => {
  it('writes the count of a series that goes on every 30 minutes, and its last count when it ends', () => {
    const c = new EventCorrelator();
    let now = 0;
    expect(c.observe('ns/j', 'k', e, now).write).toBe('create');
    c.created('k', true);
    expect(c.observe('ns/j', 'k', e, (now += 60_000))).toEqual({
      write: 'series',
      series: { ...e, count: 2, lastObserved: 60_000 },
    });
    // Once a minute for 40 minutes: counted, and written when the count is 30 minutes old.
    const written: number[] = [];
    for (let i = 0; i < 40; i++) {
      expect(c.observe('ns/j', 'k', e, (now += 60_000)).write).toBe('counted');
      for (const d of c.due(now)) written.push(d.series.count);
    }
    expect(written).toEqual([32]);
    expect(c.due(now + SERIES_FINISH_MS).map((d) => d.series.count)).toEqual([42]);
    expect(c.size).toBe(0);
    expect(c.observe('ns/j', 'k', e, now + SERIES_FINISH_MS + 1).write).toBe('create');
  });

  it('counts what repeats while the create is on its way, and writes it once created', () => {
    const c = new EventCorrelator();
    c.observe('ns/j', 'k', e, 0);
    expect(c.observe('ns/j', 'k', e, 1000).write).toBe('counted');
    expect(c.due(SERIES_FINISH_MS + 1000)).toEqual([]);
    expect(c.size).toBe(1);
    c.created('k', true);
    expect(c.due(SERIES_FINISH_MS + 2000).map((d) => d.series.count)).toEqual([2]);
  });

  it('keeps what it watches bounded, the least recently used out first', () => {
    const c = new EventCorrelator({ maxEntries: 2 });
    for (const k of ['a', 'b', 'c']) c.observe(`ns/${k}`, k, e, 0);
    expect(c.size).toBe(2);
    expect(c.observe('ns/a', 'a', e, 1).write).toBe('create');
    expect(SERIES_REFRESH_MS).toBeGreaterThan(SERIES_FINISH_MS);
  });
});
