/**
 * The VirtualCluster transition while it lives: pilots per allocation, counts, conditions, phases, Events,
 * the failure backoff, the token and spec checks, requeue intervals. Pure: objects from builders, no I/O.
 */
import { describe, expect, it } from '@jest/globals';
import type { Allocation, VirtualCluster } from '../../crds/virtualcluster.js';
import { findStatusCondition } from '../../runtime/conditions.js';
import { makeObservation, pilot, TRUST_DOMAIN } from '../../../test/support/builders/vc-observation.js';
import { makeVirtualCluster, VC_CREATED } from '../../../test/support/builders/virtualcluster.js';
import type { Effect, Plan, SiteEffect, TransitionConfig } from './model.js';
import { placeOf } from './places.js';
import { EventReason } from './reasons.js';
import { transition } from './transition.js';

const NOW = VC_CREATED + 600_000;
const CONFIG: TransitionConfig = { activePollMs: 5000, steadyPollMs: 30_000 };

/** allocation `name` of a built VirtualCluster. */
function alloc(vc: VirtualCluster, name = 'site1'): Allocation {
  const a = vc.spec.allocations?.find((x) => x.name === name);
  if (!a) throw new Error(`no allocation ${name}`);
  return a;
}
const place = (vc: VirtualCluster, name = 'site1') => placeOf(vc, alloc(vc, name));
const cond = (p: Plan, type: string) => findStatusCondition(p.status?.conditions, type);
const kinds = (effects: readonly Effect[]) => effects.map((e) => e.kind);
function site<K extends SiteEffect['kind']>(p: Plan, kind: K): Extract<SiteEffect, { kind: K }>[] {
  return p.effects.filter((e): e is Extract<SiteEffect, { kind: K }> => e.kind === kind);
}

/** A VirtualCluster with one SLURM allocation of `count` pilots, finalizer on, pilots 0..n-1 numbered. */
function twoPilots(count = 2) {
  return makeVirtualCluster()
    .withFinalizer()
    .allocation((a) => a.slurm('login.example').workers({ count }))
    .status((s) => s.phase('Running').allocation('site1', { nextSequence: 2 }))
    .recorded('site1')
    .obj();
}

describe('a new VirtualCluster', () => {
  const vc = makeVirtualCluster()
    .allocation((a) => a.workers({ count: 2 }))
    .obj();
  const p = place(vc);
  const plan = transition(vc, makeObservation().listed(p, [], { tokenPrepared: false }).obj(), NOW, CONFIG);

  it('adds the finalizer first, then stores the token and submits the wanted pilots', () => {
    expect(kinds(plan.effects)).toEqual(['addFinalizer', 'prepare', 'submitPilots']);
    const [submit] = site(plan, 'submitPilots');
    expect(submit?.pilots.map((x) => x.name)).toEqual([`${p.pilotPrefix}0`, `${p.pilotPrefix}1`]);
    expect(submit?.pilots[0]?.script).toContain(`#SBATCH --job-name=${p.pilotPrefix}0`);
    expect(submit?.pilots[0]?.script).toContain(`_CONDOR_TRUST_DOMAIN=${TRUST_DOMAIN}`);
    expect(submit?.event).toMatchObject({ reason: EventReason.PilotsSubmitted });
    expect(submit?.event.note).toBe('2 pilot(s) submitted to slurm on login.example (allocation site1)');
  });

  it('records the place and counts the pilots it is about to submit, in the status written first', () => {
    expect(plan.status?.sites).toEqual([p]);
    expect(plan.status?.allocations).toEqual([
      {
        name: 'site1',
        requested: 2,
        queued: 2,
        running: 0,
        idle: 0,
        busy: 0,
        error: 0,
        nextSequence: 2,
        lastSubmitTime: '2026-01-01T00:10:00Z',
      },
    ]);
    expect(plan.status?.workers).toMatchObject({ requested: 2, queued: 2 });
    expect(plan.status?.phase).toBe('Provisioning');
    expect(plan.status?.observedGeneration).toBe(1);
    expect(cond(plan, 'Ready')).toMatchObject({ status: 'False', reason: 'Provisioning' });
    expect(cond(plan, 'CredentialsValid')).toMatchObject({ status: 'True', reason: 'Verified' });
    expect(cond(plan, 'SiteReachable')).toMatchObject({ status: 'True', reason: 'Reachable' });
    expect(plan.requeueAfterMs).toBe(CONFIG.activePollMs);
  });

  it('does not record an allocation whose site never answered (nothing was put there)', () => {
    const blind = transition(vc, makeObservation().unreachable(p).obj(), NOW, CONFIG);
    expect(blind.status?.sites).toEqual([]);
    expect(kinds(blind.effects)).toEqual(['addFinalizer']);
  });
});

