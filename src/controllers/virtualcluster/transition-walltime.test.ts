/**
 * The VirtualCluster transition with walltime-aware pilots: pilots long enough for the queued steps (up to
 * maxWalltime), idle pilots with too little time left replaced, and what their scripts advertise. Pure.
 */
import { describe, expect, it } from '@jest/globals';
import type { VirtualCluster } from '../../crds/virtualcluster.js';
import { makeObservation, pilot } from '../../../test/support/builders/vc-observation.js';
import { makeVirtualCluster, VC_CREATED } from '../../../test/support/builders/virtualcluster.js';
import type { Plan, SiteEffect, TransitionConfig } from './model.js';
import { placeOf } from './places.js';
import { transition } from './transition.js';

const NOW = VC_CREATED + 600_000;
const CONFIG: TransitionConfig = { activePollMs: 5000, steadyPollMs: 30_000 };

function site<K extends SiteEffect['kind']>(p: Plan, kind: K): Extract<SiteEffect, { kind: K }>[] {
  return p.effects.filter((e): e is Extract<SiteEffect, { kind: K }> => e.kind === kind);
}
function place(vc: VirtualCluster) {
  const a = vc.spec.allocations?.[0];
  if (!a) throw new Error('no allocation');
  return placeOf(vc, a);
}

/** One autoscaled SLURM allocation: pilots of 1h, up to 4h for steps that need it. */
const vc = makeVirtualCluster()
  .withFinalizer()
  .allocation((a) => a.autoscale(0, 2).set({ walltime: '1h', maxWalltime: '4h' }))
  .recorded('site1')
  .obj();
const p = place(vc);

describe('pilots long enough for the queued steps', () => {
  it('keep the allocation walltime while the queued steps fit in it', () => {
    const plan = transition(vc, makeObservation().listed(p).demand(1).needs(1800).obj(), NOW, CONFIG);
    const [submit] = site(plan, 'submitPilots');
    expect(submit?.pilots[0]?.script).toContain('#SBATCH --time=01:00:00');
    expect(submit?.event.note).toBe('1 pilot(s) submitted to slurm on login.example (allocation site1)');
  });

  it('get a longer walltime for a step that needs more, and say so', () => {
    // 2h of walltime and margin: a pilot whose lifetime (walltime - 10 min) covers it after a minute's start-up.
    const plan = transition(vc, makeObservation().listed(p).demand(1).needs(7200).obj(), NOW, CONFIG);
    const [submit] = site(plan, 'submitPilots');
    expect(submit?.pilots[0]?.script).toContain('#SBATCH --time=02:11:00');
    expect(submit?.pilots[0]?.script).toContain('export _CONDOR_HPCPilotEnd=$(( $(date +%s) + 7260 ))');
    expect(submit?.event.note).toBe(
      '1 pilot(s) submitted to slurm on login.example (allocation site1), walltime 02:11:00 for the queued steps',
    );
  });

  it('never get more than maxWalltime', () => {
    const plan = transition(vc, makeObservation().listed(p).demand(1).needs(50_000).obj(), NOW, CONFIG);
    expect(site(plan, 'submitPilots')[0]?.pilots[0]?.script).toContain('#SBATCH --time=04:00:00');
  });
});

describe('an idle pilot with too little time left for any queued step', () => {
  const listed = [pilot(p, 0, 'running')];
  const idle = `${p.pilotPrefix}0`;

  it('is cancelled and replaced by one that fits', () => {
    const o = makeObservation()
      .listed(p, listed)
      .ends(idle, NOW + 300_000)
      .demand(1)
      .needs(900, 600)
      .obj();
    const plan = transition(vc, o, NOW, CONFIG);
    expect(site(plan, 'cancelPilots').map((e) => e.ids)).toEqual([['1000']]);
    expect(site(plan, 'submitPilots').map((e) => e.pilots.map((x) => x.name))).toEqual([
      [`${p.pilotPrefix}1`],
    ]);
  });

  it('stays while it can still take the shortest queued step, or runs one', () => {
    const enough = makeObservation()
      .listed(p, listed)
      .ends(idle, NOW + 700_000)
      .demand(1)
      .needs(900, 600)
      .obj();
    expect(site(transition(vc, enough, NOW, CONFIG), 'cancelPilots')).toEqual([]);
    const busy = makeObservation()
      .listed(p, listed)
      .ends(idle, NOW + 300_000)
      .busy(idle)
      .demand(1)
      .needs(900, 600)
      .obj();
    expect(site(transition(vc, busy, NOW, CONFIG), 'cancelPilots')).toEqual([]);
  });

  it('stays when no queued step needs a particular time', () => {
    const o = makeObservation()
      .listed(p, listed)
      .ends(idle, NOW + 60_000)
      .demand(1)
      .obj();
    expect(site(transition(vc, o, NOW, CONFIG), 'cancelPilots')).toEqual([]);
  });
});

describe('a maxWalltime shorter than the walltime, or a step default that is no duration', () => {
  it('is Failed with the field, before any site is looked at', () => {
    const short = makeVirtualCluster()
      .allocation((a) => a.set({ walltime: '2h', maxWalltime: '1h' }))
      .obj();
    const plan = transition(short, makeObservation().noToken().obj(), NOW, CONFIG);
    expect(plan.status?.phase).toBe('Failed');
    expect(plan.status?.message).toBe(
      'spec.allocations[0].maxWalltime must not be shorter than its walltime',
    );
    const huge = makeVirtualCluster().allocation().obj();
    huge.spec.steps = { defaultWalltime: '9999999d' };
    expect(transition(huge, makeObservation().noToken().obj(), NOW, CONFIG).status?.message).toContain(
      'spec.steps.defaultWalltime',
    );
  });
});
