/**
 * Gathers what one pass of the VirtualCluster controller looks at, through the ports only: the pool token
 * (Secrets), per place the credentials Secret and the batch jobs with the place's pilot prefix (a SiteSession
 * per place), the pool's pilot slots (CollectorApi), and the caller's HPCJob demand. Reading never changes a
 * site; the only memory it writes is that a site refused a login (so that it is not tried again at once).
 * What is gathered depends on the mode: nothing for an invalid or terminated VirtualCluster, the places to
 * clean when it ends, everything while it lives.
 */
import type { Logger } from 'pino';
import type { CollectorApi } from '../../condor/schedd-api.js';
import { adNumber, adString } from '../../condor/parse.js';
import type { SitePlace, VirtualCluster } from '../../crds/virtualcluster.js';
import { errorMessage, SecretAccessError, type Secrets } from '../../runtime/kube-api.js';
import type { MaintenanceWindow } from '../../sites/maintenance.js';
import type { SiteSession } from '../../sites/session.js';
import { SshError } from '../../sites/ssh.js';
import { PILOT_TOKEN_KEY } from '../../crds/virtualcluster-pool.js';
import { credentialsFrom } from './credentials.js';
import { NO_DEMAND, type Demand } from './demand.js';
import type {
  CredentialExpiry,
  Mode,
  Observation,
  PilotGpus,
  PilotMemory,
  PilotSlots,
  PlaceView,
  TokenView,
} from './model.js';
import { placeKey, placesToClean, placesToWatch } from './places.js';
import { BUDGET_DEFAULT_PERIOD } from '../../crds/virtualcluster-budget.js';
import { periodStartMs } from './budget.js';
import { ACCOUNTING_READ_EVERY_MS, CredentialProblemReason, Maintenance } from './reasons.js';
import { type PlaceMemory, type SiteSessions } from './site-sessions.js';
import { preparedMark, readTokenSource, sharedTokenExpiry } from './token-source.js';
import type { StoredToken } from '../../sites/pilot-tokens.js';

export interface ObserverDeps {
  secrets: Secrets;
  sessions: SiteSessions;
  /** The collector of a pool (host[:port]). */
  collector: (pool: string) => CollectorApi;
  /** What the unfinished HPCJobs that name the VirtualCluster ask for (from the caller's HPCJob cache). */
  demand: (vc: VirtualCluster) => Demand;
}

/**
 * The attributes of a pilot slot the controller reads. A pilot's partitionable slot advertises all its GPUs
 * (TotalSlotGPUs) and those left for new jobs (GPUs); its dynamic slots hold the rest.
 */
const SLOT_ATTRIBUTES = ['HPCPilot', 'State', 'SlotType', 'TotalSlotGPUs', 'GPUs', 'HPCPilotEnd'] as const;

type SecretRead = { data: Record<string, string> | undefined } | { forbidden: string };

/** One pass's view of the world for `vc` in `mode`. */
export async function observe(
  d: ObserverDeps,
  vc: VirtualCluster,
  mode: Mode,
  now: number,
  memory: PilotMemory,
  log: Logger,
): Promise<Observation> {
  const empty: Observation = { places: new Map(), slots: noSlots(), demand: NO_DEMAND, memory };
  if (mode === 'invalid' || mode === 'terminated') return empty;
  const reader = secretReader(d.secrets, vc.metadata.namespace as string);
  let token: TokenView | undefined;
  if (mode === 'active') {
    token = await readTokenSource(vc, d.secrets);
    if (token.kind !== 'ok') return { ...empty, token };
  }
  const places = new Map<string, PlaceView>();
  const vcKey = `${vc.metadata.namespace}/${vc.metadata.name}`;
  for (const place of mode === 'active' ? placesToWatch(vc) : placesToClean(vc)) {
    const budgetSince = mode === 'active' ? budgetPeriodStart(vc, place.allocation, now) : undefined;
    places.set(placeKey(place), await observePlace(d, vcKey, place, reader, now, token, budgetSince));
  }
  if (mode === 'deleting') return { ...empty, places };
  const credentialExpiries = await expiriesOf(vc, reader, token);
  const credentialExpiresAt = credentialExpiries[0]?.expiresAt;
  if (mode === 'expired') return { ...empty, places, credentialExpiresAt, credentialExpiries };
  return {
    token,
    places,
    slots: await readSlots(d, vc, log),
    credentialExpiresAt,
    credentialExpiries,
    demand: d.demand(vc),
    memory,
  };
}

function noSlots(): PilotSlots {
  return { joined: new Set(), busy: new Set(), gpus: new Map(), ends: new Map() };
}

