/**
 * The executor's side of per-pilot tokens (spec.pool.pilotTokens): mint a token for a pilot with the signing
 * key from the observation, store it where the pilot reads it, and keep the place's memory of what is stored
 * there in step (what the next pass renews or removes). The token itself is neither logged nor remembered.
 */
import { PILOT_TOKEN_AUTHZ } from '../../crds/virtualcluster-pool.js';
import type { TokenMinter } from '../../condor/token-create.js';
import { storedTokenOf } from '../../sites/pilot-tokens.js';
import type { SiteSession } from '../../sites/session.js';
import type { TokenView } from './model.js';
import type { PlaceMemory } from './site-sessions.js';

/** Mints pilot `pilot`'s token for `lifetimeSeconds` and stores it in `dir`; remembers its times. */
export async function storeFreshToken(
  minter: TokenMinter | undefined,
  token: TokenView | undefined,
  session: SiteSession,
  m: PlaceMemory,
  place: { dir: string; pilot: string; lifetimeSeconds: number },
): Promise<void> {
  if (token?.kind !== 'ok' || token.mode !== 'minted')
    throw new Error('no pool signing key to mint a pilot token with');
  if (!minter) throw new Error('the operator has no token minter (condor_token_create)');
  const minted = await minter.mint({
    signingKey: token.signing.key,
    keyName: token.signing.keyName,
    trustDomain: token.trustDomain,
    identity: token.signing.identity,
    authz: PILOT_TOKEN_AUTHZ,
    lifetimeSeconds: place.lifetimeSeconds,
  });
  await session.storePilotToken(place.dir, place.pilot, minted);
  m.pilotTokens?.set(place.pilot, storedTokenOf(minted.split('.')[1] ?? ''));
}

/** After retainTokens: only the kept pilots' tokens are left at the place. */
export function forgetTokensBut(m: PlaceMemory, keep: readonly string[]): void {
  if (!m.pilotTokens) return;
  const kept = new Set(keep);
  for (const pilot of [...m.pilotTokens.keys()]) if (!kept.has(pilot)) m.pilotTokens.delete(pilot);
}
