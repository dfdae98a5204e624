/**
 * What a pass's per-allocation outcomes mean for the whole VirtualCluster (pure): total counts, the
 * CredentialsValid, SiteReachable, CredentialExpiring and PoolJoined conditions with their Events, the phase,
 * Ready and the one-line message.
 */
import {
  VirtualClusterConditions as C,
  type AllocationStatus,
  type GpuCounts,
  type VCPhase,
} from '../../crds/virtualcluster.js';
import { rfc3339 } from '../../runtime/conditions.js';
import type { Counts } from './planning.js';
import {
  BudgetReason,
  CredentialExpiringReason,
  CredentialsReason,
  EventReason,
  EXPIRY_WARNING_MS,
  PoolJoinedReason,
  SiteMaintenanceReason,
  SiteReachableReason,
} from './reasons.js';
import type { Observation } from './model.js';
import type { StatusDraft } from './status-draft.js';
import type { AllocationOutcome, MaintenanceEffect } from './transition-allocation.js';
import { ZERO_COUNTS } from './transition-allocation.js';

/** The outcome of each allocation looked at this pass, with its name and message. */
export interface Verdict {
  name: string;
  outcome: AllocationOutcome;
  message?: string;
}

export interface Problems {
  badCreds: string[];
  unreachable: string[];
  /** Allocations looked at. */
  seen: number;
}

export function problemsOf(verdicts: readonly Verdict[]): Problems {
  const line = (v: Verdict) => `${v.name}: ${v.message ?? ''}`;
  return {
    badCreds: verdicts.filter((v) => v.outcome === 'credentials').map(line),
    unreachable: verdicts.filter((v) => v.outcome === 'unreachable').map(line),
    seen: verdicts.length,
  };
}

export function sumCounts(all: readonly Counts[]): Counts {
  const total = { ...ZERO_COUNTS };
  for (const c of all) for (const k of Object.keys(total) as (keyof Counts)[]) total[k] += c[k];
  return total;
}

/** status.gpus: the sum over the allocations that count GPUs; none when no allocation does. */
export function reportGpus(d: StatusDraft, allocations: readonly AllocationStatus[]): void {
  const counted = allocations.flatMap((a) => (a.gpus ? [a.gpus] : []));
  if (counted.length === 0) {
    delete d.status.gpus;
    return;
  }
  const total = { requested: 0, busy: 0, idle: 0 };
  for (const g of counted) for (const k of Object.keys(total) as (keyof GpuCounts)[]) total[k] += g[k] ?? 0;
  d.status.gpus = total;
}

/** CredentialsValid and SiteReachable, each with a Warning Event when it turns (or its message changes). */
export function reportSites(d: StatusDraft, p: Problems): void {
  if (p.badCreds.length > 0) {
    const message = p.badCreds.join('; ');
    if (
      d.condition({ type: C.CredentialsValid, status: 'False', reason: CredentialsReason.Rejected, message })
    )
      d.event('Warning', EventReason.CredentialsInvalid, message);
  } else if (p.seen > 0 && p.unreachable.length < p.seen) {
    d.condition({
      type: C.CredentialsValid,
      status: 'True',
      reason: CredentialsReason.Verified,
      message: 'SSH login and host key verified',
    });
  }
  if (p.unreachable.length > 0) {
    const message = p.unreachable.join('; ');
    if (
      d.condition({
        type: C.SiteReachable,
        status: 'False',
        reason: SiteReachableReason.Unreachable,
        message,
      })
    )
      d.event('Warning', EventReason.SiteUnreachable, message);
  } else if (p.seen > 0 && p.badCreds.length < p.seen) {
    d.condition({
      type: C.SiteReachable,
      status: 'True',
      reason: SiteReachableReason.Reachable,
      message: 'every site answered',
    });
  }
}

/** status.credentials, credentialExpiresAt and CredentialExpiring, when any credential has an expiry date. */
export function reportExpiry(
  d: StatusDraft,
  o: Pick<Observation, 'credentialExpiresAt' | 'credentialExpiries'>,
  now: number,
): void {
  const expiresAt = o.credentialExpiries?.[0]?.expiresAt ?? o.credentialExpiresAt;
  if (o.credentialExpiries)
    d.status.credentials = o.credentialExpiries.map((c) => ({
      secretName: c.secretName,
      key: c.key,
      ...(c.allocation ? { allocation: c.allocation } : {}),
      expiresAt: rfc3339(new Date(c.expiresAt)),
    }));
  if (expiresAt === undefined) return;
  const at = rfc3339(new Date(expiresAt));
  d.status.credentialExpiresAt = at;
  const soon = expiresAt - now < EXPIRY_WARNING_MS;
  const first = o.credentialExpiries?.[0];
  const what = first
    ? `Secret ${first.secretName} key ${first.key}${first.allocation ? ` (allocation ${first.allocation})` : ' (the pool token)'}`
    : 'a credential';
  d.condition({
    type: C.CredentialExpiring,
    status: soon ? 'True' : 'False',
    reason: soon ? CredentialExpiringReason.ExpiresSoon : CredentialExpiringReason.Valid,
    message: `${what} expires at ${at}`,
  });
}

