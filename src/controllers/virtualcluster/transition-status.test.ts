/**
 * The VirtualCluster transition's view of the whole: conditions and their Events, phases, the token and spec
 * checks, a Terminated VirtualCluster, and a status that settles (a second pass on the written status
 * changes nothing).
 */
import { describe, expect, it } from '@jest/globals';
import type { VirtualCluster } from '../../crds/virtualcluster.js';
import { findStatusCondition } from '../../runtime/conditions.js';
import { makeObservation, pilot } from '../../../test/support/builders/vc-observation.js';
import { makeVirtualCluster, VC_CREATED } from '../../../test/support/builders/virtualcluster.js';
import type { Observation, Plan, TransitionConfig } from './model.js';
import { placeOf } from './places.js';
import { EventReason, Requeue } from './reasons.js';
import { transition } from './transition.js';

const NOW = VC_CREATED + 600_000;
const CONFIG: TransitionConfig = { activePollMs: 5000, steadyPollMs: 30_000 };
const cond = (p: Plan, type: string) => findStatusCondition(p.status?.conditions, type);
const place = (vc: VirtualCluster, name = 'site1') => {
  const a = vc.spec.allocations?.find((x) => x.name === name);
  if (!a) throw new Error(`no allocation ${name}`);
  return placeOf(vc, a);
};
const reasons = (p: Plan) => p.events.map((e) => e.reason);
const siteEffects = (p: Plan) => p.effects.filter((e) => e.kind !== 'addFinalizer');

/** Two allocations, one pilot each, both recorded and running (joined). */
function twoSites() {
  return makeVirtualCluster()
    .withFinalizer()
    .allocation((a) => a.slurm('one.example').workers({ count: 1 }))
    .allocation((a) => a.sge('two.example').workers({ count: 1 }))
    .status((s) =>
      s
        .phase('Running')
        .allocation('site1', { requested: 1, running: 1, idle: 1, nextSequence: 1 })
        .allocation('site2', { requested: 1, running: 1, idle: 1, nextSequence: 1 }),
    )
    .recorded('site1', 'site2')
    .obj();
}

function healthy(vc: VirtualCluster) {
  const b = makeObservation();
  for (const name of ['site1', 'site2']) {
    const p = place(vc, name);
    b.listed(p, [pilot(p, 0, 'running')]).joined(`${p.pilotPrefix}0`);
  }
  return b;
}

describe('sites that do not answer', () => {
  const vc = twoSites();
  const p2 = place(vc, 'site2');
  const o = healthy(vc).unreachable(p2, 'two.example:22 is unreachable: connect EHOSTUNREACH').obj();
  const plan = transition(vc, o, NOW, CONFIG);

  it('make the VirtualCluster Degraded with SiteReachable=False and a Warning', () => {
    expect(plan.status?.phase).toBe('Degraded');
    expect(cond(plan, 'SiteReachable')).toMatchObject({
      status: 'False',
      reason: 'Unreachable',
      message: 'site2: two.example:22 is unreachable: connect EHOSTUNREACH',
    });
    expect(cond(plan, 'CredentialsValid')).toMatchObject({ status: 'True' });
    expect(reasons(plan)).toEqual([EventReason.SiteUnreachable]);
    expect(plan.requeueAfterMs).toBe(CONFIG.activePollMs);
  });

  it('keep the last counts they had, and submit nothing there', () => {
    expect(plan.status?.allocations?.[1]).toMatchObject({
      name: 'site2',
      running: 1,
      idle: 1,
      nextSequence: 1,
    });
    expect(plan.status?.allocations?.[1]?.message).toBe(
      'two.example:22 is unreachable: connect EHOSTUNREACH',
    );
    expect(plan.status?.workers).toMatchObject({ requested: 2, running: 2 });
    expect(siteEffects(plan)).toEqual([]);
  });

  it('warn once: the same problem on the next pass records no Event', () => {
    const again = transition({ ...vc, status: plan.status }, o, NOW + 5000, CONFIG);
    expect(reasons(again)).toEqual([]);
    expect(cond(again, 'SiteReachable')?.lastTransitionTime).toBe(
      cond(plan, 'SiteReachable')?.lastTransitionTime,
    );
  });
});

