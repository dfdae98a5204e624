/**
 * The end of a VirtualCluster in the transition: past its lifetime (Terminating, then Terminated) and
 * deleted (the finalizer), both cleaning every recorded place, also places of allocations long removed
 * (defect 8), and an allocation of a VirtualCluster from before places were recorded.
 */
import { describe, expect, it } from '@jest/globals';
import type { SitePlace, VirtualCluster } from '../../crds/virtualcluster.js';
import { findStatusCondition } from '../../runtime/conditions.js';
import { makeObservation, pilot } from '../../../test/support/builders/vc-observation.js';
import { makeVirtualCluster, VC_CREATED } from '../../../test/support/builders/virtualcluster.js';
import type { Plan, SiteEffect, TransitionConfig } from './model.js';
import { placeKey, placeOf } from './places.js';
import { EventReason, Requeue } from './reasons.js';
import { transition } from './transition.js';

const CONFIG: TransitionConfig = { activePollMs: 5000, steadyPollMs: 30_000 };
const AFTER_LIFETIME = VC_CREATED + 2 * 3_600_000;

function place(vc: VirtualCluster, name = 'site1'): SitePlace {
  const a = vc.spec.allocations?.find((x) => x.name === name);
  if (!a) throw new Error(`no allocation ${name}`);
  return placeOf(vc, a);
}
const onSite = (p: Plan) =>
  p.effects
    .filter((e): e is SiteEffect => 'place' in e)
    .map((e) => `${e.kind}@${e.place.loginHost}${e.kind === 'cancelPilots' ? `:${e.ids.join(',')}` : ''}`);

/** site1 on one.example (current) and a record of a removed allocation on gone.example. */
function withRetired(o: { lifetime?: string; deleting?: boolean } = {}) {
  let b = makeVirtualCluster()
    .withFinalizer()
    .allocation((a) => a.slurm('one.example').workers({ count: 1 }))
    .status((s) => s.phase('Running').allocation('site1', { requested: 1, running: 1, nextSequence: 1 }))
    .recorded('site1');
  if (o.lifetime) b = b.lifetime(o.lifetime);
  if (o.deleting) b = b.deleting();
  const vc = b.obj();
  const retired: SitePlace = {
    ...place(vc),
    allocation: 'gone',
    loginHost: 'gone.example',
    directory: '~/.hpcop/0c0ffee0-gone',
    pilotPrefix: 'hp0000beef-',
    cleanup: { since: '2026-01-01T00:05:00Z', pilotsBelow: 4 },
  };
  vc.status?.sites?.push(retired);
  return { vc, current: place(vc), retired };
}

describe('past its lifetime', () => {
  it('cancels every pilot of every recorded place (any number), and is Terminating', () => {
    const { vc, current, retired } = withRetired({ lifetime: '1h' });
    const o = makeObservation()
      .noToken()
      .listed(current, [pilot(current, 0, 'running', '1'), pilot(current, 1, 'queued', '2')])
      .listed(retired, [pilot(retired, 9, 'running', '3')])
      .obj();
    const plan = transition(vc, o, AFTER_LIFETIME, CONFIG);
    expect(onSite(plan)).toEqual(['cancelPilots@one.example:1,2', 'cancelPilots@gone.example:3']);
    expect(plan.status?.phase).toBe('Terminating');
    expect(plan.status?.expiresAt).toBe('2026-01-01T01:00:00Z');
    expect(plan.status?.allocations?.[0]).toMatchObject({
      requested: 0,
      queued: 1,
      running: 1,
      nextSequence: 1,
    });
    expect(plan.requeueAfterMs).toBe(CONFIG.activePollMs);
  });

  it('removes the tokens once no pilot is left, and is Terminated when every place is clean', () => {
    const { vc, current, retired } = withRetired({ lifetime: '1h' });
    const empty = makeObservation().noToken().listed(current).listed(retired);
    const p1 = transition(vc, empty.obj(), AFTER_LIFETIME, CONFIG);
    expect(onSite(p1)).toEqual(['removeToken@one.example', 'removeToken@gone.example']);
    expect(p1.status?.phase).toBe('Terminating');
    const clean = makeObservation()
      .noToken()
      .listed(current, [], { tokenRemoved: true })
      .listed(retired, [], { tokenRemoved: true })
      .obj();
    const p2 = transition({ ...vc, status: p1.status }, clean, AFTER_LIFETIME + 5000, CONFIG);
    expect(p2.status?.phase).toBe('Terminated');
    expect(p2.status?.sites).toEqual([]);
    expect(p2.events.map((e) => e.reason)).toEqual([EventReason.Terminated]);
    expect(p2.events[0]?.note).toBe('lifetime 1h ended; all pilots are gone');
    expect(p2.effects).toEqual([]);
    expect(p2.requeueAfterMs).toBe(0);
  });

  it('keeps the last counts of a place it cannot reach, and stays Terminating', () => {
    const { vc, current, retired } = withRetired({ lifetime: '1h' });
    const o = makeObservation()
      .noToken()
      .unreachable(current)
      .listed(retired, [], { tokenRemoved: true })
      .obj();
    const plan = transition(vc, o, AFTER_LIFETIME, CONFIG);
    expect(plan.status?.phase).toBe('Terminating');
    expect(plan.status?.allocations?.[0]).toMatchObject({ running: 1 });
    expect(findStatusCondition(plan.status?.conditions, 'SiteReachable')?.status).toBe('False');
    expect(plan.status?.sites?.map((r) => r.loginHost)).toEqual(['one.example']);
  });
});

