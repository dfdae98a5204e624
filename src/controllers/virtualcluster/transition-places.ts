/**
 * Recorded places (pure): keeping status.sites in step with the spec, and cleaning a place, its pilots
 * cancelled and then its token removed, when no allocation uses it any more (defect 8), when the lifetime
 * ended, and when the VirtualCluster is deleted.
 */
import type { SitePlace, VirtualCluster } from '../../crds/virtualcluster.js';
import { rfc3339 } from '../../runtime/conditions.js';
import type { PlannedEvent } from '../../runtime/event-types.js';
import type { Observation, PlaceView, SiteEffect } from './model.js';
import { active, bare, currentPlaces, isPilotOf, placeKey } from './places.js';
import { sequenceOf } from './planning.js';
import { EventAction, EventReason } from './reasons.js';

/** Where `p` is, for messages: user@host:port:directory. */
export function placeLabel(p: SitePlace): string {
  return `${p.user}@${p.loginHost}:${p.port}:${p.directory}`;
}

/**
 * The records with the spec applied: a record that matches a current allocation's place is current (its
 * login refreshed, any cleanup called off); one that matches none is retired from now on, its pilots being
 * those numbered below what the allocation had numbered (pilots from a new place of the same allocation come
 * after).
 */
export function applySpec(vc: VirtualCluster, o: Observation, now: number): SitePlace[] {
  const current = currentPlaces(vc);
  return (vc.status?.sites ?? []).map((r) => {
    const key = placeKey(r);
    const match = current.get(key);
    if (match) return match;
    if (r.cleanup) return r;
    const numbered = vc.status?.allocations?.find((s) => s.name === r.allocation)?.nextSequence ?? 0;
    const view = o.places.get(key);
    const listed = view?.kind === 'listed' ? view.jobs.map((j) => sequenceOf(j.name, r.pilotPrefix) + 1) : [];
    return { ...r, cleanup: { since: rfc3339(new Date(now)), pilotsBelow: Math.max(numbered, ...listed) } };
  });
}

/** The highest pilot bound of the retired places of `allocation` (new pilots are numbered from there). */
export function sequenceFloor(records: readonly SitePlace[], allocation: string): number {
  return Math.max(
    0,
    ...records
      .filter((r) => r.allocation === allocation && r.cleanup)
      .map((r) => r.cleanup?.pilotsBelow ?? 0),
  );
}

export interface PlaceCleanup {
  /** blocked: the site cannot be reached; busy: pilots still listed; clean: nothing left there. */
  state: 'blocked' | 'busy' | 'clean' | 'removing-token';
  effects: SiteEffect[];
  /** Batch ids cancelled by the operator there, after this pass. */
  cancelled: string[];
  message?: string;
}

/**
 * One cleaning step at a place: cancel its active pilots (all of them when `everySequence`, otherwise the
 * retired range); when none is left, remove the token; when that is done, the place is clean.
 */
export function cleanPlace(
  place: SitePlace,
  view: PlaceView | undefined,
  cancelledBefore: readonly string[],
  o: { everySequence: boolean; event?: (ids: string[]) => PlannedEvent },
): PlaceCleanup {
  if (view?.kind !== 'listed') {
    return {
      state: 'blocked',
      effects: [],
      cancelled: [...cancelledBefore],
      message: view?.message ?? 'not checked yet',
    };
  }
  const listed = new Set(view.jobs.map((j) => j.id));
  const cancelled = new Set(cancelledBefore.filter((id) => listed.has(id)));
  const live = active(view.jobs.filter((j) => isPilotOf(place, j.name, o.everySequence)));
  if (live.length > 0) {
    const ids = live.map((j) => j.id).filter((id) => !cancelled.has(id));
    ids.forEach((id) => cancelled.add(id));
    const effects: SiteEffect[] =
      ids.length > 0 ? [{ kind: 'cancelPilots', place: bare(place), ids, event: o.event?.(ids) }] : [];
    return { state: 'busy', effects, cancelled: [...cancelled] };
  }
  if (view.tokenRemoved) return { state: 'clean', effects: [], cancelled: [...cancelled] };
  return {
    state: 'removing-token',
    effects: [{ kind: 'removeToken', place: bare(place) }],
    cancelled: [...cancelled],
  };
}

export interface RetiredResult {
  /** The records to keep (clean retired places dropped). */
  records: SitePlace[];
  effects: SiteEffect[];
  events: PlannedEvent[];
  cancelled: Record<string, string[]>;
}

/** While the VirtualCluster lives: one cleaning step at each retired place. */
export function cleanRetired(records: readonly SitePlace[], o: Observation): RetiredResult {
  const out: RetiredResult = { records: [], effects: [], events: [], cancelled: {} };
  for (const r of records) {
    if (!r.cleanup) {
      out.records.push(r);
      continue;
    }
    const key = placeKey(r);
    const step = cleanPlace(r, o.places.get(key), o.memory.cancelled[key] ?? [], {
      everySequence: false,
      event: (ids) => ({
        type: 'Normal',
        reason: EventReason.PilotsCancelled,
        action: EventAction.Cleanup,
        note: `${ids.length} pilot(s) cancelled at ${placeLabel(r)}, no longer used by allocation ${r.allocation}`,
      }),
    });
    out.cancelled[key] = step.cancelled;
    out.effects.push(...step.effects);
    if (step.state === 'clean') {
      out.events.push({
        type: 'Normal',
        reason: EventReason.SiteCleaned,
        action: EventAction.Cleanup,
        note: `${placeLabel(r)} (allocation ${r.allocation}) is clean: its pilots are gone and the token removed`,
      });
      continue;
    }
    const message = step.message;
    if (message && message !== r.cleanup.message) {
      out.events.push({
        type: 'Warning',
        reason: EventReason.CleanupBlocked,
        action: EventAction.Cleanup,
        note: `cannot clean ${placeLabel(r)} (allocation ${r.allocation}) yet: ${message}`,
      });
    }
    const { message: _old, ...cleanup } = r.cleanup;
    out.records.push({ ...r, cleanup: message ? { ...cleanup, message } : cleanup });
  }
  return out;
}
