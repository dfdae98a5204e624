/**
 * The operator-managed serving certificate, as decisions: what the Secret holds, whether its certificate is
 * still good, and what to do next. A CA and a serving certificate signed by it are issued together; the CA's
 * key is never kept (nothing can sign with it later), so a renewal issues both again and the CA bundle the
 * API server trusts keeps the previous CA until it expires.
 *
 * A renewal has two steps so that no request meets a certificate the API server does not trust yet:
 * `stage` writes the new pair beside the current one and the new CA into the bundle (and the bundle into the
 * ValidatingWebhookConfiguration); `promote`, a check later and once the bundle is in place, makes the new
 * pair the one every replica serves. With nothing usable to serve, `issue` does both at once.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { issueCertificate, keyIdOf, newKeyPair, splitPem } from './x509.js';

/** Keys of the Secret (tls.crt/tls.key/ca.crt, the names cert-manager writes; the Secret itself is Opaque). */
export const SecretKeys = {
  cert: 'tls.crt',
  key: 'tls.key',
  caBundle: 'ca.crt',
  nextCert: 'next.crt',
  nextKey: 'next.key',
} as const;

export interface CertPair {
  /** PEM of the serving certificate, and of its private key (PKCS#8). */
  cert: string;
  key: string;
}

export interface StoredCerts {
  current?: CertPair;
  /** The CAs the API server is to trust: the current one first, then older ones not yet expired. */
  caBundle: string;
  /** A renewed pair waiting for its CA to reach the API server. */
  next?: CertPair;
}

export interface ManagedCertOptions {
  /** The names the API server and clients reach the operator by. */
  dnsNames: readonly string[];
  ipAddresses: readonly string[];
  lifetimeMs: number;
}

export type CertPlan =
  | { action: 'keep' }
  | { action: 'issue'; reason: string }
  | { action: 'stage'; reason: string }
  | { action: 'promote' };

/** How far before issuing a certificate starts to be valid: clocks of the API server and the operator differ. */
export function backdateMs(lifetimeMs: number): number {
  return Math.min(5 * 60_000, Math.floor(lifetimeMs / 10));
}

/** How often replicas look at the Secret and the leader decides: often enough for a short test lifetime. */
export function checkEveryMs(lifetimeMs: number): number {
  return Math.max(1_000, Math.min(60_000, Math.floor(lifetimeMs / 20)));
}

export function fromSecretData(data: Record<string, string> | undefined): StoredCerts | undefined {
  if (!data) return undefined;
  const pair = (cert?: string, key?: string) => (cert && key ? { cert, key } : undefined);
  return {
    current: pair(data[SecretKeys.cert], data[SecretKeys.key]),
    caBundle: data[SecretKeys.caBundle] ?? '',
    next: pair(data[SecretKeys.nextCert], data[SecretKeys.nextKey]),
  };
}

export function toSecretData(s: StoredCerts): Record<string, string> {
  const data: Record<string, string> = { [SecretKeys.caBundle]: s.caBundle };
  if (s.current) Object.assign(data, { [SecretKeys.cert]: s.current.cert, [SecretKeys.key]: s.current.key });
  if (s.next) Object.assign(data, { [SecretKeys.nextCert]: s.next.cert, [SecretKeys.nextKey]: s.next.key });
  return data;
}

/** A new CA and a serving certificate signed by it, valid from now (backdated) for the lifetime. */
export function issuePair(now: number, o: ManagedCertOptions): { pair: CertPair; ca: string } {
  const notBefore = now - backdateMs(o.lifetimeMs);
  const notAfter = now + o.lifetimeMs;
  const caKeys = newKeyPair();
  const caName = `hpc-operator-ca-${new Date(now).toISOString()}`;
  const ca = issueCertificate({
    commonName: caName,
    publicKey: caKeys.publicKey,
    privateKey: caKeys.privateKey,
    notBefore,
    notAfter,
    ca: true,
  });
  const keys = newKeyPair();
  const cert = issueCertificate({
    commonName: o.dnsNames[0] ?? 'hpc-operator',
    publicKey: keys.publicKey,
    notBefore,
    notAfter,
    ca: false,
    issuer: { name: caName, privateKey: caKeys.privateKey, keyId: keyIdOf(caKeys.publicKey) },
    dnsNames: o.dnsNames,
    ipAddresses: o.ipAddresses,
  });
  const key = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return { pair: { cert, key }, ca };
}

/** `ca` first, then the CAs of `previous` that are still valid at `now` (deduplicated). */
export function mergeBundle(ca: string, previous: string, now: number): string {
  const kept = splitPem(previous).filter((pem) => {
    const c = new X509Certificate(pem);
    return c.validToDate.getTime() > now && pem.trim() !== ca.trim();
  });
  return [ca, ...kept].map((p) => (p.endsWith('\n') ? p : `${p}\n`)).join('');
}

/** Why `pair` cannot be served (as trusted through `caBundle`) at `now`, or undefined when it can. */
export function unusable(pair: CertPair | undefined, caBundle: string, now: number): string | undefined {
  if (!pair) return 'no certificate yet';
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(pair.cert);
    if (!leaf.checkPrivateKey(createPrivateKey(pair.key))) return 'the key does not match the certificate';
  } catch (e) {
    return `unreadable certificate or key (${(e as Error).message})`;
  }
  if (leaf.validToDate.getTime() <= now) return `expired ${leaf.validToDate.toISOString()}`;
  const trusted = splitPem(caBundle).some((pem) => {
    const ca = new X509Certificate(pem);
    return leaf.checkIssued(ca) && leaf.verify(ca.publicKey);
  });
  return trusted ? undefined : 'not signed by a CA of the bundle';
}

/** Why a servable pair should be renewed now (a third of its lifetime left, other names or lifetime). */
export function renewalReason(pair: CertPair, now: number, o: ManagedCertOptions): string | undefined {
  const leaf = new X509Certificate(pair.cert);
  const from = leaf.validFromDate.getTime();
  const to = leaf.validToDate.getTime();
  if (to - now < (to - from) / 3)
    return `less than a third of its lifetime left (expires ${leaf.validToDate.toISOString()})`;
  const want = [...o.dnsNames.map((n) => `DNS:${n}`), ...o.ipAddresses.map((ip) => `IP Address:${ip}`)];
  const have = (leaf.subjectAltName ?? '').split(', ').filter(Boolean);
  if (want.length !== have.length || want.some((n) => !have.includes(n)))
    return `its names (${have.join(', ')}) are not the ones wanted (${want.join(', ')})`;
  if (to - from > o.lifetimeMs + backdateMs(o.lifetimeMs) + 60_000)
    return 'it lives longer than the configured lifetime';
  return undefined;
}

/**
 * The leader's next step. `bundleLive`: whether the API server has been given `bundle` (the
 * ValidatingWebhookConfiguration holds it; always true without one).
 */
export function planCerts(
  stored: StoredCerts | undefined,
  now: number,
  o: ManagedCertOptions,
  bundleLive: (bundle: string) => boolean,
): CertPlan {
  const broken = unusable(stored?.current, stored?.caBundle ?? '', now);
  if (!stored || broken) return { action: 'issue', reason: broken ?? 'no certificate yet' };
  if (stored.next && !unusable(stored.next, stored.caBundle, now))
    return bundleLive(stored.caBundle) ? { action: 'promote' } : { action: 'keep' };
  const reason = renewalReason(stored.current as CertPair, now, o);
  return reason ? { action: 'stage', reason } : { action: 'keep' };
}
