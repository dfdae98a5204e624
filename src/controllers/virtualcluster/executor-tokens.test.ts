/**
 * The executor with per-pilot tokens: a pilot's token is minted with the signing key and stored before the
 * pilot is submitted, a failed mint submits nothing, renewals and removals keep the place's memory in step.
 */
import { describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { makeIdToken, makeObservation } from '../../../test/support/builders/vc-observation.js';
import { makeVirtualCluster } from '../../../test/support/builders/virtualcluster.js';
import { FakeObjects, FakeRecorder } from '../../../test/support/fake-objects.js';
import { FakeSiteConnector } from '../../../test/support/fake-site.js';
import { SITE_HOST_KEY, SITE_PRIVATE_KEY } from '../../../test/support/vc-world.js';
import type { TokenMinter, TokenRequest } from '../../condor/token-create.js';
import type { VirtualCluster } from '../../crds/virtualcluster.js';
import { Executor } from './executor.js';
import { VirtualClusterMetrics } from './metrics.js';
import type { Plan, SiteEffect } from './model.js';
import { placeKey, placeOf } from './places.js';
import { SiteSessions } from './site-sessions.js';

const log = pino({ level: 'silent' });
const NOW = Date.UTC(2026, 0, 1, 1);

/** Mints JWT-shaped tokens whose claims carry the request (what condor_token_create would sign). */
class RecordingMinter implements TokenMinter {
  readonly requests: TokenRequest[] = [];
  failWith?: Error;

  async mint(r: TokenRequest): Promise<string> {
    if (this.failWith) throw this.failWith;
    this.requests.push(r);
    const iat = Math.floor(NOW / 1000);
    return makeIdToken({
      iss: r.trustDomain,
      sub: r.identity,
      iat,
      exp: iat + r.lifetimeSeconds,
      n: this.requests.length,
    });
  }
}

function setup() {
  const vc: VirtualCluster = makeVirtualCluster().allocation().obj();
  const objects = new FakeObjects<VirtualCluster>();
  const stored = objects.put(vc);
  const sites = new FakeSiteConnector();
  const sessions = new SiteSessions(sites);
  const minter = new RecordingMinter();
  const registry = new Registry();
  const executor = new Executor({
    writer: objects,
    recorder: new FakeRecorder(),
    sessions,
    metrics: new VirtualClusterMetrics(registry),
    minter,
  });
  const a = stored.spec.allocations?.[0];
  if (!a) throw new Error('no allocation');
  const place = placeOf(stored, a);
  const login = { host: place.loginHost, port: place.port, user: place.user, privateKey: SITE_PRIVATE_KEY };
  sessions.open('ns/vc', placeKey(place), { ...login, hostKeys: [SITE_HOST_KEY] }, place.batchSystem);
  const memory = sessions.place('ns/vc', placeKey(place));
  memory.pilotTokens = new Map();
  const host = sites.host(place.loginHost);
  const run = (effects: SiteEffect[]) => {
    const p: Plan = { events: [], effects, memory: { failures: {}, cancelled: {} }, requeueAfterMs: 0 };
    return executor.execute(stored, p, makeObservation().minted().listed(place).obj(), NOW, log);
  };
  const tokenAt = (pilot: string) => host.files.get(`${place.user}:${place.directory}/tokens/${pilot}/token`);
  /** hpc_virtualcluster_pilot_tokens_total by purpose/outcome. */
  const counted = async () =>
    Object.fromEntries(
      (await registry.getSingleMetric('hpc_virtualcluster_pilot_tokens_total')?.get())?.values.map((v) => [
        `${v.labels.purpose}/${v.labels.outcome}`,
        v.value,
      ]) ?? [],
    );
  return { place, host, minter, memory, run, tokenAt, counted };
}

describe('the executor with per-pilot tokens', () => {
  it('mints each pilot’s token with the signing key and stores it before submitting the pilot', async () => {
    const t = setup();
    await t.run([
      {
        kind: 'submitPilots',
        place: t.place,
        pilots: [{ name: 'hp-0', script: '#!/bin/sh\n', tokenLifetimeSeconds: 4200 }],
        event: { type: 'Normal', reason: 'PilotsSubmitted', action: 'Reconcile', note: 'n' },
      },
    ]);
    expect(t.minter.requests).toEqual([
      {
        signingKey: Buffer.from('key'),
        keyName: 'POOL',
        trustDomain: 'pool.example',
        identity: 'pilot@pool.example',
        authz: ['ADVERTISE_STARTD', 'ADVERTISE_MASTER', 'READ'],
        lifetimeSeconds: 4200,
      },
    ]);
    expect(t.host.log).toEqual(['storePilotToken hp-0', 'submit hp-0']);
    expect(t.tokenAt('hp-0')).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(t.memory.pilotTokens?.get('hp-0')).toEqual({ issuedAt: NOW, expiresAt: NOW + 4_200_000 });
    expect(await t.counted()).toEqual({ 'new/stored': 1 });
  });

  it('submits nothing when the token cannot be minted, and remembers why', async () => {
    const t = setup();
    t.minter.failWith = new Error('condor_token_create failed: Failed to read the signing key');
    const done = await t.run([
      {
        kind: 'submitPilots',
        place: t.place,
        pilots: [{ name: 'hp-0', script: '#!/bin/sh\n', tokenLifetimeSeconds: 4200 }],
        event: { type: 'Normal', reason: 'PilotsSubmitted', action: 'Reconcile', note: 'n' },
      },
    ]);
    expect(t.host.log).toEqual([]);
    expect(done.failed?.has(placeKey(t.place))).toBe(true);
    expect(t.memory.lastError).toContain('Failed to read the signing key');
    expect(await t.counted()).toEqual({ 'new/failed': 1 });
  });

  it('renews queued pilots’ tokens in place and removes the ended ones’', async () => {
    const t = setup();
    await t.run([{ kind: 'issueTokens', place: t.place, tokens: [{ pilot: 'hp-0', lifetimeSeconds: 60 }] }]);
    const first = t.tokenAt('hp-0');
    await t.run([
      {
        kind: 'issueTokens',
        place: t.place,
        tokens: [
          { pilot: 'hp-0', lifetimeSeconds: 4200 },
          { pilot: 'hp-1', lifetimeSeconds: 4200 },
        ],
      },
    ]);
    expect(t.tokenAt('hp-0')).not.toBe(first);
    expect(t.memory.pilotTokens?.get('hp-0')?.expiresAt).toBe(NOW + 4_200_000);
    expect(await t.counted()).toEqual({ 'renewal/stored': 3 });
    await t.run([{ kind: 'retainTokens', place: t.place, keep: ['hp-1'] }]);
    expect(t.tokenAt('hp-0')).toBeUndefined();
    expect(t.tokenAt('hp-1')).toBeDefined();
    expect([...(t.memory.pilotTokens?.keys() ?? [])]).toEqual(['hp-1']);
  });

  it('removes every pilot token with the place’s cleanup', async () => {
    const t = setup();
    await t.run([{ kind: 'issueTokens', place: t.place, tokens: [{ pilot: 'hp-0', lifetimeSeconds: 60 }] }]);
    await t.run([{ kind: 'removeToken', place: t.place }]);
    expect(t.tokenAt('hp-0')).toBeUndefined();
    expect(t.memory.pilotTokens?.size).toBe(0);
  });
});