describe('credentials a site refuses', () => {
  it('on every allocation: Failed, CredentialsValid=False and a Warning', () => {
    const vc = twoSites();
    const o = makeObservation()
      .credentials(place(vc, 'site1'), 'AuthenticationFailed', 'one.example refused the SSH key')
      .credentials(place(vc, 'site2'), 'HostKeyMismatch', 'the host key of two.example does not match')
      .obj();
    const plan = transition(vc, o, NOW, CONFIG);
    expect(plan.status?.phase).toBe('Failed');
    expect(cond(plan, 'CredentialsValid')).toMatchObject({
      status: 'False',
      reason: 'Rejected',
      message: 'site1: one.example refused the SSH key; site2: the host key of two.example does not match',
    });
    expect(reasons(plan)).toEqual([EventReason.CredentialsInvalid]);
    expect(plan.requeueAfterMs).toBe(CONFIG.steadyPollMs);
  });

  it('on one of two: Degraded', () => {
    const vc = twoSites();
    const plan = transition(vc, healthy(vc).credentials(place(vc, 'site2')).obj(), NOW, CONFIG);
    expect(plan.status?.phase).toBe('Degraded');
    expect(cond(plan, 'CredentialsValid')?.status).toBe('False');
    expect(cond(plan, 'SiteReachable')).toMatchObject({ status: 'True' });
  });
});

describe('what the last pass could not do on a site', () => {
  const vc = twoSites();
  const p1 = place(vc, 'site1');
  const o = makeObservation()
    .listed(p1, [], { lastError: 'remote command failed (exit 1): sbatch: error: invalid account' })
    .listed(place(vc, 'site2'), [pilot(place(vc, 'site2'), 0, 'running')])
    .obj();
  const plan = transition(vc, o, NOW, CONFIG);

  it('is reported as the allocation problem, with the counts seen now', () => {
    expect(plan.status?.phase).toBe('Degraded');
    expect(plan.status?.allocations?.[0]).toMatchObject({
      running: 0,
      message: 'remote command failed (exit 1): sbatch: error: invalid account',
    });
    expect(cond(plan, 'SiteReachable')?.status).toBe('False');
  });

  it('is tried again', () => {
    expect(siteEffects(plan).map((e) => e.kind)).toEqual(['submitPilots']);
  });
});

describe('the pool token', () => {
  const vc = makeVirtualCluster().allocation().obj();

  it.each([
    ['missing', makeObservation().tokenMissing().obj(), 'TokenMissing'],
    ['forbidden', makeObservation().tokenForbidden().obj(), 'SecretForbidden'],
  ])('%s: Failed, PoolJoined=False, nothing sent to a site', (_what, o: Observation, reason) => {
    const plan = transition(vc, o, NOW, CONFIG);
    const message = o.token?.kind === 'ok' ? undefined : o.token?.message;
    expect(plan.status?.phase).toBe('Failed');
    expect(cond(plan, 'PoolJoined')).toMatchObject({ status: 'False', reason, message });
    expect(plan.status?.message).toBe(message);
    expect(plan.effects).toEqual([{ kind: 'addFinalizer' }]);
    expect(plan.requeueAfterMs).toBe(Requeue.needsPerson);
  });
});

describe('a spec no site can carry', () => {
  it('is Failed with the field and the reason, before anything is looked at', () => {
    const vc = makeVirtualCluster()
      .allocation((a) => a.set({ walltime: '9999999d' }))
      .obj();
    const plan = transition(vc, makeObservation().noToken().obj(), NOW, CONFIG);
    expect(plan.status?.phase).toBe('Failed');
    expect(cond(plan, 'Ready')).toMatchObject({ status: 'False', reason: 'InvalidDuration' });
    expect(plan.status?.message).toContain('spec.allocations[0].walltime');
    expect(plan.effects).toEqual([{ kind: 'addFinalizer' }]);
  });

  it('reports a pilot script that cannot be built on its allocation, submitting nothing', () => {
    const vc = makeVirtualCluster()
      .withFinalizer()
      // A value only a bypassed schema lets through: a line break would start a new script line.
      .allocation((a) => a.set({ scratchDir: '/scratch\n#SBATCH --x' }))
      .obj();
    const plan = transition(vc, makeObservation().listed(place(vc)).obj(), NOW, CONFIG);
    expect(plan.status?.allocations?.[0]?.message).toBe('pilot scratchDir must not contain a line break');
    expect(plan.status?.phase).toBe('Degraded');
    expect(siteEffects(plan)).toEqual([]);
  });
});

