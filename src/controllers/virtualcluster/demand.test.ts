import { describe, expect, it } from '@jest/globals';
import { makeHPCJob } from '../../../test/support/builders/hpcjob.js';
import { makeAllocation, makeVirtualCluster } from '../../../test/support/builders/virtualcluster.js';
import type { Allocation } from '../../crds/virtualcluster.js';
import { demandOf, NO_DEMAND, wantedPilots, type Demand } from './demand.js';

const NOW = Date.UTC(2026, 0, 1, 12);

const alloc = (name: string, workers: Allocation['workers']): Allocation =>
  makeAllocation(name)
    .workers(workers ?? {})
    .obj();
const cpus = (n: number): Demand => ({ ...NO_DEMAND, cpus: n, gpus: 0, gpuCpus: 0 });
const wanted = (...pairs: [string, number][]) => new Map(pairs);

describe('wantedPilots', () => {
  it('keeps count pilots per static allocation, never above max', () => {
    expect(wantedPilots([alloc('a', { count: 2 }), alloc('b', { count: 5, max: 3 })], cpus(100))).toEqual(
      wanted(['a', 2], ['b', 3]),
    );
  });

  it('grows with the demand between min and max, filling allocations in order', () => {
    const allocations = [
      alloc('a', { autoscale: 'QueuedJobs', min: 1, max: 2, cores: 4 }),
      alloc('b', { autoscale: 'QueuedJobs', min: 0, max: 10, cores: 2 }),
    ];
    expect(wantedPilots(allocations, cpus(0))).toEqual(wanted(['a', 1], ['b', 0]));
    expect(wantedPilots(allocations, cpus(4))).toEqual(wanted(['a', 1], ['b', 0]));
    expect(wantedPilots(allocations, cpus(9))).toEqual(wanted(['a', 2], ['b', 1]));
    expect(wantedPilots(allocations, cpus(100))).toEqual(wanted(['a', 2], ['b', 10]));
  });
});

describe('wantedPilots with GPU steps', () => {
  const cpuFirst = [
    alloc('cpu', { autoscale: 'QueuedJobs', max: 10, cores: 4 }),
    alloc('gpu', { autoscale: 'QueuedJobs', max: 3, cores: 4, gpus: 2 }),
  ];

  it('grows only the allocation with GPUs for GPU steps, even when a CPU one comes first', () => {
    // Three one-GPU steps of one core: two pilots of two GPUs; the CPU allocation stays empty.
    expect(wantedPilots(cpuFirst, { ...NO_DEMAND, cpus: 0, gpus: 3, gpuCpus: 3 })).toEqual(
      wanted(['cpu', 0], ['gpu', 2]),
    );
  });

  it('asks for enough GPU pilots for the GPU steps\u2019 CPUs too', () => {
    // Two one-GPU steps of four cores each: one pilot has the GPUs but only four cores.
    expect(wantedPilots(cpuFirst, { ...NO_DEMAND, cpus: 0, gpus: 2, gpuCpus: 8 })).toEqual(
      wanted(['cpu', 0], ['gpu', 2]),
    );
  });

  it('stops at max, and the GPU steps left go to the next allocation with GPUs', () => {
    const two = [
      alloc('small', { autoscale: 'QueuedJobs', max: 1, cores: 2, gpus: 4 }),
      alloc('big', { autoscale: 'QueuedJobs', max: 5, cores: 8, gpus: 4 }),
    ];
    // Four steps of one GPU and two cores: `small` runs one at a time (two cores), `big` takes the other three.
    expect(wantedPilots(two, { ...NO_DEMAND, cpus: 0, gpus: 4, gpuCpus: 8 })).toEqual(
      wanted(['small', 1], ['big', 1]),
    );
  });

  it('counts the spare cores of GPU pilots for CPU steps, and grows CPU allocations before GPU ones', () => {
    const gpuFirst = [cpuFirst[1] as Allocation, cpuFirst[0] as Allocation];
    // One GPU step of one core on a four-core GPU pilot leaves three cores: three CPU steps need nothing more.
    expect(wantedPilots(gpuFirst, { ...NO_DEMAND, cpus: 3, gpus: 1, gpuCpus: 1 })).toEqual(
      wanted(['gpu', 1], ['cpu', 0]),
    );
    // A fourth CPU step: a CPU pilot, not a second GPU pilot, though the GPU allocation comes first.
    expect(wantedPilots(gpuFirst, { ...NO_DEMAND, cpus: 4, gpus: 1, gpuCpus: 1 })).toEqual(
      wanted(['gpu', 1], ['cpu', 1]),
    );
  });

  it('grows an allocation with GPUs for CPU steps when no other allocation can take them', () => {
    const full = [
      alloc('cpu', { autoscale: 'QueuedJobs', max: 1, cores: 4 }),
      alloc('gpu', { autoscale: 'QueuedJobs', max: 3, cores: 4, gpus: 2 }),
    ];
    expect(wantedPilots(full, cpus(12))).toEqual(wanted(['cpu', 1], ['gpu', 2]));
    expect(wantedPilots([cpuFirst[1] as Allocation], cpus(100))).toEqual(wanted(['gpu', 3]));
  });

  it('grows nothing for GPU steps when no allocation has GPUs (the steps say NoWorkerFits)', () => {
    expect(wantedPilots([cpuFirst[0] as Allocation], { ...NO_DEMAND, cpus: 0, gpus: 2, gpuCpus: 2 })).toEqual(
      wanted(['cpu', 0]),
    );
  });
});

