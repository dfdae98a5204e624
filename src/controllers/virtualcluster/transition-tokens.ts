/**
 * Per-pilot tokens at one place, pure (spec.pool.pilotTokens). A pilot's token is minted just before the pilot
 * is submitted, for its walltime plus the margin. While it waits in the queue the pilot could start at any
 * moment and then needs its whole walltime: a queued pilot whose token has less than the allocation's longest
 * walltime plus half the margin left gets a fresh one. A running pilot keeps the one it started with (it
 * covers its walltime). Once a pilot has ended its token is removed from the site; a copy someone took is
 * worthless at most a margin after the pilot's end.
 */
import type { Allocation, SitePlace, VirtualClusterStatus } from '../../crds/virtualcluster.js';
import { rfc3339 } from '../../runtime/conditions.js';
import type { StoredToken } from '../../sites/pilot-tokens.js';
import type { BatchJob } from '../../sites/batch.js';
import type { PlaceView, SiteEffect, TokenToIssue, TokenView } from './model.js';
import type { StatusDraft } from './status-draft.js';
import type { AllocationInput, AllocationPlan } from './transition-allocation.js';
import { active } from './places.js';
import { maxWalltimeSeconds } from './walltime.js';

/**
 * A token minted this recently is kept even if its pilot is not listed: the batch system may not list a job
 * in the moment after accepting it. Short, because it is also how long the token of a pilot that ended at
 * once (or was never submitted: the submission failed after the token was stored) stays on the site.
 */
export const FRESH_TOKEN_MS = 30_000;

export type PilotTokensStatus = NonNullable<VirtualClusterStatus['pilotTokens']>;

export interface TokenInput {
  a: Allocation;
  place: SitePlace;
  /** The tokens stored at the place, by pilot name. */
  stored: ReadonlyMap<string, StoredToken>;
  /** The place's batch jobs (its pilots). */
  jobs: readonly BatchJob[];
  marginSeconds: number;
  now: number;
}

export interface TokenPlan {
  /** retainTokens (ended pilots' tokens out), then issueTokens (queued pilots' renewed). */
  effects: SiteEffect[];
  /** When the next queued pilot's token is due for renewal (ms since the epoch). */
  renewAt?: number;
  /** The tokens left at the place after these effects, with their expiry. */
  kept: Map<string, StoredToken>;
}

/** How long a new token for a pilot of walltime `walltimeSeconds` lives (s). */
export function tokenLifetimeSeconds(walltimeSeconds: number, marginSeconds: number): number {
  return walltimeSeconds + marginSeconds;
}

/** What to do with the tokens stored at the place. */
export function planPilotTokens(i: TokenInput): TokenPlan {
  const stored = i.stored;
  const live = new Map(active(i.jobs).map((j) => [j.name, j.state]));
  const kept = new Map(
    [...stored].filter(([pilot, t]) => live.has(pilot) || t.issuedAt > i.now - FRESH_TOKEN_MS),
  );
  const effects: SiteEffect[] = [];
  if (kept.size < stored.size) effects.push({ kind: 'retainTokens', place: i.place, keep: [...kept.keys()] });
  const walltime = maxWalltimeSeconds(i.a);
  const needMs = (walltime + i.marginSeconds / 2) * 1000;
  const lifetimeSeconds = tokenLifetimeSeconds(walltime, i.marginSeconds);
  const issue: TokenToIssue[] = [];
  let renewAt: number | undefined;
  for (const [pilot, state] of live) {
    if (state !== 'queued') continue;
    const t = kept.get(pilot);
    if (t && t.expiresAt - i.now >= needMs) {
      renewAt = Math.min(renewAt ?? Infinity, t.expiresAt - needMs);
      continue;
    }
    issue.push({ pilot, lifetimeSeconds });
    kept.set(pilot, { issuedAt: i.now, expiresAt: i.now + lifetimeSeconds * 1000 });
  }
  if (issue.length > 0) effects.push({ kind: 'issueTokens', place: i.place, tokens: issue });
  return { effects, kept, ...(renewAt !== undefined ? { renewAt } : {}) };
}

/** The per-pilot tokens at the place; those not read from the site this session are left alone. */
export function planPlaceTokens(
  i: AllocationInput,
  v: Extract<PlaceView, { kind: 'listed' }>,
): TokenPlan | undefined {
  if (i.tokenMarginSeconds === undefined || !v.pilotTokens) return undefined;
  const { a, place, now } = i;
  return planPilotTokens({
    a,
    place,
    stored: v.pilotTokens,
    jobs: v.jobs,
    marginSeconds: i.tokenMarginSeconds,
    now,
  });
}

/** The tokens of the pilots about to be submitted, as they will be stored (for status.pilotTokens). */
export function keepNewTokens(
  tokens: TokenPlan,
  pilots: readonly { name: string; tokenLifetimeSeconds?: number }[],
  now: number,
): void {
  for (const p of pilots)
    if (p.tokenLifetimeSeconds !== undefined)
      tokens.kept.set(p.name, { issuedAt: now, expiresAt: now + p.tokenLifetimeSeconds * 1000 });
}

/** status.pilotTokens from every place's tokens (and the pilots submitted this pass), or undefined. */
export function pilotTokensStatus(
  identity: string,
  kept: readonly ReadonlyMap<string, StoredToken>[],
  known: boolean,
  prev: PilotTokensStatus | undefined,
  now: number,
): PilotTokensStatus | undefined {
  // Not read from any site yet (a restart, a site down): the last status stands.
  if (!known) return prev;
  const all = kept.flatMap((m) => [...m.values()]);
  // A removed token may have been copied: the latest expiry stays until it has passed.
  const before = prev?.latestExpiry ? Date.parse(prev.latestExpiry) : 0;
  const latest = Math.max(before > now ? before : 0, ...all.map((t) => t.expiresAt));
  const issued = Math.max(0, ...all.map((t) => t.issuedAt));
  const lastIssued = issued > 0 ? rfc3339(new Date(issued)) : prev?.lastIssued;
  return {
    identity,
    onSites: all.length,
    ...(latest > 0 ? { latestExpiry: rfc3339(new Date(latest)) } : {}),
    ...(lastIssued ? { lastIssued } : {}),
  };
}

/** status.pilotTokens, with minted tokens (the places not looked at this pass keep the last word). */
export function reportPilotTokens(
  d: StatusDraft,
  token: Extract<TokenView, { kind: 'ok' }>,
  plans: readonly AllocationPlan[],
  now: number,
): void {
  if (token.mode !== 'minted') {
    delete d.status.pilotTokens;
    return;
  }
  const known = plans.filter((p) => p.tokens !== undefined);
  const s = pilotTokensStatus(
    token.signing.identity,
    known.map((p) => (p.tokens as TokenPlan).kept),
    known.length === plans.length && plans.length > 0,
    d.status.pilotTokens,
    now,
  );
  if (s) d.status.pilotTokens = s;
}

/** The requeue delay: the usual one, or sooner when a queued pilot's token is due for renewal. */
export function tokenRenewalDue(plans: readonly AllocationPlan[], now: number, usualMs: number): number {
  const due = Math.min(...plans.map((p) => p.tokens?.renewAt ?? Infinity));
  return Number.isFinite(due) ? Math.max(1_000, Math.min(usualMs, due - now)) : usualMs;
}
