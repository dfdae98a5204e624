/**
 * The VirtualCluster transition with GPU workers: GPU steps scale up the allocation with GPUs, its pilots'
 * scripts ask the batch system for the GPUs (or not, with gpuRequest None) and turn discovery on, and the status
 * counts the GPUs requested, busy and idle. Pure: objects from builders, no I/O.
 */
import { describe, expect, it } from '@jest/globals';
import type { VirtualCluster } from '../../crds/virtualcluster.js';
import { makeObservation, pilot } from '../../../test/support/builders/vc-observation.js';
import { makeVirtualCluster, VC_CREATED } from '../../../test/support/builders/virtualcluster.js';
import type { Plan, SiteEffect, TransitionConfig } from './model.js';
import { placeOf } from './places.js';
import { transition } from './transition.js';

const NOW = VC_CREATED + 600_000;
const CONFIG: TransitionConfig = {
  activePollMs: 5000,
  steadyPollMs: 30_000,
  pilotGpuDiscoveryExtra: '-simulate:4,2',
};

function place(vc: VirtualCluster, name: string) {
  const a = vc.spec.allocations?.find((x) => x.name === name);
  if (!a) throw new Error(`no allocation ${name}`);
  return placeOf(vc, a);
}
function site<K extends SiteEffect['kind']>(p: Plan, kind: K): Extract<SiteEffect, { kind: K }>[] {
  return p.effects.filter((e): e is Extract<SiteEffect, { kind: K }> => e.kind === kind);
}

/** site1: CPU pilots of 4 cores (max 4); site2: pilots of 2 cores and 2 GPUs (max 2). */
function mixed(gpuRequest?: 'None') {
  return makeVirtualCluster()
    .withFinalizer()
    .allocation((a) => a.autoscale(0, 4, 4))
    .allocation((a) =>
      a.workers({
        autoscale: 'QueuedJobs',
        max: 2,
        cores: 2,
        gpus: 2,
        ...(gpuRequest ? { gpuRequest } : {}),
      }),
    )
    .recorded('site1', 'site2')
    .obj();
}

describe('GPU steps on a VirtualCluster with a GPU allocation', () => {
  const vc = mixed();
  const [cpu, gpu] = [place(vc, 'site1'), place(vc, 'site2')];
  const plan = transition(
    vc,
    makeObservation().listed(cpu).listed(gpu).demand(0, { gpus: 3, cpus: 3 }).obj(),
    NOW,
    CONFIG,
  );

  it('scale up only the GPU allocation, enough pilots for the GPUs', () => {
    expect(plan.status?.allocations?.map((a) => [a.name, a.requested])).toEqual([
      ['site1', 0],
      ['site2', 2],
    ]);
    expect(site(plan, 'submitPilots').map((e) => [e.place.allocation, e.pilots.length])).toEqual([
      ['site2', 2],
    ]);
  });

  it('submit pilots that ask SLURM for the GPUs and discover them with the admin\u2019s options', () => {
    const script = site(plan, 'submitPilots')[0]?.pilots[0]?.script ?? '';
    expect(script).toContain('#SBATCH --gres=gpu:2');
    expect(script).toContain("_CONDOR_STARTD_DETECT_GPUS='-properties $(GPU_DISCOVERY_EXTRA)'");
    expect(script).toContain('_CONDOR_GPU_DISCOVERY_EXTRA=-simulate:4,2');
  });

  it('count the GPUs requested before any pilot runs', () => {
    expect(plan.status?.allocations?.[1]?.gpus).toEqual({ requested: 4, busy: 0, idle: 0 });
    expect(plan.status?.allocations?.[0]?.gpus).toBeUndefined();
    expect(plan.status?.gpus).toEqual({ requested: 4, busy: 0, idle: 0 });
    expect(plan.status?.message).toContain('GPUs: 4 requested, 0 busy, 0 idle');
  });

  it('ask the batch system for nothing with gpuRequest None, and still discover', () => {
    const none = mixed('None');
    const p = transition(
      none,
      makeObservation()
        .listed(place(none, 'site1'))
        .listed(place(none, 'site2'))
        .demand(0, { gpus: 1, cpus: 1 })
        .obj(),
      NOW,
      CONFIG,
    );
    const script = site(p, 'submitPilots')[0]?.pilots[0]?.script ?? '';
    expect(script).not.toContain('--gres');
    expect(script).toContain('_CONDOR_GPU_DISCOVERY_EXTRA=-simulate:4,2');
  });
});

describe('GPU counts from the pilots in the pool', () => {
  const vc = mixed();
  const [cpu, gpu] = [place(vc, 'site1'), place(vc, 'site2')];

  it('sum the busy and idle GPUs of the running pilots, per allocation and in all', () => {
    const o = makeObservation()
      .listed(cpu, [pilot(cpu, 0, 'running')])
      .joined(`${cpu.pilotPrefix}0`)
      .listed(gpu, [pilot(gpu, 0, 'running'), pilot(gpu, 1, 'running'), pilot(gpu, 2, 'queued')])
      .gpus(`${gpu.pilotPrefix}0`, 2, 1)
      .gpus(`${gpu.pilotPrefix}1`, 2, 2)
      .busy(`${gpu.pilotPrefix}0`)
      .demand(4, { gpus: 1, cpus: 1 })
      .obj();
    const plan = transition(vc, o, NOW, CONFIG);
    expect(plan.status?.allocations?.[1]?.gpus).toEqual({ requested: 2, busy: 1, idle: 3 });
    expect(plan.status?.gpus).toEqual({ requested: 2, busy: 1, idle: 3 });
  });

  it('count GPUs a pilot without workers.gpus still advertises (a site configuration forcing discovery on)', () => {
    const o = makeObservation()
      .listed(cpu, [pilot(cpu, 0, 'running')])
      .gpus(`${cpu.pilotPrefix}0`, 1, 1)
      .listed(gpu)
      .demand(4)
      .obj();
    expect(transition(vc, o, NOW, CONFIG).status?.allocations?.[0]?.gpus).toEqual({
      requested: 0,
      busy: 0,
      idle: 1,
    });
  });

  it('are gone from a VirtualCluster without GPUs, and after its lifetime', () => {
    const cpuOnly = makeVirtualCluster()
      .withFinalizer()
      .allocation((a) => a.workers({ count: 1 }))
      .status((s) => s.set({ gpus: { requested: 2, busy: 0, idle: 2 } }))
      .obj();
    const p = transition(cpuOnly, makeObservation().listed(place(cpuOnly, 'site1')).obj(), NOW, CONFIG);
    expect(p.status?.gpus).toBeUndefined();
    const ended = makeVirtualCluster()
      .withFinalizer()
      .lifetime('1m')
      .allocation((a) => a.workers({ count: 1, gpus: 2 }))
      .status((s) => s.set({ gpus: { requested: 2, busy: 0, idle: 2 } }))
      .obj();
    const e = transition(ended, makeObservation().noToken().listed(place(ended, 'site1')).obj(), NOW, CONFIG);
    expect(e.status?.phase).toBe('Terminated');
    expect(e.status?.gpus).toBeUndefined();
  });
});
