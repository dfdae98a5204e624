import { describe, expect, it } from '@jest/globals';
import { pino, type Logger } from 'pino';
import { CutOffLeaseStore, MemoryLeaseStore } from '../../test/support/lease-store.js';
import { ManualClock } from '../../test/support/manual-clock.js';
import { fixedRandom } from '../../test/support/random.js';
import { LeaderElector, type LeaderElectionOptions } from './leader.js';
import { Metrics } from './metrics.js';

const NS = 'hpc-system';
const NAME = 'hpc-operator';

/** A logger that keeps its lines, to assert on what was said. */
function capture(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => lines.push(JSON.parse(s)) });
  return { log, lines };
}

interface Replica {
  elector: LeaderElector;
  conn: CutOffLeaseStore;
  lost: number[];
  lines: Record<string, unknown>[];
}

function replica(
  clock: ManualClock,
  store: MemoryLeaseStore,
  identity: string,
  o: Partial<LeaderElectionOptions> = {},
): Replica {
  const conn = new CutOffLeaseStore(store);
  const { log, lines } = capture();
  const elector = new LeaderElector(conn, {
    namespace: NS,
    name: NAME,
    identity,
    log,
    clock,
    random: fixedRandom(0),
    ...o,
  });
  return { elector, conn, lost: [], lines };
}

/** Starts acquiring; the returned record fills in when (clock time) it led. */
function campaign(clock: ManualClock, r: Replica): { ledAt?: number } {
  const out: { ledAt?: number } = {};
  void r.elector
    .acquire(() => r.lost.push(clock.now()))
    .then((led) => {
      if (led) out.ledAt = clock.now();
    });
  return out;
}

