/**
 * The VirtualCluster state machine, pure: `transition(vc, observation, now, config)` says what the status
 * becomes, which Events to record, what to do on the sites and when to look again. No I/O, no clock, no
 * randomness: the same inputs give the same plan (unit tested exhaustively; the simulation drives it).
 *
 * Per pass: a deleted VirtualCluster cleans every recorded place and then lets go of its finalizer; a
 * Terminated one rests; an invalid spec is Failed without contacting anything; past its lifetime every place
 * is cleaned until it is Terminated; otherwise each allocation gets its wanted pilots, retired places are
 * cleaned, and counts, conditions and the phase are reported.
 */
import {
  VirtualClusterConditions as C,
  type SitePlace,
  type VirtualCluster,
} from '../../crds/virtualcluster.js';
import { PoolJoinedReason, Requeue } from './reasons.js';
import { finalizerFirst, modeOf } from './lifecycle.js';
import type {
  FailureMemory,
  Observation,
  PilotMemory,
  Plan,
  SiteEffect,
  TokenView,
  TransitionConfig,
} from './model.js';
import { placeKey, placeOf } from './places.js';
import { wantedPilots } from './demand.js';
import { pilotWalltimeSeconds } from './walltime.js';
import { draftFor, StatusDraft } from './status-draft.js';
import { countsOf, planAllocation, type AllocationPlan } from './transition-allocation.js';
import { deletionPlan, expiryPlan } from './transition-end.js';
import { reportPilotTokens, tokenRenewalDue } from './transition-tokens.js';
import {
  applySpec,
  cleanRetired,
  placeLabel,
  sequenceFloor,
  type RetiredResult,
} from './transition-places.js';
import {
  livePhase,
  problemsOf,
  reportExpiry,
  reportGpus,
  reportPhase,
  reportBudget,
  reportMaintenance,
  reportPool,
  reportSites,
  sumCounts,
} from './transition-status.js';
import { validateVirtualClusterSpec } from './validate.js';

export function transition(vc: VirtualCluster, o: Observation, now: number, config: TransitionConfig): Plan {
  switch (modeOf(vc, now)) {
    case 'deleting':
      return deletionPlan(vc, o);
    case 'terminated':
      return { events: [], effects: finalizerFirst(vc), memory: o.memory, requeueAfterMs: 0 };
    case 'invalid':
      return invalidPlan(vc, o, now);
    case 'expired':
      return expiryPlan(vc, o, now, config);
    case 'active':
      return activePlan(vc, o, now, config);
  }
}

function invalidPlan(vc: VirtualCluster, o: Observation, now: number): Plan {
  const invalid = validateVirtualClusterSpec(vc.spec);
  const d = new StatusDraft(vc, now);
  const message = invalid?.message ?? 'invalid spec';
  d.condition({ type: C.Ready, status: 'False', reason: invalid?.reason ?? 'Failed', message });
  d.status.phase = 'Failed';
  d.status.message = message;
  return failed(vc, d, o.memory);
}

function failed(vc: VirtualCluster, d: StatusDraft, memory: PilotMemory): Plan {
  return {
    status: d.finish(),
    events: d.events,
    effects: finalizerFirst(vc),
    memory,
    requeueAfterMs: Requeue.needsPerson,
  };
}

function activePlan(vc: VirtualCluster, o: Observation, now: number, config: TransitionConfig): Plan {
  const d = draftFor(vc, now);
  const token = o.token;
  if (token?.kind !== 'ok') {
    const message = token?.message ?? 'the pilot token was not read';
    const reason =
      token?.kind === 'forbidden' ? PoolJoinedReason.SecretForbidden : PoolJoinedReason.TokenMissing;
    d.condition({ type: C.PoolJoined, status: 'False', reason, message });
    d.status.phase = 'Failed';
    d.status.message = message;
    return failed(vc, d, o.memory);
  }
  const records = applySpec(vc, o, now);
  const plans = planAllocations(vc, o, now, config, token, records);
  // Recorded before anything is put there: the status with the record is written before the effects run.
  (vc.spec.allocations ?? []).forEach((a, i) => {
    const p = placeOf(vc, a);
    if (plans[i]?.touched && !records.some((r) => placeKey(r) === placeKey(p))) records.push(p);
  });
  const retired = cleanRetired(records, o);
  d.status.sites = retired.records;
  d.status.allocations = plans.map((p) => p.status);
  const total = sumCounts(plans.map((p) => p.counts ?? countsOf(p.status)));
  d.status.workers = total;
  reportGpus(d, d.status.allocations);
  const problems = problemsOf(
    plans.map((p) => ({ name: p.status.name, outcome: p.outcome, message: p.status.message })),
  );
  reportSites(d, problems);
  reportExpiry(d, o, now);
  reportPilotTokens(d, token, plans, now);
  reportPool(d, total, vc.spec.pool.collectorHost);
  reportMaintenance(
    d,
    plans.flatMap((p) => (p.maintenance ? [p.maintenance] : [])),
    plans.some((p) => p.windowsKnown),
  );
  reportBudget(
    d,
    plans.flatMap((p) => (p.budget ? [p.budget] : [])),
  );
  const phase = livePhase(plans.length, problems, total);
  const cleaning = retired.records.filter((r) => r.cleanup);
  reportPhase(d, phase, total, problems, cleaningNote(cleaning));
  const siteEffects: SiteEffect[] = [...plans.flatMap((p) => p.effects), ...retired.effects];
  const steady = (phase === 'Running' || phase === 'Failed') && siteEffects.length === 0 && !cleaning.length;
  return {
    status: d.finish(),
    events: [...d.events, ...retired.events],
    effects: [...finalizerFirst(vc), ...siteEffects],
    memory: nextMemory(o.memory, vc, plans, retired),
    requeueAfterMs: tokenRenewalDue(plans, now, steady ? config.steadyPollMs : config.activePollMs),
  };
}

