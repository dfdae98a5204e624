/**
 * The end of a VirtualCluster (pure): past its lifetime it cleans every place it put something on
 * (Terminating) until none is left (Terminated); deleted, it does the same and then lets go of its finalizer.
 * A place is clean once no pilot of it is queued or running and its token is removed.
 */
import type { Allocation, AllocationStatus, SitePlace, VirtualCluster } from '../../crds/virtualcluster.js';
import type { Observation, Plan, SiteEffect, TransitionConfig } from './model.js';
import { active, placeKey, placeOf, placesToClean } from './places.js';
import { EventAction, EventReason, Requeue, VC_FINALIZER } from './reasons.js';
import { countsOf, ZERO_COUNTS } from './transition-allocation.js';
import { cleanPlace, type PlaceCleanup } from './transition-places.js';
import {
  problemsOf,
  reportExpiry,
  reportGpus,
  reportPhase,
  reportPool,
  reportSites,
  sumCounts,
  type Verdict,
} from './transition-status.js';
import { finalizerFirst } from './lifecycle.js';
import { draftFor } from './status-draft.js';

interface Cleaning {
  place: SitePlace;
  step: PlaceCleanup;
}

/** One cleaning step at every place (every pilot, any number). */
function cleanAll(vc: VirtualCluster, o: Observation, withEvents: boolean): Cleaning[] {
  return placesToClean(vc).map((place) => {
    const key = placeKey(place);
    return {
      place,
      step: cleanPlace(place, o.places.get(key), o.memory.cancelled[key] ?? [], {
        everySequence: true,
        event: withEvents
          ? (ids) => ({
              type: 'Normal',
              reason: EventReason.PilotsCancelled,
              action: EventAction.Reconcile,
              note: `${ids.length} pilot(s) cancelled on allocation ${place.allocation}`,
            })
          : undefined,
      }),
    };
  });
}

function cancelledAfter(o: Observation, cleaning: readonly Cleaning[]): Plan['memory'] {
  const cancelled: Record<string, readonly string[]> = {};
  for (const c of cleaning) cancelled[placeKey(c.place)] = c.step.cancelled;
  return { failures: o.memory.failures, cancelled };
}

/** Deletion: the finalizer stays until every place is clean. */
export function deletionPlan(vc: VirtualCluster, o: Observation): Plan {
  if (!vc.metadata.finalizers?.includes(VC_FINALIZER))
    return { events: [], effects: [], memory: o.memory, requeueAfterMs: 0 };
  const cleaning = cleanAll(vc, o, false);
  const effects: SiteEffect[] = cleaning.flatMap((c) => c.step.effects);
  const memory = cancelledAfter(o, cleaning);
  const blocked = cleaning.filter((c) => c.step.state === 'blocked');
  if (blocked.length > 0) {
    const why = blocked.map((c) => `${c.place.allocation}: ${c.step.message ?? ''}`).join('; ');
    const note = `pilots cannot be cancelled yet (${why}); the finalizer stays until they are`;
    return {
      events: [{ type: 'Warning', reason: EventReason.CleanupBlocked, action: EventAction.Delete, note }],
      effects,
      memory,
      requeueAfterMs: Requeue.cleanupBlocked,
    };
  }
  if (cleaning.some((c) => c.step.state === 'busy'))
    return { events: [], effects, memory, requeueAfterMs: Requeue.cleanupWaiting };
  // Nothing queued or running anywhere: the tokens go (if still there), then the finalizer.
  return { events: [], effects: [...effects, { kind: 'removeFinalizer' }], memory, requeueAfterMs: 0 };
}

/** An allocation's entry while the VirtualCluster ends: the pilots its current place still lists. */
function endingAllocation(
  vc: VirtualCluster,
  a: Allocation,
  o: Observation,
  cleaning: readonly Cleaning[],
): { status: AllocationStatus; verdict?: Verdict } {
  const key = placeKey(placeOf(vc, a));
  const view = o.places.get(key);
  const cleaned = cleaning.some((c) => placeKey(c.place) === key);
  const prev = vc.status?.allocations?.find((s) => s.name === a.name);
  if (cleaned && view?.kind !== 'listed') {
    // Unknown counts are kept from the last good look.
    const message = view?.message ?? 'not checked yet';
    return {
      status: { ...(prev ?? {}), name: a.name, message },
      verdict: { name: a.name, outcome: view?.kind ?? 'unreachable', message },
    };
  }
  const live = view?.kind === 'listed' && cleaned ? active(view.jobs) : [];
  const status: AllocationStatus = {
    name: a.name,
    ...ZERO_COUNTS,
    queued: live.filter((j) => j.state === 'queued').length,
    running: live.filter((j) => j.state === 'running').length,
    nextSequence: prev?.nextSequence ?? 0,
  };
  if (prev?.lastSubmitTime) status.lastSubmitTime = prev.lastSubmitTime;
  // A place never touched was not looked at: it says nothing about credentials or reachability.
  return { status, ...(cleaned ? { verdict: { name: a.name, outcome: 'ok' as const } } : {}) };
}

/** Past the lifetime: cancel everything, remove the tokens; Terminated once every place is clean. */
export function expiryPlan(vc: VirtualCluster, o: Observation, now: number, config: TransitionConfig): Plan {
  const d = draftFor(vc, now);
  const cleaning = cleanAll(vc, o, true);
  const verdicts: Verdict[] = [];
  d.status.allocations = (vc.spec.allocations ?? []).map((a) => {
    const { status, verdict } = endingAllocation(vc, a, o, cleaning);
    if (verdict) verdicts.push(verdict);
    return status;
  });
  d.status.sites = cleaning.filter((c) => c.step.state !== 'clean').map((c) => c.place);
  const total = sumCounts(d.status.allocations.map(countsOf));
  d.status.workers = total;
  reportGpus(d, d.status.allocations);
  const problems = problemsOf(verdicts);
  reportSites(d, problems);
  reportExpiry(d, o, now);
  reportPool(d, total, vc.spec.pool.collectorHost);
  const done = d.status.sites.length === 0;
  if (done)
    d.event('Normal', EventReason.Terminated, `lifetime ${vc.spec.lifetime} ended; all pilots are gone`);
  reportPhase(d, done ? 'Terminated' : 'Terminating', total, problems);
  return {
    status: d.finish(),
    events: d.events,
    effects: [...finalizerFirst(vc), ...cleaning.flatMap((c) => c.step.effects)],
    memory: cancelledAfter(o, cleaning),
    requeueAfterMs: done ? 0 : config.activePollMs,
  };
}
