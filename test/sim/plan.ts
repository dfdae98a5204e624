/**
 * A schedule, as data: the world (tenants, schedds, VirtualClusters and their sites), what the user does and
 * when, which faults strike and when, how many replicas run and how often they may crash. drawPlan makes one
 * from a seed; named scenarios (scenarios.ts) write theirs by hand. Small on purpose: a few HPCJobs, one or
 * two schedds, a few faults, one or two replicas, so that ten thousand run in minutes.
 */
import { Prng } from './prng.js';
import { drawSets, type SetAction, type SetPlan } from './sets/plan.js';

export type Staging = 'chirp' | 'condor-transfer';

export interface JobPlan {
  at: number;
  ns: string;
  name: string;
  staging: Staging;
  /** name of a VirtualCluster in the same namespace. */
  vc?: string;
  retryLimit: number;
}

export interface VcPlan {
  at: number;
  ns: string;
  name: string;
  /** The site's login host (one site per VirtualCluster). */
  host: string;
  collectorHost: string;
  scheddName?: string;
  workers: number;
  /** spec.pool.pilotTokens with this margin (a token minted per pilot); unset: the shared pool token. */
  pilotTokens?: { margin: string };
}

export type UserActionKind = 'delete' | 'retry' | 'cancel' | 'suspend' | 'unsuspend' | 'delete-vc';

export interface UserAction {
  at: number;
  kind: UserActionKind;
  ns: string;
  name: string;
}

export type FaultKind =
  | 'api-outage-hang'
  | 'api-outage-fail'
  | 'api-slow'
  | 'api-fail-writes'
  | 'watch-drop'
  | 'compact'
  | 'schedd-down'
  | 'submit-timeouts'
  | 'spool-wipe'
  | 'history-rotate'
  | 'person-hold'
  | 'person-release'
  | 'person-remove'
  | 'person-forcex'
  | 'transfer-fails'
  | 'collector-down'
  | 'collector-blackhole'
  | 'site-refused'
  | 'site-hang'
  | 'site-auth'
  | 'site-batch'
  /** An admin reserves the site for maintenance: a window of `ms`, starting up to 90 minutes later. */
  | 'site-maintenance'
  | 'graceful-restart'
  /** The operator's condor_token_create fails (spec.pool.pilotTokens cannot mint). */
  | 'mint-fails';

export interface Fault {
  at: number;
  kind: FaultKind;
  /** How long it lasts (windows). */
  ms: number;
  /** A schedd name, collector host or site host, when the fault has one. */
  target?: string;
  /**
   * For faults that strike each call with a probability: submit-timeouts, transfer-fails (default 0.7) and
   * site-batch (default 1: every batch command fails).
   */
  rate?: number;
  /** site-maintenance: how long after the reservation the window starts (default: drawn, up to 90 min). */
  leadMs?: number;
}

export interface Plan {
  seed: number;
  tenants: string[];
  schedds: string[];
  historyMax: number;
  eventWindow: number;
  replicas: number;
  /** Crashes the whole schedule may have (each replica draws one crash point while any are left). */
  crashBudget: number;
  vcs: VcPlan[];
  jobs: JobPlan[];
  actions: UserAction[];
  /** HPCJobSets (half the drawn worlds have some) and the user's actions on them. */
  sets?: SetPlan[];
  setActions?: SetAction[];
  faults: Fault[];
  /** Faults and user actions happen before this; then everything heals. */
  chaosMs: number;
  /** Longest time after healing for every HPCJob to reach a final phase. */
  healMaxMs: number;
  /** Longest time for everything to be gone after the user deleted it all. */
  cleanupMaxMs: number;
  /** Named scenarios: the port event each replica (in start order) crashes at, instead of drawing one. */
  crashAt?: (number | undefined)[];
  /** Named scenarios: when (ms after the start) each replica, in start order, crashes at its next port call. */
  crashAfterMs?: (number | undefined)[];
  /** Named scenarios: every job ends this way (no holds), instead of a drawn outcome. */
  jobOutcome?: 'ok' | 'exit';
  /** Named scenarios: every job runs this long once started. */
  jobRunMs?: number;
  /** Named scenarios: every pilot runs this long once started (unless cancelled), instead of a drawn time. */
  pilotRunMs?: number;
  /** The operator spreads HPCJobs without a VirtualCluster over these schedds (--schedd-names), by `spread`. */
  defaultSchedds?: string[];
  spread?: 'LeastQueued' | 'Namespace';
}