describe('LeaderElector', () => {
  it('creates a missing Lease, leads, renews every retry period and moves validUntil with each renewal', async () => {
    const clock = new ManualClock(0);
    const store = new MemoryLeaseStore();
    const metrics = new Metrics({ defaultMetrics: false });
    const a = replica(clock, store, 'a', { metrics });
    const won = campaign(clock, a);
    await clock.advanceAsync(0);
    expect(won.ledAt).toBe(0);
    expect(a.elector.isLeader).toBe(true);
    expect(a.elector.validUntil()).toBe(10_000);
    const gauge = await metrics.registry.getSingleMetric('leader_election_master_status')?.get();
    expect(gauge?.values[0]?.value).toBe(1);
    await clock.advanceAsync(6_000);
    expect(store.writes).toEqual(['a', 'a', 'a', 'a']);
    expect(a.elector.validUntil()).toBe(16_000);
    expect(store.current(NS, NAME)?.leaseTransitions).toBe(0);
  });

  it('waits on the holder of a live Lease, says once whom it waits on, and takes over at once on release', async () => {
    const clock = new ManualClock(0);
    const store = new MemoryLeaseStore();
    const a = replica(clock, store, 'a');
    const b = replica(clock, store, 'b');
    campaign(clock, a);
    await clock.advanceAsync(0);
    const bWon = campaign(clock, b);
    await clock.advanceAsync(20_000);
    expect(bWon.ledAt).toBeUndefined();
    expect(b.elector.waitingOn()).toBe('a');
    expect(b.lines.filter((l) => l.holder === 'a')).toHaveLength(1);
    await a.elector.release();
    expect(a.elector.isLeader).toBe(false);
    expect(a.elector.validUntil()).toBe(0);
    expect(store.current(NS, NAME)?.holderIdentity).toBe('');
    await clock.advanceAsync(4_000);
    expect(bWon.ledAt).toBeLessThanOrEqual(24_000);
    expect(b.elector.isLeader).toBe(true);
    expect(b.elector.waitingOn()).toBeUndefined();
    expect(a.lost).toEqual([]);
  });

  it('Duplicate when the leader cannot reach the API server: a LeaseStore whose update never returns', async () => {
    const clock = new ManualClock(0);
    const store = new MemoryLeaseStore();
    const a = replica(clock, store, 'a');
    campaign(clock, a);
    await clock.advanceAsync(2_500); // led at 0, renewed at 2000
    expect(a.elector.validUntil()).toBe(12_000);
    a.conn.cut.add('update');
    // The renewal at 4000 never returns: nothing but the deadline timer can end leadership.
    await clock.advanceAsync(12_000 - 2_500 - 1);
    expect(a.elector.isLeader).toBe(true);
    expect(a.lost).toEqual([]);
    await clock.advanceAsync(1);
    expect(a.lost).toEqual([12_000]);
    expect(a.elector.isLeader).toBe(false);
    expect(a.elector.validUntil()).toBe(0);
    // The hanging call was told to give up at the deadline.
    expect(a.conn.signals.at(-1)?.aborted).toBe(true);
    // The stuck renewal lands late (it even commits): leadership stays lost, nothing renews again.
    a.conn.heal();
    await clock.advanceAsync(30_000);
    expect(a.elector.isLeader).toBe(false);
    expect(a.elector.validUntil()).toBe(0);
    expect(a.lost).toEqual([12_000]);
    expect(store.writes.filter((w) => w === 'a')).toHaveLength(3); // create, 2000, the late one
  });

  it('a standby takes over a cut-off leader only after that leader stopped acting', async () => {
    const clock = new ManualClock(0);
    const store = new MemoryLeaseStore();
    const a = replica(clock, store, 'a');
    const b = replica(clock, store, 'b');
    campaign(clock, a);
    await clock.advanceAsync(0);
    const bWon = campaign(clock, b);
    await clock.advanceAsync(3_000);
    a.conn.cut.add('get').add('update');
    const aValidUntil = a.elector.validUntil();
    await clock.advanceAsync(60_000);
    expect(a.lost).toHaveLength(1);
    expect(a.lost[0]).toBeLessThanOrEqual(aValidUntil);
    expect(bWon.ledAt).toBeGreaterThan(aValidUntil);
    expect(b.elector.isLeader).toBe(true);
    expect(store.current(NS, NAME)?.leaseTransitions).toBe(1);
  });

  it('gives up an acquire attempt after the retry period and tries again', async () => {
    const clock = new ManualClock(0);
    const store = new MemoryLeaseStore();
    const a = replica(clock, store, 'a');
    a.conn.cut.add('get');
    const won = campaign(clock, a);
    await clock.advanceAsync(1_999);
    expect(a.conn.signals).toHaveLength(1);
    expect(a.conn.signals[0]?.aborted).toBe(false);
    await clock.advanceAsync(1);
    expect(a.conn.signals[0]?.aborted).toBe(true);
    a.conn.cut.clear();
    await clock.advanceAsync(2_000); // the jittered retry (fixedRandom(0): exactly the retry period)
    expect(won.ledAt).toBe(4_000);
  });

  it('release stops renewing before it clears the holder, and leaves a Lease that is no longer ours', async () => {
    const clock = new ManualClock(0);
    const store = new MemoryLeaseStore();
    const a = replica(clock, store, 'a');
    campaign(clock, a);
    await clock.advanceAsync(2_500);
    a.conn.cut.add('update');
    await clock.advanceAsync(2_000); // a renewal is in flight, hanging
    expect(a.conn.held).toBe(1);
    a.conn.cut.clear(); // the release's own update goes through
    await a.elector.release();
    expect(a.conn.signals.at(-3)?.aborted).toBe(true); // the renewal was abandoned first
    expect(store.current(NS, NAME)?.holderIdentity).toBe('');
    const writes = store.writes.length;
    await clock.advanceAsync(10_000);
    expect(store.writes).toHaveLength(writes);

    const b = replica(clock, store, 'b');
    campaign(clock, b);
    await clock.advanceAsync(0);
    const c = replica(clock, store, 'c');
    await c.elector.release();
    expect(store.current(NS, NAME)?.holderIdentity).toBe('b');
  });
});
