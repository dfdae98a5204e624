import { describe, expect, it } from '@jest/globals';
import type { HPCJob } from '../../crds/hpcjob.js';
import type { VirtualCluster } from '../../crds/virtualcluster.js';
import { noWorkerFits } from './fit.js';

const job = (resources?: { cpus?: number; memory?: string }) =>
  ({ metadata: { name: 'j', namespace: 'ns' }, spec: { command: ['true'], resources } }) as unknown as HPCJob;
const vc = (...workers: ({ cores?: number; memory?: string; gpus?: number; nodes?: number } | undefined)[]) =>
  ({
    metadata: { name: 'site', namespace: 'ns' },
    spec: { allocations: workers.map((w, i) => ({ name: `a${i}`, workers: w })) },
  }) as unknown as VirtualCluster;

describe('noWorkerFits', () => {
  it('accepts a job that some allocation can hold', () => {
    expect(
      noWorkerFits(job({ memory: '1Gi' }), vc({ memory: '512Mi' }, { memory: '4Gi', cores: 2 })),
    ).toBeUndefined();
  });

  it('uses the defaults on both sides: 1 core, 1Gi asked; 1 core, 2Gi offered', () => {
    expect(noWorkerFits(job(), vc(undefined))).toBeUndefined();
  });

  it('names what is asked and what is offered when nothing fits', () => {
    const why = noWorkerFits(job(), vc({ memory: '512Mi' }));
    expect(why).toContain('1 cores and 1024 MiB');
    expect(why).toContain('a0: 1 cores, 512 MiB');
  });

  it('checks cores as well as memory', () => {
    expect(noWorkerFits(job({ cpus: 4, memory: '1Gi' }), vc({ cores: 2, memory: '8Gi' }))).toContain(
      '4 cores',
    );
  });
});

describe('noWorkerFits with GPUs', () => {
  const gpuJob = (gpus: number) =>
    ({
      metadata: { name: 'j', namespace: 'ns' },
      spec: { command: ['true'], resources: { gpus } },
    }) as unknown as HPCJob;

  it('needs an allocation with at least as many GPUs per pilot', () => {
    expect(noWorkerFits(gpuJob(2), vc({ cores: 4 }, { gpus: 2 }))).toBeUndefined();
    const why = noWorkerFits(gpuJob(3), vc({ cores: 4 }, { gpus: 2 }));
    expect(why).toContain('1 cores, 1024 MiB and 3 GPUs');
    expect(why).toContain('a0: 4 cores, 2048 MiB, 0 GPUs; a1: 1 cores, 2048 MiB, 2 GPUs');
  });

  it('does not mention GPUs to a step that asks for none', () => {
    expect(noWorkerFits(job(), vc({ memory: '512Mi', gpus: 1 }))).not.toContain('GPU');
  });

  it('needs an allocation whose pilots have as many nodes as a gang step, and says which there are', () => {
    const gang = (nodes: number) =>
      ({
        metadata: { name: 'j', namespace: 'ns' },
        spec: { command: ['true'], resources: { nodes, memory: '512Mi' } },
      }) as unknown as HPCJob;
    expect(noWorkerFits(gang(2), vc({ cores: 1 }, { nodes: 2 }))).toBeUndefined();
    expect(noWorkerFits(gang(4), vc({ cores: 1 }, { nodes: 2 }))).toBe(
      "the step asks for 4 nodes but no allocation of VirtualCluster site has pilots of 4 nodes (nodes per pilot: a0: 1; a1: 2): it would stay idle; set resources.nodes to a pilot's workers.nodes",
    );
    // Per node: a 2-node step of 2 cores needs 2 cores on each node of the pilot.
    const wide = {
      ...gang(2),
      spec: { command: ['true'], resources: { nodes: 2, cpus: 2 } },
    } as unknown as HPCJob;
    expect(noWorkerFits(wide, vc({ cores: 1, nodes: 2 }))).toContain(
      'no worker of VirtualCluster site is that big',
    );
  });
});