describe('pilots of a running allocation', () => {
  it('is Running and steady when the wanted pilots run and joined the pool', () => {
    const vc = twoPilots();
    const p = place(vc);
    const o = makeObservation()
      .listed(p, [pilot(p, 0, 'running'), pilot(p, 1, 'running')])
      .joined(`${p.pilotPrefix}0`)
      .busy(`${p.pilotPrefix}1`)
      .obj();
    const plan = transition(vc, o, NOW, CONFIG);
    expect(plan.effects).toEqual([]);
    expect(plan.status?.workers).toEqual({ requested: 2, queued: 0, running: 2, idle: 1, busy: 1, error: 0 });
    expect(plan.status?.phase).toBe('Running');
    expect(plan.status?.message).toBe(
      'Running: 2 requested, 0 queued, 2 running (1 busy, 1 idle), 0 in error',
    );
    expect(cond(plan, 'Ready')).toMatchObject({ status: 'True', reason: 'Running' });
    expect(cond(plan, 'PoolJoined')).toMatchObject({ status: 'True', reason: 'Joined' });
    expect(plan.requeueAfterMs).toBe(CONFIG.steadyPollMs);
  });

  it('says PoolJoined=False while running pilots have not joined', () => {
    const vc = twoPilots();
    const p = place(vc);
    const plan = transition(
      vc,
      makeObservation()
        .listed(p, [pilot(p, 0, 'running'), pilot(p, 1, 'running')])
        .obj(),
      NOW,
      CONFIG,
    );
    expect(cond(plan, 'PoolJoined')).toMatchObject({ status: 'False', reason: 'NotJoined' });
    expect(plan.status?.phase).toBe('Provisioning');
  });

  it('submits only the missing pilots, numbered after every pilot ever numbered', () => {
    const vc = makeVirtualCluster()
      .withFinalizer()
      .allocation((a) => a.workers({ count: 3 }))
      .status((s) => s.allocation('site1', { nextSequence: 7 }))
      .recorded('site1')
      .obj();
    const p = place(vc);
    const plan = transition(
      vc,
      makeObservation()
        .listed(p, [pilot(p, 5, 'running')])
        .obj(),
      NOW,
      CONFIG,
    );
    expect(site(plan, 'submitPilots')[0]?.pilots.map((x) => x.name)).toEqual([
      `${p.pilotPrefix}7`,
      `${p.pilotPrefix}8`,
    ]);
    expect(plan.status?.allocations?.[0]?.nextSequence).toBe(9);
  });

  it('numbers after a listed pilot the status does not know (a lost status write)', () => {
    const vc = twoPilots(3);
    const p = place(vc);
    const plan = transition(
      vc,
      makeObservation()
        .listed(p, [pilot(p, 4, 'queued')])
        .obj(),
      NOW,
      CONFIG,
    );
    expect(site(plan, 'submitPilots')[0]?.pilots.map((x) => x.name)).toEqual([
      `${p.pilotPrefix}5`,
      `${p.pilotPrefix}6`,
    ]);
  });

  it('cancels the surplus: queued pilots newest first, then idle ones, never busy ones', () => {
    const vc = twoPilots(1);
    const p = place(vc);
    const jobs = [
      pilot(p, 0, 'running'),
      pilot(p, 1, 'running'),
      pilot(p, 2, 'queued'),
      pilot(p, 3, 'queued'),
    ];
    const o = makeObservation().listed(p, jobs).busy(`${p.pilotPrefix}0`).joined(`${p.pilotPrefix}1`).obj();
    const plan = transition(vc, o, NOW, CONFIG);
    const [cancel] = site(plan, 'cancelPilots');
    expect(cancel?.ids).toEqual(['1003', '1002', '1001']);
    expect(cancel?.event?.note).toBe('3 pilot(s) cancelled on allocation site1');
    expect(Object.values(plan.memory.cancelled)).toEqual([['1003', '1002', '1001']]);
  });

  it('does not cancel again what it cancelled, nor count it as an error when it ends', () => {
    const vc = twoPilots(0);
    const p = place(vc);
    const first = transition(
      vc,
      makeObservation()
        .listed(p, [pilot(p, 0, 'queued')])
        .obj(),
      NOW,
      CONFIG,
    );
    const memory = first.memory;
    const still = transition(
      vc,
      makeObservation()
        .listed(p, [pilot(p, 0, 'queued')])
        .memory(memory)
        .obj(),
      NOW + 5000,
      CONFIG,
    );
    expect(site(still, 'cancelPilots')).toEqual([]);
    const ended = transition(
      vc,
      makeObservation()
        .listed(p, [pilot(p, 0, 'failed')])
        .memory(memory)
        .obj(),
      NOW + 10_000,
      CONFIG,
    );
    expect(ended.status?.workers?.error).toBe(0);
  });

  it('never has more than max pilots queued or running', () => {
    const vc = makeVirtualCluster()
      .withFinalizer()
      .allocation((a) => a.workers({ count: 5, max: 3 }))
      .recorded('site1')
      .obj();
    const p = place(vc);
    const plan = transition(
      vc,
      makeObservation()
        .listed(p, [pilot(p, 0, 'queued')])
        .obj(),
      NOW,
      CONFIG,
    );
    expect(site(plan, 'submitPilots')[0]?.pilots).toHaveLength(2);
    expect(plan.status?.workers?.requested).toBe(3);
  });

  it('keeps what it put on the site recorded even with nothing to do (scaled to 0)', () => {
    const vc = twoPilots(0);
    const p = place(vc);
    const plan = transition(vc, makeObservation().listed(p, []).obj(), NOW, CONFIG);
    expect(plan.status?.sites).toEqual([p]);
    expect(plan.status?.phase).toBe('Running');
  });
});