export const MINUTE = 60_000;
export const LOCAL_SCHEDD = 'local';
export const SECOND_SCHEDD = 'ap2@sim.example.org';

/** mint-fails is drawn with the token modes (drawTokenModes), from a stream of its own. */
const FAULT_WEIGHTS: Record<Exclude<FaultKind, 'mint-fails'>, number> = {
  'api-outage-hang': 4,
  'api-outage-fail': 4,
  'api-slow': 3,
  'api-fail-writes': 4,
  'watch-drop': 4,
  compact: 3,
  'schedd-down': 5,
  'submit-timeouts': 6,
  'spool-wipe': 1,
  'history-rotate': 3,
  'person-hold': 4,
  'person-release': 2,
  'person-remove': 3,
  'person-forcex': 2,
  'transfer-fails': 4,
  'collector-down': 2,
  'collector-blackhole': 3,
  'site-refused': 2,
  'site-hang': 2,
  'site-auth': 1,
  'site-batch': 2,
  'site-maintenance': 2,
  'graceful-restart': 3,
};

export interface DrawOptions {
  /** Every VirtualCluster mints per-pilot tokens, and condor_token_create fails more often (run.ts --minted). */
  minted?: boolean;
}

export function drawPlan(seed: number, prng: Prng, o: DrawOptions = {}): Plan {
  const chaosMs = prng.int(3, 8) * MINUTE;
  const tenants = ['t1', 't2', 't3'].slice(0, prng.int(2, 3));
  const schedds = prng.chance(0.4) ? [LOCAL_SCHEDD, SECOND_SCHEDD] : [LOCAL_SCHEDD];
  const drawn = drawVcs(prng, tenants, schedds, chaosMs);
  const jobs = drawJobs(prng, tenants, drawn, chaosMs);
  const { vcs, mintFaults } = drawTokenModes(
    new Prng(seed ^ TOKEN_STREAM),
    drawn,
    chaosMs,
    o.minted ? { share: 1, mintFaults: 0.6 } : { share: 0.5, mintFaults: 0.35 },
  );
  const { sets, actions: setActions } = drawSets(seed, tenants, chaosMs);
  return {
    ...drawSpread(new Prng(seed ^ SPREAD_STREAM), schedds),
    sets,
    setActions,
    seed,
    tenants,
    schedds,
    historyMax: prng.pick([2, 5, 100]),
    eventWindow: prng.pick([3, 10, 50, 1000]),
    replicas: prng.chance(0.5) ? 2 : 1,
    crashBudget: prng.int(0, 3),
    vcs,
    jobs,
    actions: drawActions(prng, jobs, vcs, chaosMs),
    faults: [...drawFaults(prng, schedds, vcs, chaosMs), ...mintFaults].sort((a, b) => a.at - b.at),
    chaosMs,
    healMaxMs: 180 * MINUTE,
    cleanupMaxMs: 30 * MINUTE,
  };
}

/** The plan without VirtualClusters (for an operator that has no VirtualCluster controller yet). */
export function withoutVirtualClusters(p: Plan): Plan {
  const hosts = new Set(p.vcs.map((v) => v.host));
  const pools = new Set(p.vcs.map((v) => v.collectorHost));
  return {
    ...p,
    vcs: [],
    jobs: p.jobs.map((j) => ({ ...j, vc: undefined })),
    actions: p.actions.filter((a) => a.kind !== 'delete-vc'),
    faults: p.faults.filter(
      (f) => f.kind !== 'mint-fails' && !hosts.has(f.target ?? '') && !pools.has(f.target ?? ''),
    ),
  };
}

function drawVcs(prng: Prng, tenants: string[], schedds: string[], chaosMs: number): VcPlan[] {
  return Array.from({ length: prng.chance(0.15) ? 2 : prng.int(0, 1) }, (_, i) => ({
    at: prng.int(0, chaosMs / 4),
    ns: prng.pick(tenants),
    name: `vc-${i}`,
    host: `login${i}.site${i}.example.org`,
    collectorHost: `cm${i}.pool.example.org:9618`,
    scheddName: schedds.length > 1 && prng.chance(0.5) ? SECOND_SCHEDD : undefined,
    workers: prng.int(1, 2),
  }));
}

/** The token modes come from a stream of their own: every other draw of a seed stays what it was. */
const TOKEN_STREAM = 0x70c3;
const SPREAD_STREAM = 0x5b2e;

