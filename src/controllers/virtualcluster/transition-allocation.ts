/**
 * One allocation of an active VirtualCluster (pure): from what its site listed and the pool's slots, its
 * counts and status entry, the pilot failure backoff, and what to do there (store the token, upload the
 * bundle, cancel the surplus, submit the missing pilots with their names and scripts).
 */
import {
  WORKER_DEFAULTS,
  type Allocation,
  type AllocationStatus,
  type GpuCounts,
  type SitePlace,
  type VirtualCluster,
} from '../../crds/virtualcluster.js';
import { rfc3339 } from '../../runtime/conditions.js';
import { hms, type BatchJob } from '../../sites/batch.js';
import { pilotTiming, type MaintenanceWindow, type PilotTiming } from '../../sites/maintenance.js';
import type { PlannedEvent } from '../../runtime/event-types.js';
import { errorMessage } from '../../runtime/kube-api.js';
import type {
  FailureMemory,
  PilotMemory,
  PilotSlots,
  PilotToSubmit,
  PlaceView,
  SiteEffect,
} from './model.js';
import { active, placeKey } from './places.js';
import { allocationWalltimeSeconds, pilotScriptFor } from './pilots.js';
import { allocationBudget, type BudgetOutcome } from './transition-budget.js';
import { maxPilots, planPilots, sequenceOf, type Counts, type PilotPlan } from './planning.js';
import { EventAction, EventReason, Maintenance, pilotFailureBackoffMs } from './reasons.js';
import { keepNewTokens, planPlaceTokens, tokenLifetimeSeconds, type TokenPlan } from './transition-tokens.js';

export interface AllocationInput {
  vc: VirtualCluster;
  a: Allocation;
  place: SitePlace;
  view: PlaceView | undefined;
  wanted: number;
  prev: AllocationStatus | undefined;
  memory: PilotMemory;
  slots: PilotSlots;
  now: number;
  trustDomain: string;
  /** Pilots below this number belong to places the allocation had before (status.sites cleanup). */
  sequenceFloor: number;
  /** Batch ids a retired place on the same batch system cancelled (ended pilots, not failures). */
  cancelledElsewhere: readonly string[];
  bundleSha256: string | undefined;
  pilotUpdateIntervalSeconds: number | undefined;
  gpuDiscoveryExtra: string | undefined;
  /** The operator's default schedd Name (--schedd-name), for pools whose VirtualCluster names none. */
  scheddName?: string;
  /** The walltime of new pilots (s): the allocation's, longer for the queued steps (walltime.ts). */
  pilotWalltimeSeconds: number;
  /** The least time a queued step needs a pilot for (s); 0: none queued, or one that needs no particular time. */
  shortestNeedSeconds: number;
  /** Minted per-pilot tokens (spec.pool.pilotTokens): how long they outlive a pilot's walltime (s). */
  tokenMarginSeconds?: number;
}

export type AllocationOutcome = 'ok' | 'credentials' | 'unreachable';

export interface AllocationPlan {
  outcome: AllocationOutcome;
  /** Counts taken this pass; undefined when the site could not be looked at (the last ones stand). */
  counts?: Counts;
  status: AllocationStatus;
  effects: SiteEffect[];
  /** Updated memory of this allocation and its place (undefined: unchanged). */
  failures?: FailureMemory;
  cancelled?: string[];
  /** The operator has put, or is about to put, something at the place: it must be recorded. */
  touched: boolean;
  /** A maintenance window that holds pilots back or makes them shorter (SiteMaintenance). */
  maintenance?: MaintenanceEffect;
  /** The site's maintenance windows were read (so "no window" can be said). */
  windowsKnown?: boolean;
  /** The allocation has a budget: whether it holds pilots back (BudgetExhausted). */
  budget?: Pick<BudgetOutcome, 'state' | 'message'>;
  /** Minted tokens at the place after this pass's effects (undefined: not known, or a shared token). */
  tokens?: TokenPlan;
}

export interface MaintenanceEffect {
  allocation: string;
  window: MaintenanceWindow;
  /** Waiting: no pilot until `untilMs`; shortened: pilots of `walltimeSeconds`. */
  kind: 'waiting' | 'shortened';
  untilMs?: number;
  walltimeSeconds?: number;
}

export const ZERO_COUNTS: Counts = { requested: 0, queued: 0, running: 0, idle: 0, busy: 0, error: 0 };

