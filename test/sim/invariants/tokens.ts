/**
 * The per-pilot token invariants (spec.pool.pilotTokens), read from the site models' files:
 *
 * - `cleanup` (leftovers): once a VirtualCluster's finalizer is gone, no token signed with its signing key is
 *   left in any `tokens/<pilot>/token` on any site (checked when the finalizer goes, and again at the end).
 * - `pilot-token-valid`: a pilot with a token of its own starts only with that token in place, valid for at
 *   least its walltime (`#SBATCH --time=`). The operator renews a queued pilot's token once it has less than
 *   the longest walltime plus half the margin left, so it has at least half the margin M to do it before the
 *   token is too short. It cannot while it is down or not leading or something it needs is unhealthy, so a
 *   short token counts only when the operator had M/2 of healthy time after the renewal was due (counted
 *   from the later of the due time and the end of the last trouble, see troubleEndedAt; a refused login
 *   counts as trouble for as long as the operator deliberately stays away after it, refusedRetryMs). Pilots of a
 *   VirtualCluster being deleted are left out (they are being cancelled; nothing renews their tokens).
 * - `pilot-token-removed`: a token whose pilot is neither queued nor running (it ended, or was never
 *   submitted) leaves the site within TOKEN_REMOVAL_BOUND_MS of the latest of: the pilot's end, the token's
 *   last write, the end of the last trouble (leader change, a fault). The bound is FRESH_TOKEN_MS (a token
 *   that young is kept in case the batch system does not list its pilot yet) plus two steady polls (the
 *   next pass comes within one; one more for the pass itself and a status write). Crashes and partitions
 *   only move the start of the count: the new leader lists the place's tokens once per session and
 *   removes the same ones.
 */
import { MIN_TOKEN_MARGIN_SECONDS, POOL_DEFAULTS } from '../../../src/crds/virtualcluster-pool.js';
import type { VirtualCluster } from '../../../src/crds/virtualcluster.js';
import { FRESH_TOKEN_MS } from '../../../src/controllers/virtualcluster/transition-tokens.js';
import { durationMs } from '../../../src/util/units.js';
import { refusedRetryMs } from '../../../src/controllers/virtualcluster/site-sessions.js';
import { expiryOf, signedBy } from '../minter.js';
import type { Pilot } from '../site/site-model.js';
import type { CheckContext, Report } from './context.js';

const TOKEN_FILE = /\/tokens\/([^/]+)\/token$/;

/** How long a token whose pilot ended may stay on a healthy site (ms); see the module comment. */
export function tokenRemovalBoundMs(steadyPollMs: number): number {
  return FRESH_TOKEN_MS + 2 * steadyPollMs;
}

/** Tokens minted for `vc` (namespace/name) still on some site. */
function leftovers(ctx: CheckContext, vc: string): string[] {
  const key = ctx.signingKeys.get(vc);
  if (key === undefined) return [];
  const found: string[] = [];
  for (const [host, site] of ctx.sites)
    for (const [path, content] of site.files)
      if (TOKEN_FILE.test(path) && signedBy(content, key)) found.push(`${host}:${path}`);
  return found;
}

/** Invariant (a): called when `vc`'s finalizer is removed, and for every VirtualCluster at the end. */
export function checkTokensLeft(ctx: CheckContext, report: Report, vc: string): void {
  const left = leftovers(ctx, vc);
  if (left.length)
    report('cleanup', `a token minted for a pilot of deleted virtualcluster ${vc} is still at ${left[0]}`);
}

/**
 * When anything a VirtualCluster pass needs to act on tokens was last unhealthy (a fault still on: now): the
 * API server (the Secret, the status written before the effects), the site, condor_token_create. Schedds and
 * collectors are left out on purpose: renewing or removing a token needs neither.
 */