describe('autoscaling by the demand of queued HPCJobs', () => {
  const vc = makeVirtualCluster()
    .withFinalizer()
    .allocation((a) => a.autoscale(0, 2))
    .allocation((a) => a.autoscale(1, 4, 4))
    .obj();

  it.each([
    [0, 0, 1],
    [1, 1, 1],
    [2, 2, 1],
    [3, 2, 1],
    [7, 2, 2],
    [100, 2, 4],
  ])('demand %i CPUs: %i pilots on site1, %i on site2', (cpus, one, two) => {
    const o = makeObservation().listed(place(vc, 'site1')).listed(place(vc, 'site2')).demand(cpus).obj();
    const plan = transition(vc, o, NOW, CONFIG);
    expect(plan.status?.allocations?.map((a) => a.requested)).toEqual([one, two]);
    expect(site(plan, 'submitPilots').map((e) => e.pilots.length)).toEqual([one, two].filter((n) => n > 0));
  });
});

describe('pilots that fail on their own', () => {
  const vc = twoPilots();
  const p = place(vc);
  const failedPilot = pilot(p, 0, 'failed');
  const first = transition(
    vc,
    makeObservation()
      .listed(p, [failedPilot, pilot(p, 1, 'running')])
      .obj(),
    NOW,
    CONFIG,
  );

  it('are counted as errors and hold replacements back (30 s after the first)', () => {
    expect(first.status?.workers?.error).toBe(1);
    expect(site(first, 'submitPilots')).toEqual([]);
    expect(first.status?.allocations?.[0]?.message).toBe(
      '1 pilot(s) failed recently; next submission after 2026-01-01T00:10:30Z',
    );
    expect(first.memory.failures['site1']).toEqual({ seen: ['1000'], count: 1, nextSubmitAt: NOW + 30_000 });
  });

  it('double the wait with each failure, up to 15 minutes', () => {
    let memory = first.memory;
    const waits: number[] = [];
    for (let n = 1; n <= 6; n++) {
      // One more pilot fails each pass.
      const o = makeObservation()
        .listed(p, [pilot(p, 10 + n, 'failed')])
        .memory(memory)
        .obj();
      memory = transition(vc, o, NOW, CONFIG).memory;
      waits.push(((memory.failures['site1']?.nextSubmitAt ?? 0) - NOW) / 1000);
    }
    expect(waits).toEqual([60, 120, 240, 480, 900, 900]);
  });

  it('submit again once the wait is over', () => {
    const later = transition(
      vc,
      makeObservation()
        .listed(p, [failedPilot, pilot(p, 1, 'running')])
        .memory(first.memory)
        .obj(),
      NOW + 30_000,
      CONFIG,
    );
    expect(site(later, 'submitPilots')[0]?.pilots.map((x) => x.name)).toEqual([`${p.pilotPrefix}2`]);
    // The same failed pilot is not counted twice.
    expect(later.memory.failures['site1']?.count).toBe(1);
  });

  it('stop holding back once a pilot joins the pool', () => {
    const joined = transition(
      vc,
      makeObservation()
        .listed(p, [failedPilot, pilot(p, 1, 'running')])
        .joined(`${p.pilotPrefix}1`)
        .memory(first.memory)
        .obj(),
      NOW + 1000,
      CONFIG,
    );
    expect(joined.memory.failures['site1']?.count).toBe(0);
  });
});