/** Each allocation's plan, in spec order (the autoscaling demand fills them in that order). */
function planAllocations(
  vc: VirtualCluster,
  o: Observation,
  now: number,
  config: TransitionConfig,
  token: Extract<TokenView, { kind: 'ok' }>,
  records: readonly SitePlace[],
): AllocationPlan[] {
  const allocations = vc.spec.allocations ?? [];
  const wanted = wantedPilots(allocations, o.demand);
  return allocations.map((a) => {
    const place = placeOf(vc, a);
    return planAllocation({
      vc,
      a,
      place,
      view: o.places.get(placeKey(place)),
      wanted: wanted.get(a.name) ?? 0,
      prev: vc.status?.allocations?.find((s) => s.name === a.name),
      memory: o.memory,
      slots: o.slots,
      now,
      trustDomain: token.trustDomain,
      ...(token.mode === 'minted' ? { tokenMarginSeconds: token.signing.marginSeconds } : {}),
      sequenceFloor: sequenceFloor(records, a.name),
      cancelledElsewhere: cancelledBySameBatch(records, place, o.memory),
      bundleSha256: config.bundle?.sha256,
      pilotUpdateIntervalSeconds: config.pilotUpdateIntervalSeconds,
      gpuDiscoveryExtra: config.pilotGpuDiscoveryExtra,
      scheddName: config.scheddName,
      pilotWalltimeSeconds: pilotWalltimeSeconds(a, o.demand.longestNeedSeconds),
      shortestNeedSeconds: o.demand.shortestNeedSeconds,
    });
  });
}

function cleaningNote(cleaning: readonly SitePlace[]): string | undefined {
  if (cleaning.length === 0) return undefined;
  return `cleaning up ${cleaning.map((r) => `${placeLabel(r)} (allocation ${r.allocation})`).join(', ')}`;
}

/** Ids cancelled at retired places that share `place`'s batch system and user (they list the same jobs). */
function cancelledBySameBatch(
  records: readonly SitePlace[],
  place: SitePlace,
  memory: PilotMemory,
): string[] {
  const same = (r: SitePlace) =>
    r.cleanup !== undefined &&
    r.batchSystem === place.batchSystem &&
    r.loginHost === place.loginHost &&
    r.port === place.port &&
    r.user === place.user;
  return records.filter(same).flatMap((r) => memory.cancelled[placeKey(r)] ?? []);
}

/**
 * The memory after this pass: failures of the current allocations, cancelled ids of the places still
 * watched (what the spec and the records no longer name is forgotten).
 */
function nextMemory(
  before: PilotMemory,
  vc: VirtualCluster,
  plans: readonly AllocationPlan[],
  retired: RetiredResult,
): PilotMemory {
  const failures: Record<string, FailureMemory> = {};
  const cancelled: Record<string, readonly string[]> = {};
  (vc.spec.allocations ?? []).forEach((a, i) => {
    const p = plans[i];
    const key = placeKey(placeOf(vc, a));
    const f = p?.failures ?? before.failures[a.name];
    if (f) failures[a.name] = f;
    const c = p?.cancelled ?? before.cancelled[key];
    if (c) cancelled[key] = c;
  });
  for (const r of retired.records) {
    const key = placeKey(r);
    const c = retired.cancelled[key];
    if (r.cleanup && c) cancelled[key] = c;
  }
  return { failures, cancelled };
}
