import { describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { FakeListWatch } from '../../test/support/fake-list-watch.js';
import { MemoryLeaseStore } from '../../test/support/lease-store.js';
import { ManualClock } from '../../test/support/manual-clock.js';
import { fixedRandom } from '../../test/support/random.js';
import type { KubeObject } from './kube-api.js';
import { LeaderElector } from './leader.js';
import { Manager, type Elector, type Runnable } from './manager.js';

const log = pino({ level: process.env.DEBUG_TEST ? 'debug' : 'silent' });

/** A runnable that writes what happens to it into a shared journal. */
function runnable(name: string, journal: string[]): Runnable {
  return {
    name,
    start: () => void journal.push(`start ${name}`),
    stop: async () => void journal.push(`stop ${name}`),
  };
}

/** An elector the test grants leadership with grant(), and takes it away with lose(). */
class FakeElector implements Elector {
  #grant: ((led: boolean) => void) | undefined;
  #onLost: (() => void) | undefined;

  constructor(readonly journal: string[]) {}

  acquire(onLost: () => void): Promise<boolean> {
    this.journal.push('acquire');
    this.#onLost = onLost;
    return new Promise((resolve) => (this.#grant = resolve));
  }

  async release(): Promise<void> {
    this.journal.push('release');
    this.#grant?.(false);
  }

  grant(): void {
    this.#grant?.(true);
  }

  lose(): void {
    this.#onLost?.();
  }
}

function setup() {
  const clock = new ManualClock(0);
  const journal: string[] = [];
  const elector = new FakeElector(journal);
  const lost: number[] = [];
  const manager = new Manager({
    log,
    clock,
    random: fixedRandom(0),
    leaderElection: { elector, onLost: () => lost.push(clock.now()) },
  });
  const source = new FakeListWatch<KubeObject>('hpcjobs');
  const informer = manager.informer(source);
  informer.on((type, obj) => journal.push(`${type} ${obj.metadata.name}`));
  source.objects = [{ metadata: { name: 'j1', namespace: 'n' } }];
  return { clock, journal, elector, lost, manager, source, informer };
}

describe('Manager', () => {
  it('starts the others, syncs the informers, leads, then starts leader-only runnables in order', async () => {
    const { clock, journal, elector, manager } = setup();
    manager.add(runnable('probes', journal), { leaderOnly: false });
    manager.add(runnable('hpcjob-controller', journal));
    manager.add(runnable('vc-controller', journal));
    let started = false;
    void manager.start().then(() => (started = true));
    await clock.advanceAsync(0);
    expect(journal).toEqual(['start probes', 'add j1', 'acquire']);
    expect(manager.synced).toBe(true);
    expect(manager.leading).toBe(false);
    expect(started).toBe(false);
    elector.grant();
    await clock.advanceAsync(0);
    expect(journal.slice(3)).toEqual(['start hpcjob-controller', 'start vc-controller']);
    expect(manager.leading).toBe(true);
    expect(started).toBe(true);
  });

  it('shares one informer per source name', () => {
    const { manager, informer } = setup();
    expect(manager.informer(new FakeListWatch<KubeObject>('hpcjobs'))).toBe(informer);
    expect(manager.informer(new FakeListWatch<KubeObject>('virtualclusters'))).not.toBe(informer);
  });

  it('stops leader-only runnables in reverse, drains in beforeRelease hooks, releases, then stops the rest', async () => {
    const { clock, journal, elector, manager, source } = setup();
    manager.add(runnable('probes', journal), { leaderOnly: false });
    manager.add(runnable('a', journal));
    manager.add(runnable('b', journal));
    let submitted: (() => void) | undefined;
    manager.beforeRelease('drain submissions', async () => {
      journal.push('drain start');
      // A condor_submit still in flight: the Lease must not be released before it has answered.
      await new Promise<void>((r) => (submitted = r));
      journal.push('drain done');
    });
    manager.beforeRelease('second', () => void journal.push('second hook'));
    manager.onStop('close agents', () => void journal.push('onStop'));
    void manager.start();
    await clock.advanceAsync(0);
    elector.grant();
    await clock.advanceAsync(0);
    journal.length = 0;
    const stopping = manager.stop();
    await clock.advanceAsync(0);
    expect(journal).toEqual(['stop b', 'stop a', 'drain start']);
    submitted?.();
    await stopping;
    expect(journal).toEqual([
      'stop b',
      'stop a',
      'drain start',
      'drain done',
      'second hook',
      'release',
      'stop probes',
      'onStop',
    ]);
    expect(source.current.aborted).toBe(true);
    expect(manager.leading).toBe(false);
    expect(manager.stop()).toBe(stopping);
  });

  it('a standby stopped before it leads never starts its leader-only runnables', async () => {
    const { clock, journal, manager } = setup();
    manager.add(runnable('controller', journal));
    let started = false;
    void manager.start().then(() => (started = true));
    await clock.advanceAsync(0);
    await manager.stop();
    await clock.advanceAsync(0);
    expect(started).toBe(true);
    expect(journal).toEqual(['add j1', 'acquire', 'release']);
  });

  it('hands the loss of leadership to the caller', async () => {
    const { clock, elector, lost, manager } = setup();
    void manager.start();
    await clock.advanceAsync(0);
    elector.grant();
    await clock.advanceAsync(5_000);
    elector.lose();
    expect(lost).toEqual([5_000]);
    expect(manager.leading).toBe(false);
  });

  it('with a real elector: a graceful handover lets the standby lead only after the drain', async () => {
    const clock = new ManualClock(0);
    const store = new MemoryLeaseStore();
    const journal: string[] = [];
    const replica = (id: string) => {
      const elector = new LeaderElector(store, {
        namespace: 'ns',
        name: 'lease',
        identity: id,
        log,
        clock,
        random: fixedRandom(0),
      });
      const m = new Manager({
        log,
        clock,
        leaderElection: { elector, onLost: () => journal.push(`lost ${id}`) },
      });
      m.add(runnable(`work ${id}`, journal));
      return { m, elector };
    };
    const a = replica('a');
    const b = replica('b');
    a.m.beforeRelease('drain', async () => {
      await clock.sleep(3_000);
      journal.push(`drained a, lease holder ${store.current('ns', 'lease')?.holderIdentity}`);
    });
    void a.m.start();
    await clock.advanceAsync(0);
    void b.m.start();
    await clock.advanceAsync(10_000);
    expect(journal).toEqual(['start work a']);
    const stopping = a.m.stop();
    await clock.advanceAsync(3_000);
    await stopping;
    await clock.advanceAsync(2_000);
    expect(journal).toEqual(['start work a', 'stop work a', 'drained a, lease holder a', 'start work b']);
    expect(b.elector.isLeader).toBe(true);
    await b.m.stop();
  });
});
