import { describe, expect, it } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import {
  backdateMs,
  checkEveryMs,
  fromSecretData,
  issuePair,
  mergeBundle,
  planCerts,
  toSecretData,
  unusable,
  type ManagedCertOptions,
  type StoredCerts,
} from './cert-plan.js';
import { splitPem } from './x509.js';

const T0 = Date.parse('2026-12-03T10:00:00Z');
const DAY = 86_400_000;
const o: ManagedCertOptions = {
  dnsNames: ['svc.ns.svc', 'localhost'],
  ipAddresses: ['127.0.0.1'],
  lifetimeMs: 90 * DAY,
};
const live = () => true;

function stored(at: number, opts = o): StoredCerts {
  const { pair, ca } = issuePair(at, opts);
  return { current: pair, caBundle: mergeBundle(ca, '', at) };
}

describe('planCerts', () => {
  it('issues when there is nothing, or nothing that can be served', () => {
    expect(planCerts(undefined, T0, o, live)).toEqual({ action: 'issue', reason: 'no certificate yet' });
    const s = stored(T0);
    expect(planCerts(s, T0 + 91 * DAY, o, live)).toMatchObject({ action: 'issue', reason: /^expired/ });
    const other = stored(T0);
    expect(planCerts({ ...s, caBundle: other.caBundle }, T0, o, live)).toEqual({
      action: 'issue',
      reason: 'not signed by a CA of the bundle',
    });
    expect(
      planCerts({ ...s, current: { cert: s.current!.cert, key: other.current!.key } }, T0, o, live),
    ).toEqual({
      action: 'issue',
      reason: 'the key does not match the certificate',
    });
  });

  it('keeps a certificate with more than a third of its lifetime left, then stages a renewal', () => {
    const s = stored(T0);
    expect(planCerts(s, T0 + 59 * DAY, o, live)).toEqual({ action: 'keep' });
    expect(planCerts(s, T0 + 61 * DAY, o, live)).toMatchObject({
      action: 'stage',
      reason: /a third of its lifetime/,
    });
  });

  it('stages a renewal when the names or a shorter lifetime are wanted', () => {
    const s = stored(T0);
    expect(planCerts(s, T0, { ...o, dnsNames: ['other.ns.svc'] }, live)).toMatchObject({
      action: 'stage',
      reason: /names .* are not the ones wanted/,
    });
    expect(planCerts(s, T0, { ...o, lifetimeMs: DAY }, live)).toMatchObject({
      action: 'stage',
      reason: 'it lives longer than the configured lifetime',
    });
  });

  it('promotes a staged pair only once the API server has the bundle that trusts it', () => {
    const s = stored(T0);
    const { pair, ca } = issuePair(T0 + 61 * DAY, o);
    const staged: StoredCerts = {
      current: s.current,
      caBundle: mergeBundle(ca, s.caBundle, T0 + 61 * DAY),
      next: pair,
    };
    expect(splitPem(staged.caBundle)).toHaveLength(2);
    expect(planCerts(staged, T0 + 61 * DAY, o, () => false)).toEqual({ action: 'keep' });
    expect(planCerts(staged, T0 + 61 * DAY, o, (b) => b === staged.caBundle)).toEqual({ action: 'promote' });
    // Both the old and the new certificate verify against the bundle meanwhile.
    expect(unusable(staged.current, staged.caBundle, T0 + 61 * DAY)).toBeUndefined();
    expect(unusable(staged.next, staged.caBundle, T0 + 61 * DAY)).toBeUndefined();
  });
});

describe('mergeBundle', () => {
  it('puts the new CA first and keeps old ones until they expire', () => {
    const old = stored(T0);
    const { ca } = issuePair(T0 + 61 * DAY, o);
    const merged = mergeBundle(ca, old.caBundle, T0 + 61 * DAY);
    const fp = (pem: string) => new X509Certificate(pem).fingerprint256;
    expect(splitPem(merged).map(fp)).toEqual([fp(ca), fp(old.caBundle)]);
    expect(splitPem(mergeBundle(ca, merged, T0 + 91 * DAY)).map(fp)).toEqual([fp(ca)]);
    expect(mergeBundle(ca, merged, T0 + 61 * DAY)).toBe(merged);
  });
});

describe('the Secret', () => {
  it('round-trips through tls.crt, tls.key, ca.crt and the staged next.crt/next.key', () => {
    const s = stored(T0);
    const { pair } = issuePair(T0, o);
    const withNext = { ...s, next: pair };
    expect(Object.keys(toSecretData(withNext)).sort()).toEqual([
      'ca.crt',
      'next.crt',
      'next.key',
      'tls.crt',
      'tls.key',
    ]);
    expect(fromSecretData(toSecretData(withNext))).toEqual(withNext);
    expect(fromSecretData({})).toEqual({ current: undefined, caBundle: '', next: undefined });
  });
});

describe('timing', () => {
  it('backdates by a tenth of a short lifetime, at most 5 minutes, and checks 20 times a lifetime (1 s to 1 min)', () => {
    expect(backdateMs(30_000)).toBe(3_000);
    expect(backdateMs(90 * DAY)).toBe(300_000);
    expect(checkEveryMs(30_000)).toBe(1_500);
    expect(checkEveryMs(90 * DAY)).toBe(60_000);
    expect(checkEveryMs(5_000)).toBe(1_000);
  });
});