/** Counts from the status entry (missing ones are 0). */
export function countsOf(s: AllocationStatus | undefined): Counts {
  const c = { ...ZERO_COUNTS };
  for (const k of Object.keys(c) as (keyof Counts)[]) c[k] = s?.[k] ?? 0;
  return c;
}

/** A place that could not be listed: unknown counts are kept from the last good look, not invented. */
function unlisted(i: AllocationInput, v: Exclude<PlaceView, { kind: 'listed' }> | undefined): AllocationPlan {
  return {
    outcome: v?.kind ?? 'unreachable',
    status: { ...(i.prev ?? {}), name: i.a.name, message: v?.message ?? 'not checked yet' },
    effects: [],
    touched: false,
  };
}

export function planAllocation(i: AllocationInput): AllocationPlan {
  const v = i.view;
  if (v?.kind !== 'listed') return unlisted(i, v);
  const ids = new Set(v.jobs.map((j) => j.id));
  // Only ids still listed are worth remembering: the memory stays as small as the listing.
  // Ids a retired place cancelled are kept here too: its record (and memory) goes before the listing forgets them.
  const before = [...(i.memory.cancelled[placeKey(i.place)] ?? []), ...i.cancelledElsewhere];
  const ours = new Set(before.filter((id) => ids.has(id)));
  const failures = countFailures(i, v.jobs, ours, ids);
  const canSubmit = i.now >= failures.nextSubmitAt;
  const plan = planPilots(
    i.wanted,
    maxPilots(i.a),
    { jobs: v.jobs, busy: i.slots.busy, joined: i.slots.joined, cancelledByUs: ours, spent: spentPilots(i) },
    canSubmit,
  );
  const first = Math.max(
    i.prev?.nextSequence ?? 0,
    i.sequenceFloor,
    ...v.jobs.map((j) => sequenceOf(j.name, i.place.pilotPrefix) + 1),
  );
  // A pilot cancelled before and still listed is on its way out: counted, but not cancelled again.
  plan.cancel = plan.cancel.filter((id) => !ours.has(id));
  const { timing, budget } = applyLimits(i, v, plan);
  const acts = siteActions(i, v, plan, first, timing);
  acts.cancelled.forEach((id) => ours.add(id));
  const counts = { ...plan.counts, queued: plan.counts.queued + acts.submitted };
  const backoff =
    !canSubmit && plan.submit === 0 && active(v.jobs).length < i.wanted
      ? `${failures.count} pilot(s) failed recently; next submission after ${rfc3339(new Date(failures.nextSubmitAt))}`
      : undefined;
  // A failure of the last pass's actions (or one found now) is this allocation's problem until it acts cleanly.
  const held = budget && budget.state !== 'within' ? budget.message : undefined;
  const message = acts.problem ?? v.lastError ?? backoff ?? waitingNote(acts.maintenance) ?? held;
  const status = statusOf(i, v, {
    counts,
    next: first + acts.submitted,
    submitted: acts.submitted,
    message,
    budget,
  });
  return {
    outcome: acts.problem || v.lastError ? 'unreachable' : 'ok',
    counts,
    status,
    effects: acts.effects,
    failures,
    cancelled: [...ours],
    touched: acts.effects.length > 0 || v.jobs.length > 0 || (i.prev?.nextSequence ?? 0) > 0,
    ...(acts.maintenance ? { maintenance: acts.maintenance } : {}),
    windowsKnown: v.windows !== undefined,
    ...(budget ? { budget: { state: budget.state, message: budget.message } } : {}),
    ...(acts.tokens ? { tokens: acts.tokens } : {}),
  };
}

/**
 * What may cut the pilots to send: a maintenance window (shorter pilots, or none) and the budget (no more
 * than the rest of the period pays for). Cuts `plan.submit` to the budget's room.
 */
function applyLimits(
  i: AllocationInput,
  v: Extract<PlaceView, { kind: 'listed' }>,
  plan: PilotPlan,
): { timing: PilotTiming; budget?: BudgetOutcome } {
  const timing = maintenanceTiming(i, v);
  const budget = allocationBudget(i.a, v, {
    prefix: i.place.pilotPrefix,
    nowMs: i.now,
    walltimeSeconds: timing.kind === 'submit' ? timing.walltimeSeconds : i.pilotWalltimeSeconds,
    wantedMore: plan.submit,
  });
  if (budget) plan.submit = Math.min(plan.submit, budget.room);
  return { timing, budget };
}