/** Reads each Secret once per pass (several places may share one). */
function secretReader(secrets: Secrets, namespace: string): (name: string) => Promise<SecretRead> {
  const cache = new Map<string, Promise<SecretRead>>();
  return (name) => {
    let r = cache.get(name);
    if (!r) {
      r = secrets.readAll(namespace, name).then(
        (data) => ({ data }),
        (e: unknown) => {
          if (e instanceof SecretAccessError) return { forbidden: e.message };
          throw e;
        },
      );
      cache.set(name, r);
    }
    return r;
  };
}

async function observePlace(
  d: ObserverDeps,
  vcKey: string,
  place: SitePlace,
  read: (name: string) => Promise<SecretRead>,
  now: number,
  token: TokenView | undefined,
  budgetSince: number | undefined,
): Promise<PlaceView> {
  const secret = await read(place.secretName);
  if ('forbidden' in secret)
    return {
      kind: 'credentials',
      reason: CredentialProblemReason.SecretForbidden,
      message: secret.forbidden,
    };
  const ref = {
    name: place.allocation,
    credentials: { secretName: place.secretName, hostKey: place.hostKey },
  };
  const creds = credentialsFrom(ref, secret.data);
  if ('reason' in creds) return { kind: 'credentials', reason: creds.reason, message: creds.message };
  const login = {
    host: place.loginHost,
    port: place.port,
    user: place.user,
    privateKey: creds.privateKey,
    hostKeys: creds.hostKeys,
  };
  const key = placeKey(place);
  const refused = d.sessions.refusal(vcKey, key, login, now);
  if (refused)
    return { kind: 'credentials', reason: refused.reason, message: refusedMessage(refused.message) };
  const session = d.sessions.open(vcKey, key, login, place.batchSystem);
  try {
    const jobs = (await session.listJobs()).filter((j) => j.name.startsWith(place.pilotPrefix));
    const m = d.sessions.place(vcKey, key);
    const windows = await readMaintenance(session, m, now);
    const usage = budgetSince === undefined ? undefined : await readUsage(session, m, now, budgetSince);
    const pilotTokens = await readPilotTokens(session, m, place.directory, token);
    return {
      kind: 'listed',
      jobs,
      ...(windows ? { windows } : {}),
      ...(usage?.records ? { usage: usage.records } : {}),
      ...(usage?.error ? { usageError: usage.error } : {}),
      tokenPrepared: preparedMark(token) !== undefined && m.preparedTokenHash === preparedMark(token),
      bundleReady: m.bundleReady,
      tokenRemoved: m.tokenRemoved,
      ...(pilotTokens ? { pilotTokens } : {}),
      ...(m.lastError ? { lastError: m.lastError } : {}),
    };
  } catch (e) {
    return siteFailure(d.sessions, vcKey, key, e, now);
  }
}

/**
 * The minted pilot tokens stored at the place: read from the site once per session (after a restart or a new
 * login), then known from what the executor stores and removes. A failed read leaves them unknown this pass.
 */
async function readPilotTokens(
  session: SiteSession,
  m: PlaceMemory,
  dir: string,
  token: TokenView | undefined,
): Promise<ReadonlyMap<string, StoredToken> | undefined> {
  if (token?.kind !== 'ok' || token.mode !== 'minted') return undefined;
  if (!m.pilotTokens) {
    try {
      m.pilotTokens = await session.listPilotTokens(dir);
    } catch (e) {
      if (e instanceof SshError && e.kind !== 'failed') throw e;
      return undefined;
    }
  }
  return new Map(m.pilotTokens);
}

/**
 * The site's maintenance windows, read again every few minutes. A site whose tool fails (not installed, not
 * allowed) keeps what was read before and is not blocked by it: the batch system itself never starts a job
 * into its own maintenance, so the windows only make pilots shorter and say why they wait.
 */
async function readMaintenance(
  session: SiteSession,
  m: PlaceMemory,
  now: number,
): Promise<readonly MaintenanceWindow[] | undefined> {
  if (!m.maintenance || now - m.maintenance.readAt >= Maintenance.readEveryMs) {
    try {
      m.maintenance = { readAt: now, windows: await session.listMaintenance(now) };
    } catch (e) {
      m.maintenance = { readAt: now, windows: m.maintenance?.windows, error: errorMessage(e) };
      if (e instanceof SshError && e.kind !== 'failed') throw e;
    }
  }
  return m.maintenance.windows?.filter((w) => w.endMs > now);
}

/** Where the budget period of allocation `name` began, if it has a budget. */
function budgetPeriodStart(vc: VirtualCluster, name: string, now: number): number | undefined {
  const budget = vc.spec.allocations?.find((a) => a.name === name)?.budget;
  return budget ? periodStartMs(budget.period ?? BUDGET_DEFAULT_PERIOD, now) : undefined;
}

/**
 * The batch accounting of this budget period, read again every minute (and at once when a period begins). A
 * failure keeps the records read before and says why; the transition sends no pilot while none were read.
 */
