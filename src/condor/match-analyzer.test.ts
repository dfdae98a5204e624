import { describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { FakeSchedd, tags } from '../../test/support/fake-schedd.js';
import { ManualClock, flushPromises } from '../../test/support/manual-clock.js';
import type { MatchAnalysis } from './match-analysis.js';
import { MatchAnalyzer } from './match-analyzer.js';
import { toTracked, type TrackedJob } from './queue-snapshot.js';

const NO_MATCH: MatchAnalysis = {
  machines: 3,
  rejectedByJob: 3,
  rejectedBySlots: 0,
  runningYours: 0,
  servingOthers: 0,
  available: 0,
  clauses: [{ condition: 'TARGET.Memory >= RequestMemory', matched: 0 }],
  jobValues: { RequestMemory: '64000 (mb)' },
};

function setup() {
  const clock = new ManualClock();
  const schedd = new FakeSchedd(clock);
  schedd.analysis = NO_MATCH;
  const told: string[] = [];
  const analyzer = new MatchAnalyzer(schedd, {
    operatorId: 'op',
    clock,
    log: pino({ level: 'silent' }),
    onDone: (ref) => told.push(ref),
    everyMs: 300_000,
  });
  /** An idle job of HPCJob `uid` in autocluster `ac`. */
  const idle = (uid: string, ac?: number): TrackedJob => {
    const id = schedd.add({ ...tags(uid), ...(ac === undefined ? {} : { AutoClusterId: ac }) });
    const tracked = toTracked({ ...schedd.queue.get(id) }, 'queue');
    if (!tracked) throw new Error('the fake job lacks the operator tags');
    return tracked;
  };
  const analyses = () => schedd.calls.filter((c) => c.method === 'analyze').length;
  return { clock, schedd, analyzer, told, idle, analyses };
}

describe('MatchAnalyzer', () => {
  it('analyses one job per autocluster and tells every HPCJob that waited for it', async () => {
    const { analyzer, told, idle, analyses } = setup();
    const a = idle('a', 5);
    const b = idle('b', 5);
    analyzer.request(a);
    analyzer.request(b);
    await flushPromises();
    expect(analyses()).toBe(1);
    expect(told.sort()).toEqual(['ns/a', 'ns/b']);
    expect(analyzer.latest(b)?.result).toEqual(NO_MATCH);
  });

  it('asks again only once the analysis is everyMs old, and one call at a time', async () => {
    const { clock, analyzer, idle, analyses } = setup();
    const a = idle('a', 5);
    const c = idle('c', 6);
    analyzer.request(a);
    analyzer.request(c);
    expect(analyses()).toBe(1); // c waits for a's call to end
    await flushPromises();
    expect(analyses()).toBe(2);
    clock.advance(299_000);
    analyzer.request(a);
    await flushPromises();
    expect(analyses()).toBe(2);
    clock.advance(1000);
    analyzer.request(a);
    await flushPromises();
    expect(analyses()).toBe(3);
  });

  it('after a failed analysis waits before asking the schedd again', async () => {
    const { clock, schedd, analyzer, idle, told, analyses } = setup();
    schedd.down = true;
    const a = idle('a', 5);
    analyzer.request(a);
    await flushPromises();
    expect(told).toEqual(['ns/a']);
    expect(analyzer.latest(a)).toBeUndefined();
    analyzer.request(a);
    await flushPromises();
    expect(analyses()).toBe(1);
    schedd.down = false;
    clock.advance(30_000);
    analyzer.request(a);
    await flushPromises();
    expect(analyses()).toBe(2);
    expect(analyzer.latest(a)?.result).toEqual(NO_MATCH);
  });

  it('forgets analyses nobody reads any more (memory per job is not kept for ever)', async () => {
    const { clock, analyzer, idle } = setup();
    analyzer.request(idle('a', 5));
    analyzer.request(idle('b'));
    await flushPromises();
    expect(analyzer.memory()).toEqual({ analyses: 2, analysesQueued: 0 });
    clock.advance(300_000);
    clock.advance(300_000);
    expect(analyzer.memory()).toEqual({ analyses: 0, analysesQueued: 0 });
  });
});
