import { CondorError } from '../../src/condor/errors.js';
import type { TokenRequest } from '../../src/condor/token-create.js';
import { storedTokenOf } from '../../src/sites/pilot-tokens.js';
import { expiryOf, MinterModel, signedBy, SimTokenMinter } from './minter.js';
import { kit, watch } from './testkit.js';

const KEY = 'sim-signing-key t1/vc-0';

function minter() {
  const k = kit();
  const model = new MinterModel(k.sched, k.trace);
  const m = new SimTokenMinter({ net: k.net, prng: k.prng, now: () => k.sched.now(), model }, k.replica);
  return { ...k, model, m };
}

const request = (o: Partial<TokenRequest> = {}): TokenRequest => ({
  signingKey: Buffer.from(KEY),
  keyName: 'POOL',
  trustDomain: 'cm0.pool.example.org',
  identity: 'pilot@cm0.pool.example.org',
  authz: ['ADVERTISE_STARTD', 'READ'],
  lifetimeSeconds: 3_660,
  ...o,
});

describe('SimTokenMinter', () => {
  it('mints a JWT-shaped token with the claims of condor_token_create on the virtual clock', async () => {
    const w = minter();
    await w.advance(90_000);
    const issued = w.sched.now();
    const t = watch(w.m.mint(request()));
    await w.advance(5_000);
    const token = t.value ?? '';
    const [header, claims] = token
      .split('.')
      .slice(0, 2)
      .map((p) => JSON.parse(Buffer.from(p, 'base64url').toString()) as object);
    const iat = Math.floor(issued / 1000);
    expect(token.split('.')).toHaveLength(3);
    expect(header).toEqual({ alg: 'HS256', kid: 'POOL' });
    expect(claims).toMatchObject({
      iss: 'cm0.pool.example.org',
      sub: 'pilot@cm0.pool.example.org',
      scope: 'condor:/ADVERTISE_STARTD condor:/READ',
    });
    const c = claims as { iat: number; exp: number };
    // Minted when served: after the call was issued, before it settled.
    expect(c.iat).toBeGreaterThanOrEqual(iat);
    expect(c.iat * 1000).toBeLessThanOrEqual(w.sched.now());
    expect(c.exp - c.iat).toBe(3_660);
    // What the operator reads back from a site listing, and what the invariants read.
    expect(storedTokenOf(token.split('.')[1] ?? '')).toEqual({
      issuedAt: c.iat * 1000,
      expiresAt: c.exp * 1000,
    });
    expect(expiryOf(token)).toBe(c.exp * 1000);
  });

  it('signs with the signing key: the world tells whose token it is', async () => {
    const w = minter();
    const t = watch(w.m.mint(request()));
    await w.advance(5_000);
    expect([signedBy(t.value ?? '', KEY), signedBy(t.value ?? '', 'sim-signing-key t1/vc-1')]).toEqual([
      true,
      false,
    ]);
  });

  it('fails like condor_token_create while its fault lasts, and refuses a lifetime the real one refuses', async () => {
    const w = minter();
    w.model.fault(60_000);
    const failed = watch(w.m.mint(request()));
    await w.advance(5_000);
    const bad = watch(w.m.mint(request({ lifetimeSeconds: 0 })));
    await w.advance(60_000);
    const again = watch(w.m.mint(request()));
    await w.advance(5_000);
    expect(failed.error).toBeInstanceOf(CondorError);
    expect((failed.error as CondorError).kind).toBe('failed');
    expect(bad.error).toBeInstanceOf(Error);
    expect(again.value?.split('.')).toHaveLength(3);
  });
});
