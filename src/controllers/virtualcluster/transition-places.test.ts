/**
 * Recorded places (status.sites) in the transition: a place is recorded before anything is put there, and a
 * place no allocation uses any more is cleaned, its pilots cancelled and then its token removed, before its
 * record is dropped (defect 8 of issue 12).
 */
import { describe, expect, it } from '@jest/globals';
import type { SitePlace, VirtualCluster } from '../../crds/virtualcluster.js';
import { makeObservation, pilot } from '../../../test/support/builders/vc-observation.js';
import {
  makeVirtualCluster,
  VC_CREATED,
  type AllocationBuilder,
} from '../../../test/support/builders/virtualcluster.js';
import type { Observation, Plan, SiteEffect, TransitionConfig } from './model.js';
import { placeKey, placeOf } from './places.js';
import { EventReason } from './reasons.js';
import { transition } from './transition.js';

const NOW = VC_CREATED + 600_000;
const CONFIG: TransitionConfig = { activePollMs: 5000, steadyPollMs: 30_000 };

function place(vc: VirtualCluster, name = 'site1'): SitePlace {
  const a = vc.spec.allocations?.find((x) => x.name === name);
  if (!a) throw new Error(`no allocation ${name}`);
  return placeOf(vc, a);
}
const at = (p: Plan, where: SitePlace) =>
  p.effects.filter((e): e is SiteEffect => 'place' in e && placeKey(e.place) === placeKey(where));
const what = (effects: SiteEffect[]) =>
  effects.map((e) => (e.kind === 'cancelPilots' ? `cancel ${e.ids.join(',')}` : e.kind));

/** site1 and site2 ran one pilot each (numbered 0); then site2 left the spec. */
function removedSite2() {
  const both = makeVirtualCluster()
    .withFinalizer()
    .allocation((a) => a.slurm('one.example').workers({ count: 1 }))
    .allocation((a) => a.slurm('two.example').workers({ count: 1 }))
    .status((s) =>
      s
        .phase('Running')
        .allocation('site1', { requested: 1, running: 1, nextSequence: 1 })
        .allocation('site2', { requested: 1, running: 1, nextSequence: 1 }),
    )
    .recorded('site1', 'site2')
    .obj();
  const old = place(both, 'site2');
  const vc: VirtualCluster = {
    ...both,
    spec: { ...both.spec, allocations: both.spec.allocations?.slice(0, 1) },
  };
  return { vc, site1: place(both, 'site1'), old };
}

/** Runs the transition and feeds the status back: the next pass sees what this one wrote. */
function pass(vc: VirtualCluster, o: Observation, now = NOW): { plan: Plan; vc: VirtualCluster } {
  const plan = transition(vc, o, now, CONFIG);
  return { plan, vc: { ...vc, status: plan.status } };
}