/** PoolJoined, once pilots run: have any of them joined the collector? */
export function reportPool(d: StatusDraft, total: Counts, collectorHost: string): void {
  if (total.running === 0) return;
  const joined = total.idle + total.busy;
  d.condition(
    joined > 0
      ? {
          type: C.PoolJoined,
          status: 'True',
          reason: PoolJoinedReason.Joined,
          message: `${joined} of ${total.running} running pilots joined ${collectorHost}`,
        }
      : {
          type: C.PoolJoined,
          status: 'False',
          reason: PoolJoinedReason.NotJoined,
          message: `${total.running} pilots run but none has joined ${collectorHost} yet`,
        },
  );
}

/**
 * SiteMaintenance, once a site's windows were read: True while a window holds pilots back or shortens them
 * (with a Normal Event when that starts or changes), False when none is near.
 */
export function reportMaintenance(
  d: StatusDraft,
  effects: readonly MaintenanceEffect[],
  windowsKnown: boolean,
): void {
  if (effects.length === 0) {
    if (windowsKnown)
      d.condition({
        type: C.SiteMaintenance,
        status: 'False',
        reason: SiteMaintenanceReason.NoWindow,
        message: "no maintenance window within the pilots' walltime",
      });
    return;
  }
  const waiting = effects.some((e) => e.kind === 'waiting');
  const message = effects.map(maintenanceLine).join('; ');
  const reason = waiting ? SiteMaintenanceReason.Waiting : SiteMaintenanceReason.PilotsShortened;
  if (d.condition({ type: C.SiteMaintenance, status: 'True', reason, message }))
    d.event('Normal', EventReason.SiteMaintenance, message);
}

function maintenanceLine(e: MaintenanceEffect): string {
  const w = e.window;
  const span = `${rfc3339(new Date(w.startMs))} to ${rfc3339(new Date(w.endMs))}`;
  return e.kind === 'waiting'
    ? `allocation ${e.allocation}: maintenance ${w.name} from ${span}; no pilot until ${rfc3339(new Date(e.untilMs ?? w.endMs))}`
    : `allocation ${e.allocation}: maintenance ${w.name} from ${span}; pilots run ${e.walltimeSeconds ?? 0}s to end before it`;
}

/**
 * BudgetExhausted, when an allocation has a budget: True while a budget (or accounting that cannot be read)
 * holds pilots back, with a Warning Event when that starts or changes; False otherwise.
 */
export function reportBudget(
  d: StatusDraft,
  budgets: readonly { state: 'within' | 'exhausted' | 'unknown'; message: string }[],
): void {
  if (budgets.length === 0) return;
  const held = budgets.filter((b) => b.state !== 'within');
  if (held.length === 0) {
    d.condition({
      type: C.BudgetExhausted,
      status: 'False',
      reason: BudgetReason.WithinBudget,
      message: budgets.map((b) => b.message).join('; '),
    });
    return;
  }
  const reason = held.some((b) => b.state === 'exhausted')
    ? BudgetReason.Exhausted
    : BudgetReason.UsageUnknown;
  const message = held.map((b) => b.message).join('; ');
  if (d.condition({ type: C.BudgetExhausted, status: 'True', reason, message }))
    d.event('Warning', EventReason.BudgetExhausted, message);
}

/** The phase of a VirtualCluster that lives (not past its lifetime). */
export function livePhase(allocations: number, p: Problems, total: Counts): VCPhase {
  const active = total.queued + total.running;
  if (allocations === 0) return 'Pending';
  if (p.badCreds.length === p.seen && p.seen > 0) return 'Failed';
  if (p.badCreds.length > 0 || p.unreachable.length > 0) return 'Degraded';
  if (p.seen === 0) return 'Validating';
  if (total.idle + total.busy < total.requested || active > total.requested) return 'Provisioning';
  return 'Running';
}

/** Sets phase, message and Ready. */
export function reportPhase(
  d: StatusDraft,
  phase: VCPhase,
  total: Counts,
  p: Problems,
  extra?: string,
): void {
  const g = d.status.gpus;
  const gpus = g ? `; GPUs: ${g.requested} requested, ${g.busy} busy, ${g.idle} idle` : '';
  const counts = `${total.requested} requested, ${total.queued} queued, ${total.running} running (${total.busy} busy, ${total.idle} idle), ${total.error} in error${gpus}`;
  const problems = [...p.badCreds, ...p.unreachable, ...(extra ? [extra] : [])];
  d.status.phase = phase;
  d.status.message = `${phase}: ${counts}${problems.length ? `; ${problems.join('; ')}` : ''}`.slice(0, 4096);
  d.condition({
    type: C.Ready,
    status: phase === 'Running' ? 'True' : 'False',
    reason: phase,
    message: d.status.message,
  });
}