/** The allocation's status entry after this pass. */
function statusOf(
  i: AllocationInput,
  v: Extract<PlaceView, { kind: 'listed' }>,
  x: { counts: Counts; next: number; submitted: number; message?: string; budget?: BudgetOutcome },
): AllocationStatus {
  const status: AllocationStatus = { name: i.a.name, ...x.counts, nextSequence: x.next };
  const gpus = gpuCounts(i, v.jobs);
  if (gpus) status.gpus = gpus;
  if (x.budget) status.budget = x.budget.status;
  const lastSubmitTime = x.submitted > 0 ? rfc3339(new Date(i.now)) : i.prev?.lastSubmitTime;
  if (lastSubmitTime) status.lastSubmitTime = lastSubmitTime;
  if (x.message) status.message = x.message;
  return status;
}

/**
 * Idle pilots whose advertised end (HPCPilotEnd) leaves less time than any queued step needs: no queued step
 * can start there any more (their START says so too).
 */
function spentPilots(i: AllocationInput): Set<string> {
  const spent = new Set<string>();
  if (i.shortestNeedSeconds === 0) return spent;
  for (const [name, end] of i.slots.ends)
    if (!i.slots.busy.has(name) && end - i.now / 1000 < i.shortestNeedSeconds) spent.add(name);
  return spent;
}

/** What the site's next maintenance window means for a pilot submitted now. */
function maintenanceTiming(i: AllocationInput, v: Extract<PlaceView, { kind: 'listed' }>): PilotTiming {
  const walltimeSeconds = i.pilotWalltimeSeconds;
  return pilotTiming(v.windows ?? [], {
    nowMs: i.now,
    walltimeSeconds,
    minimumSeconds: Math.min(walltimeSeconds, Maintenance.minimumPilotMs / 1000),
    marginSeconds: Maintenance.marginMs / 1000,
    queue: i.a.queue,
  });
}

function effectOf(a: Allocation, timing: PilotTiming): MaintenanceEffect | undefined {
  if (timing.kind === 'wait')
    return { allocation: a.name, window: timing.window, kind: 'waiting', untilMs: timing.untilMs };
  if (timing.before)
    return {
      allocation: a.name,
      window: timing.before,
      kind: 'shortened',
      walltimeSeconds: timing.walltimeSeconds,
    };
  return undefined;
}

function waitingNote(m: MaintenanceEffect | undefined): string | undefined {
  if (m?.kind !== 'waiting') return undefined;
  return `maintenance ${m.window.name} until ${rfc3339(new Date(m.untilMs ?? m.window.endMs))}: no pilot is submitted before then`;
}

interface SiteActions {
  effects: SiteEffect[];
  /** Ids cancelled now. */
  cancelled: string[];
  /** Pilots submitted now (numbered from `first`). */
  submitted: number;
  /** Why the allocation cannot be served as its spec says (nothing is cancelled or submitted then). */
  problem?: string;
  maintenance?: MaintenanceEffect;
  tokens?: TokenPlan;
}

/** In order: store the token, upload the bundle, cancel the surplus, submit the missing pilots. */
function siteActions(
  i: AllocationInput,
  v: Extract<PlaceView, { kind: 'listed' }>,
  plan: PilotPlan,
  first: number,
  timing: PilotTiming,
): SiteActions {
  const effects: SiteEffect[] = [];
  if (!v.tokenPrepared) effects.push({ kind: 'prepare', place: i.place });
  const tokens = planPlaceTokens(i, v);
  effects.push(...(tokens?.effects ?? []));
  if (i.a.condor?.source === 'bundle') {
    if (!i.bundleSha256)
      return {
        effects,
        cancelled: [],
        submitted: 0,
        problem: 'allocation asks for condor.source bundle, but the operator has no --pilot-bundle',
      };
    if (!v.bundleReady) effects.push({ kind: 'ensureBundle', place: i.place });
  }
  if (plan.cancel.length > 0)
    effects.push({
      kind: 'cancelPilots',
      place: i.place,
      ids: plan.cancel,
      event: reconcileEvent(
        EventReason.PilotsCancelled,
        `${plan.cancel.length} pilot(s) cancelled on allocation ${i.a.name}`,
      ),
    });
  const maintenance = effectOf(i.a, timing);
  const acts: SiteActions = { effects, cancelled: plan.cancel, submitted: 0, maintenance, tokens };
  if (plan.submit === 0 || timing.kind === 'wait') return acts;
  const built = buildPilots(i, first, plan.submit, timing.walltimeSeconds);
  if ('error' in built) return { ...acts, problem: built.error };
  if (tokens) keepNewTokens(tokens, built.pilots, i.now);
  effects.push({
    kind: 'submitPilots',
    place: i.place,
    pilots: built.pilots,
    event: reconcileEvent(
      EventReason.PilotsSubmitted,
      `${built.pilots.length} pilot(s) submitted to ${i.a.batchSystem} on ${i.a.loginHost} (allocation ${i.a.name})${longerNote(i, timing.walltimeSeconds)}`,
    ),
  });
  return { ...acts, submitted: built.pilots.length };
}