describe('defect 8: removed or changed allocation leaves pilots and the pool token on the site', () => {
  it('a removed allocation: its pilots are cancelled, then its token removed, then its record dropped', () => {
    const { vc, site1, old } = removedSite2();
    const p1 = pass(
      vc,
      makeObservation()
        .listed(site1, [pilot(site1, 0, 'running')])
        .listed(old, [pilot(old, 0, 'running', '77')])
        .obj(),
    );
    expect(what(at(p1.plan, old))).toEqual(['cancel 77']);
    expect(p1.plan.status?.sites?.find((r) => placeKey(r) === placeKey(old))?.cleanup).toEqual({
      since: '2026-01-01T00:10:00Z',
      pilotsBelow: 1,
    });
    expect(p1.plan.status?.allocations?.map((a) => a.name)).toEqual(['site1']);

    const p2 = pass(
      p1.vc,
      makeObservation()
        .listed(site1, [pilot(site1, 0, 'running')])
        .listed(old, [pilot(old, 0, 'failed', '77')])
        .memory(p1.plan.memory)
        .obj(),
      NOW + 5000,
    );
    expect(what(at(p2.plan, old))).toEqual(['removeToken']);
    expect(p2.plan.status?.sites).toHaveLength(2);

    const p3 = pass(
      p2.vc,
      makeObservation()
        .listed(site1, [pilot(site1, 0, 'running')])
        .listed(old, [], { tokenRemoved: true })
        .memory(p2.plan.memory)
        .obj(),
      NOW + 10_000,
    );
    expect(at(p3.plan, old)).toEqual([]);
    expect(p3.plan.status?.sites).toEqual([site1]);
    expect(p3.plan.events.map((e) => e.reason)).toEqual([EventReason.SiteCleaned]);
  });

  it.each([
    ['loginHost', (a: AllocationBuilder) => a.loginHost('new.example')],
    ['user', (a: AllocationBuilder) => a.user('other')],
    ['port', (a: AllocationBuilder) => a.port(2222)],
  ])(
    'a changed %s: the old place is cleaned, the new one gets the pilots, numbered after the old',
    (_f, change) => {
      const before = makeVirtualCluster()
        .withFinalizer()
        .allocation((a) => a.slurm('old.example').workers({ count: 2 }))
        .status((s) => s.phase('Running').allocation('site1', { requested: 2, running: 2, nextSequence: 2 }))
        .recorded('site1')
        .obj();
      const old = place(before);
      const vc = makeVirtualCluster()
        .withFinalizer()
        .allocation((a) => change(a.slurm('old.example').workers({ count: 2 })))
        .status((s) => s.phase('Running').allocation('site1', { requested: 2, running: 2, nextSequence: 2 }))
        .obj();
      vc.status = { ...vc.status, sites: [old] };
      const now = place(vc);
      expect(placeKey(now)).not.toBe(placeKey(old));
      const o = makeObservation()
        .listed(old, [pilot(old, 0, 'running', '10'), pilot(old, 1, 'queued', '11')])
        .listed(now, [], { tokenPrepared: false })
        .obj();
      const plan = transition(vc, o, NOW, CONFIG);
      expect(what(at(plan, old))).toEqual(['cancel 10,11']);
      expect(what(at(plan, now))).toEqual(['prepare', 'submitPilots']);
      const submit = at(plan, now).find((e) => e.kind === 'submitPilots');
      expect(submit?.kind === 'submitPilots' && submit.pilots.map((x) => x.name)).toEqual([
        `${now.pilotPrefix}2`,
        `${now.pilotPrefix}3`,
      ]);
      // Both places are recorded before the effects run: the old one being cleaned, the new one in use.
      expect(plan.status?.sites?.map((r) => [r.loginHost, r.user, r.port, r.cleanup?.pilotsBelow])).toEqual([
        [old.loginHost, old.user, old.port, 2],
        [now.loginHost, now.user, now.port, undefined],
      ]);
    },
  );

  it('a changed cacheDir (one batch system, one listing): only the old pilots are cancelled, the old token removed', () => {
    const vc = makeVirtualCluster()
      .withFinalizer()
      .allocation((a) => a.workers({ count: 1 }).cacheDir('/scratch/hpcop'))
      .status((s) => s.phase('Running').allocation('site1', { requested: 1, running: 1, nextSequence: 3 }))
      .obj();
    const old = { ...place(vc), directory: '~/.hpcop/0c0ffee0-site1' };
    vc.status = { ...vc.status, sites: [old] };
    const now = place(vc);
    // The same user on the same host: both places list the same jobs.
    const jobs = [pilot(now, 2, 'running', '20')];
    const p1 = pass(
      vc,
      makeObservation().listed(old, jobs).listed(now, jobs, { tokenPrepared: false }).obj(),
    );
    expect(what(at(p1.plan, old))).toEqual(['cancel 20']);
    expect(p1.plan.status?.sites?.[0]?.cleanup?.pilotsBelow).toBe(3);

    // The old pilot is gone, a new one (number 3) runs from the new directory: the old place leaves it be.
    const jobs2 = [pilot(now, 2, 'failed', '20'), pilot(now, 3, 'running', '21')];
    const p2 = pass(
      p1.vc,
      makeObservation().listed(old, jobs2).listed(now, jobs2).memory(p1.plan.memory).obj(),
      NOW + 5000,
    );
    expect(what(at(p2.plan, old))).toEqual(['removeToken']);
    expect(at(p2.plan, now)).toEqual([]);
    // The pilot the old place cancelled is not a failure of the allocation's, also once the record is gone.
    expect(p2.plan.status?.workers).toMatchObject({ running: 1, error: 0 });
    const p3 = pass(
      p2.vc,
      makeObservation()
        .listed(old, jobs2, { tokenRemoved: true })
        .listed(now, jobs2)
        .memory(p2.plan.memory)
        .obj(),
      NOW + 10_000,
    );
    expect(p3.plan.status?.sites).toEqual([now]);
    const p4 = pass(p3.vc, makeObservation().listed(now, jobs2).memory(p3.plan.memory).obj(), NOW + 15_000);
    expect(p4.plan.status?.workers).toMatchObject({ running: 1, error: 0 });
  });

  it('an old place that cannot be reached stays recorded, says why once, and does not hold the VirtualCluster up', () => {
    const { vc, site1, old } = removedSite2();
    const o = makeObservation()
      .listed(site1, [pilot(site1, 0, 'running')])
      .joined(`${site1.pilotPrefix}0`)
      .unreachable(old, 'two.example:22 is unreachable')
      .obj();
    const p1 = pass(vc, o);
    expect(p1.plan.status?.sites?.[1]?.cleanup?.message).toBe('two.example:22 is unreachable');
    expect(p1.plan.events).toMatchObject([
      { type: 'Warning', reason: EventReason.CleanupBlocked, action: 'Cleanup' },
    ]);
    expect(p1.plan.status?.phase).toBe('Running');
    expect(p1.plan.status?.message).toContain('cleaning up hpcuser@two.example:22:~/.hpcop/0c0ffee0-site2');
    expect(p1.plan.requeueAfterMs).toBe(CONFIG.activePollMs);
    const p2 = pass(p1.vc, { ...o, memory: p1.plan.memory }, NOW + 5000);
    expect(p2.plan.events).toEqual([]);
  });

  it('an allocation put back before its old place is clean takes the place over again', () => {
    const { vc, site1, old } = removedSite2();
    const p1 = pass(
      vc,
      makeObservation()
        .listed(site1)
        .listed(old, [pilot(old, 0, 'running')])
        .obj(),
    );
    expect(p1.plan.status?.sites?.[1]?.cleanup).toBeDefined();
    const back = makeVirtualCluster()
      .withFinalizer()
      .allocation((a) => a.slurm('one.example').workers({ count: 1 }))
      .allocation((a) => a.slurm('two.example').workers({ count: 1 }))
      .obj();
    const again = transition(
      { ...back, status: p1.plan.status },
      makeObservation().listed(site1).listed(old).obj(),
      NOW,
      CONFIG,
    );
    expect(again.status?.sites?.[1]).toEqual(old);
  });

  it('a new credentials Secret for the same place is a new way in, not a new place', () => {
    const vc = makeVirtualCluster()
      .withFinalizer()
      .allocation((a) => a.secret('site-ssh-2'))
      .obj();
    vc.status = { sites: [{ ...place(vc), secretName: 'site-ssh' }] };
    const plan = transition(vc, makeObservation().listed(place(vc)).obj(), NOW, CONFIG);
    expect(plan.status?.sites).toEqual([place(vc)]);
  });
});