describe('the HTCondor bundle', () => {
  const vc = makeVirtualCluster()
    .withFinalizer()
    .allocation((a) => a.condor({ source: 'bundle' }))
    .obj();
  const p = place(vc);

  it('is uploaded after the token, before the pilots that need it', () => {
    const bundle = { sha256: 'abc123', content: () => Buffer.from('') };
    const plan = transition(vc, makeObservation().listed(p, [], { tokenPrepared: false }).obj(), NOW, {
      ...CONFIG,
      bundle,
    });
    expect(siteEffects(plan).map((e) => e.kind)).toEqual(['prepare', 'ensureBundle', 'submitPilots']);
  });

  it('missing from the operator is the allocation problem', () => {
    const plan = transition(vc, makeObservation().listed(p).obj(), NOW, CONFIG);
    expect(plan.status?.allocations?.[0]?.message).toBe(
      'allocation asks for condor.source bundle, but the operator has no --pilot-bundle',
    );
    expect(siteEffects(plan)).toEqual([]);
  });
});

describe('phases and conditions', () => {
  it('no allocations: Pending', () => {
    const vc = makeVirtualCluster().withFinalizer().noAllocations().obj();
    expect(transition(vc, makeObservation().obj(), NOW, CONFIG).status?.phase).toBe('Pending');
  });

  it('CredentialExpiring turns True three days ahead', () => {
    const vc = twoSites();
    const later = transition(
      vc,
      healthy(vc)
        .credentialExpiresAt(NOW + 4 * 86_400_000)
        .obj(),
      NOW,
      CONFIG,
    );
    expect(cond(later, 'CredentialExpiring')).toMatchObject({ status: 'False', reason: 'Valid' });
    const soon = transition(
      vc,
      healthy(vc)
        .credentialExpiresAt(NOW + 86_400_000)
        .obj(),
      NOW,
      CONFIG,
    );
    expect(cond(soon, 'CredentialExpiring')).toMatchObject({ status: 'True', reason: 'ExpiresSoon' });
    expect(soon.status?.credentialExpiresAt).toBe('2026-01-02T00:10:00Z');
  });

  it('lists each credential that expires, earliest first, and names the first in CredentialExpiring', () => {
    const vc = twoSites();
    const plan = transition(
      vc,
      healthy(vc)
        .credentialExpiries(
          { secretName: 'pilot-token', key: 'token', expiresAt: NOW + 30 * 86_400_000 },
          { secretName: 'ssh-b', key: 'x509-proxy', allocation: 'b', expiresAt: NOW + 2 * 86_400_000 },
        )
        .obj(),
      NOW,
      CONFIG,
    );
    expect(plan.status?.credentials).toEqual([
      { secretName: 'ssh-b', key: 'x509-proxy', allocation: 'b', expiresAt: '2026-01-03T00:10:00Z' },
      { secretName: 'pilot-token', key: 'token', expiresAt: '2026-01-31T00:10:00Z' },
    ]);
    expect(plan.status?.credentialExpiresAt).toBe('2026-01-03T00:10:00Z');
    expect(cond(plan, 'CredentialExpiring')).toMatchObject({
      status: 'True',
      message: 'Secret ssh-b key x509-proxy (allocation b) expires at 2026-01-03T00:10:00Z',
    });
  });

  it('a lifetime sets expiresAt from the creation time', () => {
    const vc = makeVirtualCluster().withFinalizer().lifetime('2h').noAllocations().obj();
    expect(transition(vc, makeObservation().obj(), NOW, CONFIG).status?.expiresAt).toBe(
      '2026-01-01T02:00:00Z',
    );
  });

  it('a Terminated VirtualCluster rests: no status write, nothing on the sites', () => {
    const vc = makeVirtualCluster()
      .withFinalizer()
      .allocation()
      .status((s) => s.phase('Terminated'))
      .obj();
    const plan = transition(vc, makeObservation().noToken().obj(), NOW, CONFIG);
    expect(plan).toMatchObject({ effects: [], events: [], requeueAfterMs: 0 });
    expect(plan.status).toBeUndefined();
  });

  it('settles: a pass over the status it wrote (same world) changes nothing and records nothing', () => {
    const vc = twoSites();
    const o = healthy(vc).obj();
    const first = transition(vc, o, NOW, CONFIG);
    const second = transition(
      { ...vc, status: first.status },
      { ...o, memory: first.memory },
      NOW + 30_000,
      CONFIG,
    );
    expect(second.status).toEqual(first.status);
    expect(second.events).toEqual([]);
    expect(second.effects).toEqual([]);
  });

  it('stamps conditions with the generation it saw', () => {
    const vc = makeVirtualCluster().withFinalizer().generation(4).noAllocations().obj();
    const plan = transition(vc, makeObservation().obj(), NOW, CONFIG);
    expect(plan.status?.observedGeneration).toBe(4);
    expect(cond(plan, 'Ready')?.observedGeneration).toBe(4);
  });
});