/** Said when the queued steps made the pilots longer than the allocation's walltime. */
function longerNote(i: AllocationInput, walltimeSeconds: number): string {
  return walltimeSeconds > allocationWalltimeSeconds(i.a)
    ? `, walltime ${hms(walltimeSeconds)} for the queued steps`
    : '';
}

function reconcileEvent(reason: string, note: string): PlannedEvent {
  return { type: 'Normal', reason, action: EventAction.Reconcile, note };
}

/**
 * The allocation's GPUs: those of the pilots wanted, and of its running pilots' slots in the pool, busy or
 * idle. None for an allocation without workers.gpus whose pilots advertise none.
 */
function gpuCounts(i: AllocationInput, jobs: readonly BatchJob[]): GpuCounts | undefined {
  const perPilot = i.a.workers?.gpus ?? WORKER_DEFAULTS.gpus;
  let total = 0;
  let idle = 0;
  for (const j of jobs) {
    const g = j.state === 'running' ? i.slots.gpus.get(j.name) : undefined;
    total += g?.total ?? 0;
    idle += g?.idle ?? 0;
  }
  if (perPilot === 0 && total === 0) return undefined;
  return { requested: i.wanted * perPilot, busy: total - idle, idle };
}

/** Pilots that failed on their own, each counted once; a pilot that joined the pool resets the count. */
function countFailures(
  i: AllocationInput,
  jobs: readonly BatchJob[],
  cancelled: ReadonlySet<string>,
  ids: ReadonlySet<string>,
): FailureMemory {
  const before = i.memory.failures[i.a.name];
  const seen = new Set((before?.seen ?? []).filter((id) => ids.has(id)));
  let count = before?.count ?? 0;
  let nextSubmitAt = before?.nextSubmitAt ?? 0;
  for (const j of jobs) {
    if (j.state === 'failed' && !cancelled.has(j.id) && !seen.has(j.id)) {
      seen.add(j.id);
      count++;
      nextSubmitAt = i.now + pilotFailureBackoffMs(count);
    }
  }
  if (jobs.some((j) => i.slots.joined.has(j.name))) count = 0;
  return { seen: [...seen], count, nextSubmitAt };
}

/** The next `n` pilots' names and scripts, or why a script cannot be made (the spec cannot be carried). */
function buildPilots(
  i: AllocationInput,
  first: number,
  n: number,
  walltimeSeconds: number,
): { pilots: PilotToSubmit[] } | { error: string } {
  const pilots: PilotToSubmit[] = [];
  try {
    for (let k = 0; k < n; k++) {
      const name = `${i.place.pilotPrefix}${first + k}`;
      const script = pilotScriptFor(i.vc, i.a, name, i.trustDomain, {
        bundleSha256: i.bundleSha256,
        updateIntervalSeconds: i.pilotUpdateIntervalSeconds,
        gpuDiscoveryExtra: i.gpuDiscoveryExtra,
        scheddName: i.scheddName,
        walltimeSeconds,
        ownToken: i.tokenMarginSeconds !== undefined,
      });
      const own = i.tokenMarginSeconds;
      pilots.push({
        name,
        script,
        ...(own !== undefined ? { tokenLifetimeSeconds: tokenLifetimeSeconds(walltimeSeconds, own) } : {}),
      });
    }
  } catch (e) {
    return { error: errorMessage(e) };
  }
  return { pilots };
}