describe('demandOf', () => {
  const vc = makeVirtualCluster('vc', 'ns')
    .allocation((a) => a.workers({ cores: 4, memory: '8Gi', gpus: 2 }))
    .obj();
  const step = (
    name: string,
    resources: { cpus?: number; gpus?: number },
    phase?: 'Running' | 'Succeeded',
  ) => {
    const b = makeHPCJob(name, 'ns').virtualCluster('vc').spec({ resources });
    return (phase ? b.status({ phase }) : b).obj();
  };

  it('counts the unfinished steps that name the VirtualCluster, GPU steps apart', () => {
    const jobs = [
      step('a', { cpus: 2 }),
      step('b', {}, 'Running'),
      step('c', { gpus: 2, cpus: 4 }),
      step('d', { gpus: 1 }),
      step('done', { gpus: 1 }, 'Succeeded'),
      // Bigger than any worker: it waits with NoWorkerFits and grows nothing.
      step('too-many-gpus', { gpus: 4 }),
      step('too-many-cpus', { cpus: 8 }),
      makeHPCJob('other', 'ns').virtualCluster('elsewhere').obj(),
      makeHPCJob('otherns', 'ns2').virtualCluster('vc').obj(),
    ];
    expect(demandOf(jobs, vc, NOW)).toEqual({ ...NO_DEMAND, cpus: 3, gpus: 3, gpuCpus: 5 });
  });
});

describe('demandOf: how long the queued steps need a pilot', () => {
  const vc = makeVirtualCluster('vc', 'ns')
    .allocation((a) => a.set({ walltime: '1h', maxWalltime: '8h' }))
    .obj();
  vc.spec.steps = { defaultWalltime: '20m', walltimeMargin: '1m' };
  const step = (name: string, walltime?: string, phase?: 'Running') => {
    const b = makeHPCJob(name, 'ns')
      .virtualCluster('vc')
      .spec({ resources: { memory: '1Gi', ...(walltime ? { walltime } : {}) } });
    return (phase ? b.status({ phase }) : b).obj();
  };

  it('takes the longest and the shortest of the steps not running yet (defaults for those without)', () => {
    const d = demandOf([step('a', '2h'), step('b'), step('c', '5h', 'Running')], vc, NOW);
    expect([d.longestNeedSeconds, d.shortestNeedSeconds]).toEqual([7260, 1260]);
  });

  it('leaves out steps no pilot could run (longer than maxWalltime allows)', () => {
    const d = demandOf([step('a', '10h'), step('b', '30m')], vc, NOW);
    expect([d.cpus, d.longestNeedSeconds]).toEqual([1, 1860]);
  });

  it('is 0 without queued steps, or when one of them needs no particular time', () => {
    expect(demandOf([step('c', '5h', 'Running')], vc, NOW).longestNeedSeconds).toBe(0);
    const plain = makeVirtualCluster('vc', 'ns').allocation().obj();
    expect(demandOf([step('a', '10m'), step('b')], plain, NOW).shortestNeedSeconds).toBe(0);
  });
});

