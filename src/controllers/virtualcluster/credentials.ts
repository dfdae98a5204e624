/**
 * The credentials of an allocation, from its Secret: the SSH key, the pinned host key, and optional GSI
 * proxy or token whose expiry is watched. Nothing here logs or returns key material beyond what SSH needs.
 */
import { X509Certificate } from 'node:crypto';
import { checkPrivateKey, pinnedKeyBlobs } from '../../sites/ssh.js';
import { CredentialProblemReason as R } from './reasons.js';

export interface SiteCredentials {
  privateKey: string;
  hostKeys: string[];
  /** Earliest expiry of a proxy certificate or token in the Secret. */
  expiresAt?: Date;
  /** The expiry of each key that has one (x509-proxy, token). */
  expiries: { key: string; at: Date }[];
}

export type CredentialProblem = { reason: string; message: string };

/** Whose credentials: an allocation, or a recorded place of one (status.sites). */
export interface CredentialRef {
  name: string;
  credentials: { secretName: string; hostKey?: string };
}

/** Reads a Secret's data (already base64-decoded) into credentials, or says what is wrong with it. */
export function credentialsFrom(
  alloc: CredentialRef,
  data: Record<string, string> | undefined,
): SiteCredentials | CredentialProblem {
  const secret = alloc.credentials.secretName;
  if (!data)
    return {
      reason: R.SecretNotFound,
      message: `Secret ${secret} of allocation ${alloc.name} does not exist`,
    };
  const privateKey = data['ssh-privatekey'];
  if (!privateKey) return { reason: R.KeyMissing, message: `Secret ${secret} has no ssh-privatekey` };
  const keyProblem = checkPrivateKey(privateKey);
  if (keyProblem) return { reason: R.KeyInvalid, message: `Secret ${secret}: ${keyProblem}` };
  const hostKeys = alloc.credentials.hostKey
    ? [alloc.credentials.hostKey]
    : data['known_hosts']
      ? [data['known_hosts']]
      : [];
  if (pinnedKeyBlobs(hostKeys).size === 0) {
    return {
      reason: R.HostKeyMissing,
      message: `allocation ${alloc.name} pins no host key: set credentials.hostKey or a known_hosts key in Secret ${secret} (unknown host keys are never accepted)`,
    };
  }
  const expiries: { key: string; at: Date }[] = [];
  if (data['x509-proxy']) {
    const e = proxyExpiry(data['x509-proxy']);
    if (!e)
      return {
        reason: R.ProxyInvalid,
        message: `Secret ${secret}: x509-proxy holds no readable certificate`,
      };
    expiries.push({ key: 'x509-proxy', at: e });
  }
  if (data['token']) {
    const e = tokenExpiry(data['token']);
    if (e) expiries.push({ key: 'token', at: e });
  }
  expiries.sort((a, b) => a.at.getTime() - b.at.getTime());
  const expiresAt = expiries[0]?.at;
  return { privateKey, hostKeys, expiries, ...(expiresAt ? { expiresAt } : {}) };
}

/** The earliest notAfter of the certificates in a PEM bundle (a GSI proxy holds its chain). */
export function proxyExpiry(pem: string): Date | undefined {
  const certs = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  const dates = certs.flatMap((c) => {
    try {
      return [new Date(new X509Certificate(c).validTo)];
    } catch {
      return [];
    }
  });
  return dates.sort((a, b) => a.getTime() - b.getTime())[0];
}

/** The exp claim of a JWT (IDTOKEN, SciToken), if any. */
export function tokenExpiry(token: string): Date | undefined {
  return jwtClaims(token)?.exp !== undefined ? new Date(Number(jwtClaims(token)?.exp) * 1000) : undefined;
}

/** The payload of a JWT, without verifying it (the issuer checks the signature; we only read claims). */
export function jwtClaims(token: string): Record<string, unknown> | undefined {
  const part = token.trim().split('.')[1];
  if (!part) return undefined;
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
