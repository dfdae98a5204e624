import { describe, expect, it } from '@jest/globals';
import { makeHPCJob } from '../../../test/support/builders/hpcjob.js';
import { makeHPCJobSet, setCounts } from '../../../test/support/builders/hpcjobset.js';
import { makeVirtualCluster } from '../../../test/support/builders/virtualcluster.js';
import type { HPCJobSet } from '../../crds/hpcjobset.js';
import { watchVirtualClusters, type Watchable } from './controller.js';
import { demandOf, NO_DEMAND, setSteps, wantedPilots } from './demand.js';

const NOW = Date.UTC(2026, 0, 1, 12);
const counts = setCounts;

describe('demandOf: the indices of HPCJobSets', () => {
  const vc = makeVirtualCluster('vc', 'ns')
    .allocation((a) => a.workers({ autoscale: 'QueuedJobs', max: 10, cores: 4, memory: '8Gi' }))
    .obj();
  const sweep = (name = 'sweep') =>
    makeHPCJobSet(name, 'ns')
      .spec({ count: 100_000 })
      .template({ virtualClusterRef: { name: 'vc' } });

  it('counts a set as one entry: its indices in HTCondor and the pending ones parallelism leaves room for', () => {
    const set = sweep()
      .spec({ parallelism: 10 })
      .template({ resources: { cpus: 2 } })
      .status({
        phase: 'Running',
        counts: counts({ running: 3, queued: 2, held: 1, pending: 99_990, succeeded: 4 }),
      })
      .obj();
    expect([...setSteps([set], vc)]).toEqual([expect.objectContaining({ count: 10, queued: 7, pending: 4 })]);
    expect(demandOf([], vc, NOW, [set]).cpus).toBe(20);
  });

  it('counts every index of a new set (no status yet) up to parallelism, and none of one that ended', () => {
    expect(demandOf([], vc, NOW, [sweep().obj()]).cpus).toBe(100_000);
    expect(demandOf([], vc, NOW, [sweep().spec({ parallelism: 8 }).obj()]).cpus).toBe(8);
    const done = sweep()
      .status({ phase: 'Succeeded', counts: counts({ succeeded: 100_000 }) })
      .obj();
    expect(demandOf([], vc, NOW, [done])).toEqual(NO_DEMAND);
  });

  it('adds to the HPCJobs on the same VirtualCluster, and grows pilots for both', () => {
    const set = sweep().spec({ count: 6 }).obj();
    const job = makeHPCJob('step', 'ns')
      .virtualCluster('vc')
      .spec({ resources: { cpus: 2 } })
      .obj();
    const d = demandOf([job], vc, NOW, [set]);
    expect(d.cpus).toBe(8);
    expect(wantedPilots(vc.spec.allocations ?? [], d).get('site1')).toBe(2);
  });

  it('leaves out sets of another VirtualCluster or namespace, and templates no worker can hold', () => {
    const other = makeHPCJobSet('a', 'ns')
      .template({ virtualClusterRef: { name: 'elsewhere' } })
      .obj();
    const otherNs = makeHPCJobSet('b', 'ns2')
      .template({ virtualClusterRef: { name: 'vc' } })
      .obj();
    const plain = makeHPCJobSet('c', 'ns').obj();
    const tooBig = sweep('big')
      .template({ resources: { cpus: 8 } })
      .obj();
    expect(demandOf([], vc, NOW, [other, otherNs, plain, tooBig])).toEqual(NO_DEMAND);
  });

  it('sets the walltime the next pilots need from the queued indices only', () => {
    const timed = makeVirtualCluster('vc', 'ns')
      .allocation((a) => a.set({ walltime: '1h', maxWalltime: '8h' }))
      .obj();
    timed.spec.steps = { defaultWalltime: '20m', walltimeMargin: '1m' };
    const queued = sweep()
      .spec({ count: 3 })
      .template({ resources: { walltime: '2h' } })
      .obj();
    const running = sweep('r')
      .spec({ count: 2 })
      .template({ resources: { walltime: '5h' } })
      .status({ phase: 'Running', counts: counts({ running: 2 }) })
      .obj();
    const d = demandOf([], timed, NOW, [queued, running]);
    expect([d.cpus, d.longestNeedSeconds, d.shortestNeedSeconds]).toEqual([5, 7260, 7260]);
  });

  it('does not count pending indices while the credentials end before the template would, but does the submitted', () => {
    const expiring = makeVirtualCluster('vc', 'ns')
      .allocation((a) => a.set({ walltime: '4h' }))
      .status((st) => st.set({ credentialExpiresAt: new Date(NOW + 3_600_000).toISOString() }))
      .obj();
    const set = sweep()
      .spec({ count: 10 })
      .template({ resources: { walltime: '2h' } })
      .status({ phase: 'Running', counts: counts({ queued: 3, pending: 7 }) })
      .obj();
    expect(demandOf([], expiring, NOW, [set]).cpus).toBe(3);
  });
});

describe('the VirtualCluster controller watches HPCJobSets', () => {
  it('wakes the VirtualCluster a set names when the set changes, and nothing for a set on the default pool', () => {
    const handlers: ((type: string, set: HPCJobSet) => void)[] = [];
    const none = { on: () => undefined };
    const sets: Watchable<HPCJobSet> = { on: (h) => void handlers.push(h) };
    const woken: string[] = [];
    watchVirtualClusters({ virtualClusters: none, hpcJobs: none, hpcJobSets: sets }, (k) => woken.push(k));
    for (const h of handlers) {
      h(
        'MODIFIED',
        makeHPCJobSet('a', 'ns')
          .template({ virtualClusterRef: { name: 'vc' } })
          .obj(),
      );
      h('MODIFIED', makeHPCJobSet('b', 'ns').obj());
    }
    expect(woken).toEqual(['ns/vc']);
  });
});
