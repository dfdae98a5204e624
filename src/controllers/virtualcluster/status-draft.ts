/**
 * The next status as the transition builds it (pure): a copy of the current one, conditions set the
 * apimachinery way (lastTransitionTime moves only when the status flips) with the object's generation, and
 * the Events that go with the changes.
 */
import type { Condition } from '../../crds/common.js';
import type { VirtualCluster, VirtualClusterStatus } from '../../crds/virtualcluster.js';
import { rfc3339, setStatusCondition, type NewCondition } from '../../runtime/conditions.js';
import type { EventType, PlannedEvent } from '../../runtime/event-types.js';
import { expiresAtMs } from './lifecycle.js';
import { EventAction } from './reasons.js';

export class StatusDraft {
  readonly status: VirtualClusterStatus;
  readonly events: PlannedEvent[] = [];
  readonly #conditions: Condition[];
  readonly #generation: number | undefined;
  readonly #now: Date;

  constructor(vc: VirtualCluster, now: number) {
    this.status = structuredClone(vc.status ?? {});
    this.#conditions = structuredClone(vc.status?.conditions ?? []);
    this.#generation = vc.metadata.generation;
    this.#now = new Date(now);
  }

  /** Sets a condition; true when anything about it changed. */
  condition(c: Omit<NewCondition, 'observedGeneration'>): boolean {
    return setStatusCondition(this.#conditions, { ...c, observedGeneration: this.#generation }, this.#now);
  }

  event(type: EventType, reason: string, note: string, action: string = EventAction.Reconcile): void {
    this.events.push({ type, reason, action, note });
  }

  /** The finished status, as the API server would store it (no undefined fields). */
  finish(): VirtualClusterStatus {
    const status = { ...this.status, conditions: this.#conditions };
    if (this.#generation !== undefined) status.observedGeneration = this.#generation;
    return JSON.parse(JSON.stringify(status)) as VirtualClusterStatus;
  }
}

/** A draft with status.expiresAt set from the lifetime. */
export function draftFor(vc: VirtualCluster, now: number): StatusDraft {
  const d = new StatusDraft(vc, now);
  const expires = expiresAtMs(vc, now);
  if (expires !== undefined) d.status.expiresAt = rfc3339(new Date(expires));
  return d;
}