export function troubleEndedAt(ctx: CheckContext, host: string): number {
  const now = ctx.now();
  const f = ctx.api.faults;
  const site = ctx.sites.get(host);
  const untils = [
    f.outage?.until ?? 0,
    f.slowUntil,
    f.failWritesUntil,
    site?.refusedUntil ?? 0,
    site?.hangUntil ?? 0,
    site?.authFailsUntil ?? 0,
    site?.batchFailsUntil ?? 0,
    // A refused login is not tried again for a while (site-sessions.ts); as long as the most refusals
    // any replica can have counted.
    site?.refusals ? site.lastRefusalAt + refusedRetryMs(site.refusals) : 0,
    ctx.minter.failsUntil,
  ];
  return Math.min(now, Math.max(0, ...untils));
}

/** spec.pool.pilotTokens.margin as the operator uses it (ms). */
function marginMs(vc: VirtualCluster): number {
  const m = durationMs(vc.spec.pool.pilotTokens?.margin ?? POOL_DEFAULTS.margin);
  return Math.max(MIN_TOKEN_MARGIN_SECONDS * 1000, Math.ceil(m / 1000) * 1000);
}

/** Invariant (b), when a pilot with a token of its own starts. `leaderSince`: the current leader's start. */
export function checkPilotStart(
  ctx: CheckContext,
  report: Report,
  host: string,
  p: Pilot,
  token: string | undefined,
  leaderSince: number,
): void {
  const [ns, name] = (p.virtualCluster ?? '').split('/');
  const vc = ctx.api.store.get('virtualclusters', ns ?? '', name ?? '') as VirtualCluster | undefined;
  if (!vc || vc.metadata.deletionTimestamp) return;
  ctx.count('pilots started with a token of their own');
  const now = ctx.now();
  if (token === undefined)
    return report(
      'pilot-token-valid',
      `pilot ${p.id} (${p.name}) started on ${host} without a token of its own`,
    );
  const walltime = p.walltimeMs ?? 0;
  const exp = expiryOf(token);
  if (exp >= now + walltime) return;
  const half = marginMs(vc) / 2;
  const due = exp - walltime - half;
  const healthy = Math.max(due, troubleEndedAt(ctx, host), leaderSince);
  if (now - healthy <= half) return ctx.count('pilots started with a short token (excused: trouble)');
  report(
    'pilot-token-valid',
    `pilot ${p.id} (${p.name}) started on ${host} with a token that expires in ${Math.round((exp - now) / 1000)} s, less than its walltime ${walltime / 1000} s; renewal was due ${Math.round((now - due) / 1000)} s before and everything was healthy for the last ${Math.round((now - healthy) / 1000)} s`,
  );
}

/** Invariant (c), every few seconds: tokens of pilots that are gone leave the site within the bound. */
export function checkTokensRemoved(
  ctx: CheckContext,
  report: Report,
  boundMs: number,
  leaderSince: number,
): void {
  const now = ctx.now();
  for (const [host, site] of ctx.sites) {
    let byName: Map<string, Pilot> | undefined;
    for (const path of site.files.keys()) {
      const pilot = TOKEN_FILE.exec(path)?.[1];
      if (pilot === undefined) continue;
      byName ??= new Map([...site.pilots.values()].map((p) => [p.name, p]));
      const p = byName.get(pilot);
      if (p && (p.state === 'queued' || p.state === 'running')) continue;
      const since = Math.max(
        p?.endedAt ?? 0,
        site.tokenWrittenAt.get(path) ?? 0,
        troubleEndedAt(ctx, host),
        leaderSince,
      );
      if (now - since > boundMs)
        report(
          'pilot-token-removed',
          `the token of pilot ${pilot} (${p ? `${p.state} since ${Math.round((now - (p.endedAt ?? now)) / 1000)} s` : 'never submitted'}) is still on ${host} at ${path} ${Math.round((now - since) / 1000)} s after its pilot was gone and the site healthy (bound ${boundMs / 1000} s)`,
        );
    }
  }
}
