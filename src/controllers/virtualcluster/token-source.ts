/**
 * Where a VirtualCluster's pilots get their token, read through the Secrets port: the one shared IDTOKEN of
 * spec.pool.pilotTokenSecretRef, or the pool signing key of spec.pool.pilotTokens, with which the executor
 * mints a token per pilot. Neither value is logged or put into the status.
 */
import { MIN_TOKEN_MARGIN_SECONDS, POOL_DEFAULTS, PILOT_TOKEN_KEY } from '../../crds/virtualcluster-pool.js';
import type { VirtualCluster } from '../../crds/virtualcluster.js';
import { SecretAccessError, type Secrets } from '../../runtime/kube-api.js';
import { durationMs } from '../../util/units.js';
import { jwtClaims, tokenExpiry } from './credentials.js';
import type { TokenView } from './model.js';
import { tokenHash } from './site-sessions.js';

/** Reads the pool token, or the signing key, of `vc`; says what is missing or forbidden. */
export async function readTokenSource(vc: VirtualCluster, secrets: Secrets): Promise<TokenView> {
  const ns = vc.metadata.namespace as string;
  const minted = vc.spec.pool.pilotTokens;
  try {
    if (minted) {
      const ref = minted.signingKeySecretRef;
      const key = ref.key ?? POOL_DEFAULTS.signingKeyName;
      const bytes = await secrets.readBytes(ns, ref.name, key);
      if (!bytes || bytes.length === 0)
        return {
          kind: 'missing',
          message: `Secret ${ref.name} (key ${key}) with the pool signing key is missing`,
        };
      const margin = Math.ceil(durationMs(minted.margin ?? POOL_DEFAULTS.margin) / 1000);
      return {
        kind: 'ok',
        mode: 'minted',
        trustDomain: minted.trustDomain,
        signing: {
          key: bytes,
          keyName: POOL_DEFAULTS.signingKeyName,
          identity: `${minted.identity ?? POOL_DEFAULTS.identity}@${minted.trustDomain}`,
          marginSeconds: Math.max(MIN_TOKEN_MARGIN_SECONDS, margin),
        },
      };
    }
    return await readSharedToken(vc, secrets);
  } catch (e) {
    if (e instanceof SecretAccessError) return { kind: 'forbidden', message: e.message };
    throw e;
  }
}

async function readSharedToken(vc: VirtualCluster, secrets: Secrets): Promise<TokenView> {
  const ref = vc.spec.pool.pilotTokenSecretRef;
  if (!ref)
    return { kind: 'missing', message: 'spec.pool names neither pilotTokenSecretRef nor pilotTokens' };
  const key = ref.key ?? PILOT_TOKEN_KEY;
  const token = (await secrets.read(vc.metadata.namespace as string, ref.name, key))?.trim();
  if (!token)
    return { kind: 'missing', message: `Secret ${ref.name} (key ${key}) with the pilot token is missing` };
  const iss = jwtClaims(token)?.iss;
  if (typeof iss !== 'string' || !iss)
    return { kind: 'missing', message: 'the pilot token is not an IDTOKEN (no issuer claim)' };
  return { kind: 'ok', mode: 'shared', token, trustDomain: iss };
}

/** What `prepare` stored at a place, to tell whether it must run again (a new shared token, a mode change). */
export function preparedMark(token: TokenView | undefined): string | undefined {
  if (token?.kind !== 'ok') return undefined;
  return token.mode === 'shared' ? tokenHash(token.token) : 'minted';
}

/** When the shared pool token expires (ms since the epoch), if it says. */
export function sharedTokenExpiry(token: TokenView | undefined): number | undefined {
  if (token?.kind !== 'ok' || token.mode !== 'shared') return undefined;
  return tokenExpiry(token.token)?.getTime();
}
