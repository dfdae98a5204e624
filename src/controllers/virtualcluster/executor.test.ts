/**
 * The executor alone: the order it acts in (finalizer, status, Events, sites, finalizer removal), what it
 * does when a write or a site fails, and what it remembers for the next pass.
 */
import { describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { makeIdToken, makeObservation } from '../../../test/support/builders/vc-observation.js';
import { makeVirtualCluster } from '../../../test/support/builders/virtualcluster.js';
import { FakeObjects, FakeRecorder } from '../../../test/support/fake-objects.js';
import { FakeSiteConnector } from '../../../test/support/fake-site.js';
import { SITE_HOST_KEY, SITE_PRIVATE_KEY } from '../../../test/support/vc-world.js';
import type { SitePlace, VirtualCluster } from '../../crds/virtualcluster.js';
import { ApiError } from '../../runtime/kube-api.js';
import { SshError } from '../../sites/ssh.js';
import { Executor } from './executor.js';
import { VirtualClusterMetrics } from './metrics.js';
import type { Observation, Plan } from './model.js';
import { placeKey, placeOf } from './places.js';
import { VC_FINALIZER } from './reasons.js';
import { SiteSessions } from './site-sessions.js';

const log = pino({ level: 'silent' });
const NOW = Date.UTC(2026, 0, 1, 1);

function setup(vc: VirtualCluster) {
  const objects = new FakeObjects<VirtualCluster>();
  const stored = objects.put(vc);
  const recorder = new FakeRecorder();
  const sites = new FakeSiteConnector();
  const sessions = new SiteSessions(sites);
  const metrics = new VirtualClusterMetrics(new Registry());
  const executor = new Executor({ writer: objects, recorder, sessions, metrics });
  const place = placeOf(
    stored,
    stored.spec.allocations?.[0] ?? {
      name: 'x',
      batchSystem: 'slurm',
      loginHost: 'h',
      user: 'u',
      credentials: { secretName: 's' },
    },
  );
  /** Opens the place's session as the observer would have. */
  const open = (p: SitePlace = place) =>
    sessions.open(
      'ns/vc',
      placeKey(p),
      {
        host: p.loginHost,
        port: p.port,
        user: p.user,
        privateKey: SITE_PRIVATE_KEY,
        hostKeys: [SITE_HOST_KEY],
      },
      p.batchSystem,
    );
  return { objects, stored, recorder, sites, sessions, executor, place, open };
}

const plan = (p: Partial<Plan>): Plan => ({
  events: [],
  effects: [],
  memory: { failures: {}, cancelled: {} },
  requeueAfterMs: 0,
  ...p,
});
const observed = (place: SitePlace): Observation => makeObservation().listed(place).obj();

describe('the executor', () => {
  it('adds the finalizer, writes the status on the new copy, records Events, then acts on the site', async () => {
    const t = setup(makeVirtualCluster().allocation().obj());
    t.open();
    const status = { phase: 'Provisioning' as const, sites: [t.place] };
    const done = await t.executor.execute(
      t.stored,
      plan({
        status,
        events: [{ type: 'Normal', reason: 'Noted', action: 'Reconcile', note: 'n' }],
        effects: [
          { kind: 'addFinalizer' },
          { kind: 'prepare', place: t.place },
          {
            kind: 'submitPilots',
            place: t.place,
            pilots: [{ name: `${t.place.pilotPrefix}0`, script: '#!/bin/sh' }],
            event: { type: 'Normal', reason: 'PilotsSubmitted', action: 'Reconcile', note: '1' },
          },
        ],
      }),
      observed(t.place),
      NOW,
      log,
    );
    expect(done).toEqual({ applied: true, released: false });
    expect(t.objects.writes).toEqual(['finalizers ns/vc', 'patch-status ns/vc']);
    expect(t.objects.get('ns/vc')).toMatchObject({ metadata: { finalizers: [VC_FINALIZER] }, status });
    expect(t.sites.host('login.example').log).toEqual([
      `prepare ${t.place.directory}`,
      `submit ${t.place.pilotPrefix}0`,
    ]);
    expect(t.recorder.reasons()).toEqual(['Noted', 'PilotsSubmitted']);
    expect(t.sessions.peek('ns/vc', placeKey(t.place))?.preparedTokenHash).toBeDefined();
  });

  it('does not write a status that only differs in key order (as the API server returns it)', async () => {
    const vc = makeVirtualCluster()
      .withFinalizer()
      .allocation()
      .status((s) => s.phase('Running').allocation('site1', { running: 1, nextSequence: 1 }))
      .obj();
    const t = setup(vc);
    const reordered = {
      allocations: [{ running: 1, nextSequence: 1, name: 'site1' }],
      phase: 'Running' as const,
    };
    await t.executor.execute(t.stored, plan({ status: reordered }), makeObservation().obj(), NOW, log);
    expect(t.objects.writes).toEqual([]);
  });

  it('does not write an unchanged status', async () => {
    const vc = makeVirtualCluster()
      .withFinalizer()
      .status((s) => s.phase('Running'))
      .obj();
    const t = setup(vc);
    await t.executor.execute(t.stored, plan({ status: t.stored.status }), makeObservation().obj(), NOW, log);
    expect(t.objects.writes).toEqual([]);
  });

  it('throws a conflict, and does nothing on a site', async () => {
    const t = setup(makeVirtualCluster().allocation().obj());
    t.open();
    const stale = { ...t.stored, metadata: { ...t.stored.metadata, resourceVersion: 'old' } };
    await expect(
      t.executor.execute(
        stale,
        plan({ status: { phase: 'Running' }, effects: [{ kind: 'prepare', place: t.place }] }),
        observed(t.place),
        NOW,
        log,
      ),
    ).rejects.toBeInstanceOf(ApiError);
    expect(t.sites.host('login.example').log).toEqual([]);
  });

  it('stops at a gone object (404) without acting', async () => {
    const t = setup(makeVirtualCluster().allocation().obj());
    t.open();
    t.objects.failNext.set('patch-status', new ApiError(404, 'not found'));
    const done = await t.executor.execute(
      t.stored,
      plan({ status: { phase: 'Running' }, effects: [{ kind: 'removeToken', place: t.place }] }),
      observed(t.place),
      NOW,
      log,
    );
    expect(done).toEqual({ applied: false, released: false });
    expect(t.sites.host('login.example').log).toEqual([]);
  });

  it('skips the rest of a place after a failure, remembers it, and keeps the finalizer', async () => {
    const vc = makeVirtualCluster().withFinalizer().deleting().allocation().obj();
    const t = setup(vc);
    t.open();
    t.sites
      .host('login.example')
      .failing.set('removeToken', new SshError('timeout', 'command on login timed out'));
    const done = await t.executor.execute(
      t.stored,
      plan({ effects: [{ kind: 'removeToken', place: t.place }, { kind: 'removeFinalizer' }] }),
      observed(t.place),
      NOW,
      log,
    );
    expect(done.released).toBe(false);
    expect(t.objects.get('ns/vc')?.metadata.finalizers).toEqual([VC_FINALIZER]);
    expect(t.sessions.peek('ns/vc', placeKey(t.place))?.lastError).toBe('command on login timed out');
  });

  it('takes a failed cancel as no failure of the site but not as done either, and a refused login as refused', async () => {
    const t = setup(makeVirtualCluster().withFinalizer().allocation().obj());
    t.open();
    const host = t.sites.host('login.example');
    host.failing.set('cancel', new SshError('failed', 'qdel failed: denied: job "999" does not exist'));
    const cancelled = await t.executor.execute(
      t.stored,
      plan({
        effects: [
          {
            kind: 'cancelPilots',
            place: t.place,
            ids: ['999'],
            event: { type: 'Normal', reason: 'PilotsCancelled', action: 'Reconcile', note: '' },
          },
        ],
      }),
      observed(t.place),
      NOW,
      log,
    );
    expect(cancelled.applied).toBe(true);
    expect(t.recorder.reasons()).toEqual(['PilotsCancelled']);
    // The pilot may have ended (qdel says it does not exist) or not (the batch system timed out): the
    // place's cancels are not remembered, so the next pass cancels it again if it is still listed.
    expect(cancelled.failed).toEqual(new Set([placeKey(t.place)]));
    expect(t.sessions.peek('ns/vc', placeKey(t.place))?.lastError).toBeUndefined();
    host.acceptedKey = 'another key';
    await t.executor.execute(
      t.stored,
      plan({ effects: [{ kind: 'removeToken', place: t.place }] }),
      observed(t.place),
      NOW,
      log,
    );
    expect(t.sessions.peek('ns/vc', placeKey(t.place))?.refused).toMatchObject({
      reason: 'AuthenticationFailed',
    });
  });

  it('removes the finalizer last and forgets the VirtualCluster', async () => {
    const vc = makeVirtualCluster().withFinalizer().deleting().allocation().obj();
    const t = setup(vc);
    t.open();
    const token = makeIdToken();
    const o = {
      ...observed(t.place),
      token: { kind: 'ok' as const, mode: 'shared' as const, token, trustDomain: 'pool.example' },
    };
    const done = await t.executor.execute(
      t.stored,
      plan({ effects: [{ kind: 'removeToken', place: t.place }, { kind: 'removeFinalizer' }] }),
      o,
      NOW,
      log,
    );
    expect(done).toEqual({ applied: true, released: true });
    expect(t.objects.get('ns/vc')).toBeUndefined();
    expect(t.sessions.size).toBe(0);
  });
});
