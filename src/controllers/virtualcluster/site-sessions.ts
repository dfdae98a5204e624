/**
 * The controller's memory of the sites, per VirtualCluster and place: the open session (one SSH connection,
 * reused while the login stays the same), whether the current token and bundle were stored through it,
 * whether the token was removed, what failed when the last pass acted there, and credentials the site
 * refused (not tried again for a while: sites penalise failed logins). In memory only: after a restart the
 * token is stored again and the cleanup steps are repeated, all of which are idempotent.
 */
import { createHash } from 'node:crypto';
import type { UsageRecord } from '../../sites/accounting.js';
import type { MaintenanceWindow } from '../../sites/maintenance.js';
import type { StoredToken } from '../../sites/pilot-tokens.js';
import type { SiteConnector, SiteLogin, SiteSession } from '../../sites/session.js';
import { REFUSED_RETRY_FIRST_MS, REFUSED_RETRY_MS } from './reasons.js';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** Identifies a pool token without keeping it. */
export function tokenHash(token: string): string {
  return sha256(token);
}

/** Identifies a login (address, key, host keys) without keeping it. */
export function loginHash(l: SiteLogin): string {
  return sha256(JSON.stringify([l.host, l.port, l.user, l.privateKey, l.hostKeys]));
}

export interface PlaceMemory {
  loginHash?: string;
  session?: SiteSession;
  preparedTokenHash?: string;
  bundleReady: boolean;
  tokenRemoved: boolean;
  /** Minted pilot tokens stored at the place (undefined: not read from the site in this session yet). */
  pilotTokens?: Map<string, StoredToken>;
  lastError?: string;
  /** The site's maintenance windows as last read, and when; `error` if that reading failed (then the ones before). */
  maintenance?: { readAt: number; windows?: MaintenanceWindow[]; error?: string };
  /** The batch accounting as last read (allocations with a budget), and from when. */
  usage?: { readAt: number; sinceMs: number; records?: UsageRecord[]; error?: string };
  refused?: { loginHash: string; at: number; reason: string; message: string; times: number };
}

export class SiteSessions {
  readonly #connector: SiteConnector;
  /** By VirtualCluster key, then place key. */
  readonly #places = new Map<string, Map<string, PlaceMemory>>();

  constructor(connector: SiteConnector) {
    this.#connector = connector;
  }

  /** The memory of a place (made empty on first use). */
  place(vcKey: string, placeKey: string): PlaceMemory {
    let byPlace = this.#places.get(vcKey);
    if (!byPlace) this.#places.set(vcKey, (byPlace = new Map()));
    let m = byPlace.get(placeKey);
    if (!m) byPlace.set(placeKey, (m = { bundleReady: false, tokenRemoved: false }));
    return m;
  }

  /** The place's memory if there is one (the executor acts only where the observer looked). */
  peek(vcKey: string, placeKey: string): PlaceMemory | undefined {
    return this.#places.get(vcKey)?.get(placeKey);
  }

  /**
   * The session for a place, reused while the login is the same. A new login (key, address, host keys)
   * closes the old session and forgets what was stored through it.
   */
  open(vcKey: string, placeKey: string, login: SiteLogin, batchSystem: string): SiteSession {
    const m = this.place(vcKey, placeKey);
    const hash = loginHash(login);
    if (m.loginHash !== hash) {
      m.session?.close();
      m.session = undefined;
      m.preparedTokenHash = undefined;
      m.bundleReady = false;
      m.pilotTokens = undefined;
      m.loginHash = hash;
    }
    m.session ??= this.#connector.open(login, batchSystem);
    return m.session;
  }

  /** Refused recently with this very login: the refusal, else undefined. */
  refusal(vcKey: string, placeKey: string, login: SiteLogin, now: number): PlaceMemory['refused'] {
    const r = this.peek(vcKey, placeKey)?.refused;
    if (!r || r.loginHash !== loginHash(login) || now - r.at >= refusedRetryMs(r.times)) return undefined;
    return r;
  }

  /** The site refused the login: the session goes, and the login is not tried again for a while. */
  refuse(vcKey: string, placeKey: string, reason: string, message: string, now: number): void {
    const m = this.place(vcKey, placeKey);
    const times = m.refused && m.refused.loginHash === m.loginHash ? m.refused.times + 1 : 1;
    if (m.loginHash) m.refused = { loginHash: m.loginHash, at: now, reason, message, times };
    this.disconnect(vcKey, placeKey);
    m.loginHash = undefined;
  }

  /** Drops the connection after a failure (the next pass connects again); what was stored there stays known. */
  disconnect(vcKey: string, placeKey: string): void {
    const m = this.peek(vcKey, placeKey);
    m?.session?.close();
    if (m) m.session = undefined;
  }

  /** Forgets the places of a VirtualCluster not in `keep`, closing their sessions. */
  retain(vcKey: string, keep: ReadonlySet<string>): void {
    const byPlace = this.#places.get(vcKey);
    if (!byPlace) return;
    for (const [key, m] of byPlace) {
      if (keep.has(key)) continue;
      m.session?.close();
      byPlace.delete(key);
    }
  }

  /** Forgets a VirtualCluster (deleted, or its finalizer removed). */
  forget(vcKey: string): void {
    this.retain(vcKey, new Set());
    this.#places.delete(vcKey);
  }

  /** Closes every session (shutdown). */
  closeAll(): void {
    for (const key of [...this.#places.keys()]) this.forget(key);
  }

  /** VirtualClusters with memory (for tests and leak checks). */
  get size(): number {
    return this.#places.size;
  }
}

/**
 * How long a refused login waits before it is tried again: 5 min after the first refusal, doubling up to an
 * hour. Sites penalise failed logins, but a refusal can be passing (an account being set up, a login node
 * restarting), and cleanup must not wait an hour for a site that lets us in again.
 */
export function refusedRetryMs(times: number): number {
  return Math.min(REFUSED_RETRY_MS, REFUSED_RETRY_FIRST_MS * 2 ** Math.max(0, times - 1));
}
