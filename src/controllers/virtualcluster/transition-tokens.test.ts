/**
 * The VirtualCluster transition with per-pilot tokens (spec.pool.pilotTokens): each new pilot gets its own
 * token for its walltime plus the margin, a queued pilot's token is renewed before it could run out under the
 * pilot, an ended pilot's token is removed, and status.pilotTokens says until when any of them works. Pure.
 */
import { describe, expect, it } from '@jest/globals';
import type { VirtualCluster } from '../../crds/virtualcluster.js';
import { makeObservation, pilot } from '../../../test/support/builders/vc-observation.js';
import { makeVirtualCluster, VC_CREATED } from '../../../test/support/builders/virtualcluster.js';
import type { StoredToken } from '../../sites/pilot-tokens.js';
import type { Plan, SiteEffect, TransitionConfig } from './model.js';
import { placeOf } from './places.js';
import { transition } from './transition.js';
import { FRESH_TOKEN_MS } from './transition-tokens.js';

const NOW = VC_CREATED + 600_000;
const CONFIG: TransitionConfig = { activePollMs: 5000, steadyPollMs: 30_000 };
const HOUR = 3_600_000;
const MARGIN_S = 600;

function site<K extends SiteEffect['kind']>(p: Plan, kind: K): Extract<SiteEffect, { kind: K }>[] {
  return p.effects.filter((e): e is Extract<SiteEffect, { kind: K }> => e.kind === kind);
}
function place(vc: VirtualCluster) {
  const a = vc.spec.allocations?.[0];
  if (!a) throw new Error('no allocation');
  return placeOf(vc, a);
}
/** A token minted `ageMs` ago for `lifetimeMs`. */
const stored = (ageMs: number, lifetimeMs: number): StoredToken => ({
  issuedAt: NOW - ageMs,
  expiresAt: NOW - ageMs + lifetimeMs,
});

/** One autoscaled SLURM allocation with pilots of 1h. */
const vc = makeVirtualCluster()
  .withFinalizer()
  .allocation((a) => a.autoscale(0, 3).set({ walltime: '1h' }))
  .recorded('site1')
  .obj();
const p = place(vc);
const name = (seq: number) => `${p.pilotPrefix}${seq}`;

describe('a new pilot', () => {
  it('gets its own token for its walltime plus the margin, read in place by its script', () => {
    const o = makeObservation().minted(MARGIN_S).listed(p, [], { pilotTokens: new Map() }).demand(1).obj();
    const plan = transition(vc, o, NOW, CONFIG);
    const [submit] = site(plan, 'submitPilots');
    expect(submit?.pilots[0]?.tokenLifetimeSeconds).toBe(3600 + MARGIN_S);
    const script = submit?.pilots[0]?.script ?? '';
    expect(script).toContain(`HPCOP_OWN_TOKEN_DIR="$HOME"/.hpcop/0c0ffee0-site1/tokens/${name(0)}`);
    expect(script).toContain('export _CONDOR_SEC_TOKEN_DIRECTORY="$HPCOP_OWN_TOKEN_DIR"');
    expect(script).not.toContain('pilot.token');
    expect(plan.status?.pilotTokens).toEqual({
      identity: 'pilot@pool.example',
      onSites: 1,
      latestExpiry: new Date(NOW + (3600 + MARGIN_S) * 1000).toISOString().replace('.000', ''),
      lastIssued: new Date(NOW).toISOString().replace('.000', ''),
    });
  });

  it('with a shared token, copies pilot.token as before and no status.pilotTokens is kept', () => {
    const prev = makeVirtualCluster()
      .withFinalizer()
      .allocation((a) => a.autoscale(0, 3))
      .recorded('site1')
      .status((s) => s.set({ pilotTokens: { identity: 'pilot@pool.example', onSites: 0 } }))
      .obj();
    const plan = transition(prev, makeObservation().listed(p).demand(1).obj(), NOW, CONFIG);
    expect(site(plan, 'submitPilots')[0]?.pilots[0]?.script).toContain('pilot.token');
    expect(site(plan, 'submitPilots')[0]?.pilots[0]?.tokenLifetimeSeconds).toBeUndefined();
    expect(plan.status?.pilotTokens).toBeUndefined();
  });
});