describe('demandOf: steps waiting for credentials that expire first', () => {
  const vc = makeVirtualCluster('vc', 'ns')
    .allocation((a) => a.set({ walltime: '4h' }))
    .status((st) => st.set({ credentialExpiresAt: new Date(NOW + 3_600_000).toISOString() }))
    .obj();
  const step = (name: string, walltime: string, phase?: 'Queued' | 'Running') => {
    const b = makeHPCJob(name, 'ns').virtualCluster('vc').spec({ resources: { walltime } });
    return (phase ? b.status({ phase }) : b).obj();
  };

  it('grow nothing while they wait; a step that fits, or one already submitted, still counts', () => {
    const d = demandOf([step('long', '2h'), step('short', '30m'), step('queued', '2h', 'Queued')], vc, NOW);
    expect(d.cpus).toBe(2);
    // Once the credentials are renewed, the long step counts again.
    vc.status = { credentialExpiresAt: new Date(NOW + 86_400_000).toISOString() };
    expect(demandOf([step('long', '2h')], vc, NOW).cpus).toBe(1);
  });
});

describe('gang steps (resources.nodes above 1)', () => {
  const gangs = (g: Record<number, number>): Demand => ({ ...NO_DEMAND, gangs: g });

  it('each takes a whole pilot of an allocation with its node count, before the other steps', () => {
    const allocations = [
      alloc('single', { autoscale: 'QueuedJobs', max: 4, cores: 2 }),
      alloc('pairs', { autoscale: 'QueuedJobs', max: 2, cores: 2, nodes: 2 }),
    ];
    expect(wantedPilots(allocations, gangs({ 2: 3 }))).toEqual(wanted(['single', 0], ['pairs', 2]));
    // A gang of a size no allocation has grows nothing (the step says NoWorkerFits).
    expect(wantedPilots(allocations, gangs({ 4: 1 }))).toEqual(wanted(['single', 0], ['pairs', 0]));
    // A pilot's cores count once per node for single-node steps: 8 cores are one pilot of 2 nodes x 2 cores
    // once the single-node allocation is full.
    expect(
      wantedPilots([alloc('pairs', { autoscale: 'QueuedJobs', max: 2, cores: 2, nodes: 2 })], cpus(4)),
    ).toEqual(wanted(['pairs', 1]));
    expect(wantedPilots(allocations, { ...gangs({ 2: 1 }), cpus: 10 })).toEqual(
      wanted(['single', 4], ['pairs', 2]),
    );
  });

  it('counts the unfinished gang steps by their node count', () => {
    const vc = makeVirtualCluster('vc', 'ns')
      .allocation((a) => a.workers({ cores: 2, nodes: 2 }))
      .obj();
    const gang = (name: string, nodes: number, phase?: 'Succeeded') => {
      const b = makeHPCJob(name, 'ns')
        .virtualCluster('vc')
        .spec({ resources: { nodes, memory: '128Mi' } });
      return (phase ? b.status({ phase }) : b).obj();
    };
    // A 3-node step fits no pilot of 2 nodes: it asks for nothing.
    const d = demandOf([gang('a', 2), gang('b', 2), gang('c', 3), gang('done', 2, 'Succeeded')], vc, NOW);
    expect(d).toEqual({ ...NO_DEMAND, gangs: { 2: 2 } });
  });
});