describe('deletion', () => {
  it('cancels every pilot at every recorded place and keeps the finalizer while they are listed', () => {
    const { vc, current, retired } = withRetired({ deleting: true });
    const o = makeObservation()
      .noToken()
      .listed(current, [pilot(current, 0, 'running', '1')])
      .listed(retired, [pilot(retired, 2, 'queued', '5')])
      .obj();
    const plan = transition(vc, o, AFTER_LIFETIME, CONFIG);
    expect(onSite(plan)).toEqual(['cancelPilots@one.example:1', 'cancelPilots@gone.example:5']);
    expect(plan.effects.map((e) => e.kind)).not.toContain('removeFinalizer');
    expect(plan.status).toBeUndefined();
    expect(plan.requeueAfterMs).toBe(Requeue.cleanupWaiting);
  });

  it('removes the tokens and then the finalizer once nothing is queued or running anywhere', () => {
    const { vc, current, retired } = withRetired({ deleting: true });
    const o = makeObservation()
      .noToken()
      .listed(current, [pilot(current, 0, 'failed', '1')])
      .listed(retired, [], { tokenRemoved: true })
      .obj();
    const plan = transition(vc, o, AFTER_LIFETIME, CONFIG);
    expect(plan.effects.map((e) => e.kind)).toEqual(['removeToken', 'removeFinalizer']);
    expect(plan.requeueAfterMs).toBe(0);
  });

  it('keeps the finalizer and says why while a recorded place cannot be reached', () => {
    const { vc, current, retired } = withRetired({ deleting: true });
    const o = makeObservation()
      .noToken()
      .listed(current)
      .unreachable(retired, 'gone.example:22 is unreachable')
      .obj();
    const plan = transition(vc, o, AFTER_LIFETIME, CONFIG);
    expect(plan.effects.map((e) => e.kind)).toEqual(['removeToken']);
    expect(plan.events).toEqual([
      {
        type: 'Warning',
        reason: EventReason.CleanupBlocked,
        action: 'Delete',
        note: 'pilots cannot be cancelled yet (gone: gone.example:22 is unreachable); the finalizer stays until they are',
      },
    ]);
    expect(plan.requeueAfterMs).toBe(Requeue.cleanupBlocked);
  });

  it('lets go at once when nothing was ever put on a site (no record, no pilot numbered)', () => {
    const vc = makeVirtualCluster()
      .withFinalizer()
      .deleting()
      .allocation((a) => a.loginHost('typo.example'))
      .obj();
    const plan = transition(vc, makeObservation().noToken().obj(), AFTER_LIFETIME, CONFIG);
    expect(plan.effects).toEqual([{ kind: 'removeFinalizer' }]);
  });

  it('cleans the place of an allocation from before places were recorded (it numbered pilots)', () => {
    const vc = makeVirtualCluster()
      .withFinalizer()
      .deleting()
      .allocation()
      .status((s) => s.allocation('site1', { nextSequence: 3 }))
      .obj();
    const p = place(vc);
    const plan = transition(
      vc,
      makeObservation()
        .noToken()
        .listed(p, [pilot(p, 2, 'running', '9')])
        .obj(),
      AFTER_LIFETIME,
      CONFIG,
    );
    expect(onSite(plan)).toEqual(['cancelPilots@login.example:9']);
  });

  it('lets a Terminated VirtualCluster go at once (every place was cleaned)', () => {
    const vc = makeVirtualCluster()
      .withFinalizer()
      .deleting()
      .allocation()
      .status((s) => s.phase('Terminated').allocation('site1', { nextSequence: 4 }).set({ sites: [] }))
      .obj();
    expect(transition(vc, makeObservation().noToken().obj(), AFTER_LIFETIME, CONFIG).effects).toEqual([
      { kind: 'removeFinalizer' },
    ]);
  });

  it('does nothing once its finalizer is gone', () => {
    const vc = makeVirtualCluster().deleting().allocation().obj();
    expect(transition(vc, makeObservation().noToken().obj(), AFTER_LIFETIME, CONFIG)).toMatchObject({
      effects: [],
      events: [],
      requeueAfterMs: 0,
    });
  });

  it('reaches a recorded place the allocation still uses with the allocation login of now', () => {
    const vc = makeVirtualCluster()
      .withFinalizer()
      .deleting()
      .allocation((a) => a.secret('new-ssh'))
      .obj();
    const p = place(vc);
    vc.status = { sites: [{ ...p, secretName: 'old-ssh' }] };
    const plan = transition(vc, makeObservation().noToken().listed(p).obj(), AFTER_LIFETIME, CONFIG);
    const tokenRemoval = plan.effects.find((e) => e.kind === 'removeToken');
    expect(tokenRemoval && 'place' in tokenRemoval && tokenRemoval.place.secretName).toBe('new-ssh');
    expect(placeKey(p)).toBe(placeKey({ ...p, secretName: 'old-ssh' }));
  });
});