/**
 * Half the worlds with two schedds give the operator both as its default pool (--schedd-names), by either
 * policy: drawn from a stream of their own, so that every other draw of a seed stays as it was.
 */
function drawSpread(prng: Prng, schedds: string[]): Pick<Plan, 'defaultSchedds' | 'spread'> {
  if (schedds.length < 2 || !prng.chance(0.5)) return {};
  return { defaultSchedds: schedds, spread: prng.chance(0.5) ? 'Namespace' : 'LeastQueued' };
}

/**
 * A share of the VirtualClusters (half, by default) mint a token per pilot (spec.pool.pilotTokens), with a
 * margin short enough that queued pilots' tokens are renewed (pilots wait up to two minutes in the model's
 * queue); some schedules with one (a third, by default) have condor_token_create failing for a while.
 */
export function drawTokenModes(
  prng: Prng,
  vcs: VcPlan[],
  chaosMs: number,
  odds: { share: number; mintFaults: number },
): { vcs: VcPlan[]; mintFaults: Fault[] } {
  const out = vcs.map((v) =>
    prng.chance(odds.share) ? { ...v, pilotTokens: { margin: prng.pick(['1m', '90s', '2m', '10m']) } } : v,
  );
  const mintFaults: Fault[] = [];
  if (out.some((v) => v.pilotTokens) && prng.chance(odds.mintFaults)) {
    const at = prng.int(0, chaosMs - MINUTE);
    mintFaults.push({ at, kind: 'mint-fails', ms: prng.latency(5_000, Math.min(5 * MINUTE, chaosMs - at)) });
  }
  return { vcs: out, mintFaults };
}

function drawJobs(prng: Prng, tenants: string[], vcs: VcPlan[], chaosMs: number): JobPlan[] {
  return Array.from({ length: prng.int(2, 4) }, (_, i) => {
    const ns = prng.pick(tenants);
    const mine = vcs.filter((v) => v.ns === ns);
    return {
      at: prng.int(0, chaosMs / 2),
      ns,
      name: `job-${i}`,
      staging: prng.chance(0.4) ? 'condor-transfer' : 'chirp',
      vc: mine.length && prng.chance(0.5) ? prng.pick(mine).name : undefined,
      retryLimit: prng.int(0, 2),
    };
  });
}

function drawActions(prng: Prng, jobs: JobPlan[], vcs: VcPlan[], chaosMs: number): UserAction[] {
  const actions: UserAction[] = [];
  for (const j of jobs) {
    const at = () => prng.int(j.at + 1_000, chaosMs);
    const kind = prng.weighted({ none: 50, delete: 15, retry: 12, cancel: 8, suspend: 15 });
    if (kind === 'none') continue;
    if (kind === 'suspend') {
      const from = at();
      actions.push(
        { at: from, kind, ns: j.ns, name: j.name },
        { at: prng.int(from, chaosMs), kind: 'unsuspend', ns: j.ns, name: j.name },
      );
    } else actions.push({ at: at(), kind, ns: j.ns, name: j.name });
  }
  for (const v of vcs)
    if (prng.chance(0.25))
      actions.push({ at: prng.int(v.at + 1_000, chaosMs), kind: 'delete-vc', ns: v.ns, name: v.name });
  return actions.sort((a, b) => a.at - b.at);
}

function drawFaults(prng: Prng, schedds: string[], vcs: VcPlan[], chaosMs: number): Fault[] {
  const faults: Fault[] = [];
  for (let n = prng.int(0, 6); n > 0; n--) {
    const kind = prng.weighted(FAULT_WEIGHTS);
    const at = prng.int(0, chaosMs - MINUTE);
    const ms = prng.latency(5_000, Math.min(10 * MINUTE, chaosMs - at));
    let target: string | undefined;
    if (kind.startsWith('site-')) {
      if (!vcs.length) continue;
      target = prng.pick(vcs).host;
    } else if (kind.startsWith('collector-'))
      target = vcs.length && prng.chance(0.7) ? prng.pick(vcs).collectorHost : undefined;
    else if (
      ['schedd-down', 'submit-timeouts', 'spool-wipe', 'history-rotate', 'transfer-fails'].includes(kind) ||
      kind.startsWith('person-')
    )
      target = prng.pick(schedds);
    faults.push({ at, kind, ms, target });
  }
  return faults.sort((a, b) => a.at - b.at);
}