describe('a queued pilot', () => {
  const queued = [pilot(p, 0, 'queued')];

  it('keeps its token while it has the walltime and half the margin left, and the pass comes back in time', () => {
    // Minted 4 minutes ago for 1h10m: 66 min left, more than 1h05m.
    const tokens = new Map([[name(0), stored(240_000, 4_200_000)]]);
    const o = makeObservation().minted(MARGIN_S).listed(p, queued, { pilotTokens: tokens }).demand(1).obj();
    const plan = transition(vc, o, NOW, CONFIG);
    expect(site(plan, 'issueTokens')).toEqual([]);
    // Due when 1h05m are left: in one minute, sooner than the usual poll would come back.
    expect(plan.requeueAfterMs).toBe(Math.min(CONFIG.activePollMs, 60_000));
  });

  it('gets a fresh token once less than its walltime and half the margin is left', () => {
    const tokens = new Map([[name(0), stored(HOUR / 6, 4_200_000)]]);
    const o = makeObservation().minted(MARGIN_S).listed(p, queued, { pilotTokens: tokens }).demand(1).obj();
    const plan = transition(vc, o, NOW, CONFIG);
    expect(site(plan, 'issueTokens')).toEqual([
      { kind: 'issueTokens', place: p, tokens: [{ pilot: name(0), lifetimeSeconds: 3600 + MARGIN_S }] },
    ]);
  });

  it('with no token at the place (lost, or never stored), gets one', () => {
    const o = makeObservation()
      .minted(MARGIN_S)
      .listed(p, queued, { pilotTokens: new Map() })
      .demand(1)
      .obj();
    expect(site(transition(vc, o, NOW, CONFIG), 'issueTokens')[0]?.tokens.map((t) => t.pilot)).toEqual([
      name(0),
    ]);
  });
});

describe('running and ended pilots', () => {
  it('a running pilot keeps the token it started with, however little is left', () => {
    const tokens = new Map([[name(0), stored(HOUR, 4_200_000)]]);
    const o = makeObservation()
      .minted(MARGIN_S)
      .listed(p, [pilot(p, 0, 'running')], { pilotTokens: tokens })
      .joined(name(0))
      .demand(1)
      .obj();
    const plan = transition(vc, o, NOW, CONFIG);
    expect(site(plan, 'issueTokens')).toEqual([]);
    expect(site(plan, 'retainTokens')).toEqual([]);
  });

  it('an ended pilot loses its token; one minted a moment ago stays though its pilot is not listed yet', () => {
    const tokens = new Map([
      [name(0), stored(HOUR, 4_200_000)],
      [name(1), stored(FRESH_TOKEN_MS / 2, 4_200_000)],
      [name(2), stored(HOUR, 4_200_000)],
    ]);
    const listed = [pilot(p, 0, 'done'), pilot(p, 2, 'running')];
    const o = makeObservation()
      .minted(MARGIN_S)
      .listed(p, listed, { pilotTokens: tokens })
      .joined(name(2))
      .obj();
    const plan = transition(vc, o, NOW, CONFIG);
    expect(site(plan, 'retainTokens')).toEqual([
      { kind: 'retainTokens', place: p, keep: [name(1), name(2)] },
    ]);
    expect(plan.status?.pilotTokens?.onSites).toBe(2);
  });

  it('status.pilotTokens keeps the latest expiry of removed tokens until it has passed: a copy works until then', () => {
    const later = new Date(NOW + 2 * HOUR).toISOString().replace('.000', '');
    const prev = makeVirtualCluster()
      .withFinalizer()
      .allocation((a) => a.autoscale(0, 3).set({ walltime: '1h' }))
      .recorded('site1')
      .status((s) =>
        s.set({ pilotTokens: { identity: 'pilot@pool.example', onSites: 1, latestExpiry: later } }),
      )
      .obj();
    const o = makeObservation().minted(MARGIN_S).listed(p, [], { pilotTokens: new Map() }).obj();
    expect(transition(prev, o, NOW, CONFIG).status?.pilotTokens).toMatchObject({
      onSites: 0,
      latestExpiry: later,
    });
    expect(transition(prev, o, NOW + 3 * HOUR, CONFIG).status?.pilotTokens?.latestExpiry).toBeUndefined();
  });

  it('tokens not read from the site (a failed read) are left alone and the last status stands', () => {
    const prev = makeVirtualCluster()
      .withFinalizer()
      .allocation((a) => a.autoscale(0, 3))
      .recorded('site1')
      .status((s) => s.set({ pilotTokens: { identity: 'pilot@pool.example', onSites: 3 } }))
      .obj();
    const plan = transition(
      prev,
      makeObservation()
        .minted(MARGIN_S)
        .listed(p, [pilot(p, 0, 'queued')])
        .obj(),
      NOW,
      CONFIG,
    );
    expect(site(plan, 'retainTokens')).toEqual([]);
    expect(site(plan, 'issueTokens')).toEqual([]);
    expect(plan.status?.pilotTokens?.onSites).toBe(3);
  });
});