async function readUsage(
  session: SiteSession,
  m: PlaceMemory,
  now: number,
  sinceMs: number,
): Promise<PlaceMemory['usage']> {
  const u = m.usage;
  if (u && u.sinceMs === sinceMs && now - u.readAt < ACCOUNTING_READ_EVERY_MS) return u;
  try {
    m.usage = { readAt: now, sinceMs, records: await session.readUsage(sinceMs) };
  } catch (e) {
    m.usage = {
      readAt: now,
      sinceMs,
      records: u?.sinceMs === sinceMs ? u.records : undefined,
      error: errorMessage(e),
    };
    if (e instanceof SshError && e.kind !== 'failed') throw e;
  }
  return m.usage;
}

/** Sites penalise failed logins: a refused login waits for new credentials (or refusedRetryMs). */
function refusedMessage(message: string): string {
  return `${message} (not retried until the credentials change, or after a while: 5 min, doubling up to 1 h)`;
}

/** A failure talking to a site: refused credentials are remembered; anything else is "try again". */
export function siteFailure(
  sessions: SiteSessions,
  vcKey: string,
  placeKey: string,
  e: unknown,
  now: number,
): Extract<PlaceView, { kind: 'credentials' | 'unreachable' }> {
  if (e instanceof SshError && (e.kind === 'auth' || e.kind === 'host-key')) {
    const reason =
      e.kind === 'auth'
        ? CredentialProblemReason.AuthenticationFailed
        : CredentialProblemReason.HostKeyMismatch;
    sessions.refuse(vcKey, placeKey, reason, e.message, now);
    return { kind: 'credentials', reason, message: refusedMessage(e.message) };
  }
  sessions.disconnect(vcKey, placeKey);
  return { kind: 'unreachable', message: errorMessage(e) };
}

/** One collector query for the VirtualCluster: which pilots joined, which have a busy slot, their GPUs. */
async function readSlots(d: ObserverDeps, vc: VirtualCluster, log: Logger): Promise<PilotSlots> {
  const joined = new Set<string>();
  const busy = new Set<string>();
  const gpus = new Map<string, PilotGpus>();
  const ends = new Map<string, number>();
  try {
    const ads = await d
      .collector(vc.spec.pool.collectorHost)
      .pilotSlots(`${vc.metadata.namespace}/${vc.metadata.name}`, SLOT_ATTRIBUTES);
    for (const ad of ads) {
      const pilot = adString(ad, 'HPCPilot');
      if (!pilot) continue;
      joined.add(pilot);
      if (adString(ad, 'State') === 'Claimed' || adString(ad, 'SlotType') === 'Dynamic') busy.add(pilot);
      const end = adNumber(ad, 'HPCPilotEnd');
      if (end !== undefined) ends.set(pilot, Math.min(end, ends.get(pilot) ?? end));
      const total = adString(ad, 'SlotType') === 'Partitionable' ? (adNumber(ad, 'TotalSlotGPUs') ?? 0) : 0;
      // Summed: a pilot spanning several nodes has a partitionable slot on each.
      const seen = gpus.get(pilot) ?? { total: 0, idle: 0 };
      const idle = Math.min(total, adNumber(ad, 'GPUs') ?? 0);
      if (total > 0) gpus.set(pilot, { total: seen.total + total, idle: seen.idle + idle });
    }
  } catch (e) {
    // Without the collector the counts of joined and busy pilots are 0 this pass; pilots are still managed.
    log.warn({ err: errorMessage(e) }, 'could not read pilot slots from the collector');
  }
  return { joined, busy, gpus, ends };
}

/**
 * Each proxy or token in the current allocations' Secrets, and the shared pool token (no pilot joins after
 * it), with its expiry, earliest first. Minted per-pilot tokens are not here: the operator renews them.
 */
async function expiriesOf(
  vc: VirtualCluster,
  read: (name: string) => Promise<SecretRead>,
  token: TokenView | undefined,
): Promise<CredentialExpiry[]> {
  const out: CredentialExpiry[] = [];
  for (const a of vc.spec.allocations ?? []) {
    const r = await read(a.credentials.secretName);
    // A Secret the operator may not read is reported by the place's check; no expiry to tell here.
    if ('forbidden' in r) continue;
    const creds = credentialsFrom(a, r.data);
    if ('reason' in creds) continue;
    for (const e of creds.expiries)
      out.push({
        secretName: a.credentials.secretName,
        key: e.key,
        allocation: a.name,
        expiresAt: e.at.getTime(),
      });
  }
  const shared = sharedTokenExpiry(token);
  const ref = vc.spec.pool.pilotTokenSecretRef;
  if (shared !== undefined && ref)
    out.push({ secretName: ref.name, key: ref.key ?? PILOT_TOKEN_KEY, expiresAt: shared });
  return out.sort((x, y) => x.expiresAt - y.expiresAt);
}
