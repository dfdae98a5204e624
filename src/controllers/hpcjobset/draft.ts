/** The status one HPCJobSet transition builds, with the helpers every step uses. No I/O. */
import type { Condition } from '../../crds/common.js';
import type { HPCJobSet, HPCJobSetStatus, SetPhase } from '../../crds/hpcjobset.js';
import { rfc3339, setStatusCondition, type NewCondition } from '../../runtime/conditions.js';
import type { EventType, PlannedEvent } from '../../runtime/event-types.js';
import { SetLimit } from './reasons.js';
import type { SetEffect, SetObservation, SetTransition } from './transition-types.js';

export function cut(s: string, n: number): string {
  return s.length <= n ? s : s.slice(0, n - 3) + '...';
}

export class SetDraft {
  readonly status: HPCJobSetStatus;
  readonly conditions: Condition[];
  readonly events: PlannedEvent[] = [];
  readonly afterWrite: SetEffect[] = [];
  /** What the status message says after the counts (a failed submission, a bad annotation). */
  readonly notes: string[] = [];
  addFinalizer = false;
  requeueAfterMs: number | undefined;

  constructor(
    readonly set: HPCJobSet,
    readonly obs: SetObservation,
  ) {
    this.status = structuredClone(set.status ?? {});
    this.conditions = this.status.conditions ?? [];
  }

  get now(): number {
    return this.obs.now;
  }

  get uid(): string {
    return this.set.metadata.uid as string;
  }

  iso(ms = this.now): string {
    return rfc3339(new Date(ms));
  }

  /** Sets a condition; true when it changed. */
  cond(c: NewCondition): boolean {
    return setStatusCondition(
      this.conditions,
      { ...c, observedGeneration: this.set.metadata.generation },
      new Date(this.now),
    );
  }

  event(type: EventType, reason: string, action: string, note: string): void {
    this.events.push({ type, reason, action, note: cut(note, SetLimit.eventNote) });
  }

  effect(e: SetEffect): void {
    this.afterWrite.push(e);
  }

  /** Looks again within `ms` (the soonest of all asked for wins). */
  requeue(ms: number): void {
    this.requeueAfterMs = this.requeueAfterMs === undefined ? ms : Math.min(this.requeueAfterMs, ms);
  }

  phase(p: SetPhase): void {
    this.status.phase = p;
  }

  message(text: string): void {
    this.status.message = cut(text, SetLimit.message);
  }

  result(): SetTransition {
    if (this.conditions.length > 0) this.status.conditions = this.conditions;
    this.status.observedGeneration = this.set.metadata.generation;
    return {
      addFinalizer: this.addFinalizer,
      status: this.status,
      events: this.events,
      afterWrite: this.afterWrite,
      requeueAfterMs: this.requeueAfterMs,
    };
  }
}
