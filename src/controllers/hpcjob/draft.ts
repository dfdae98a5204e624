/**
 * The status being built by one transition, with the small helpers every step uses: set a condition (and
 * learn whether it changed, to record Events only on transitions), record an Event, move the phase, end the
 * HPCJob, record an attempt, ask for an effect or a requeue. No I/O.
 */
import type { Condition } from '../../crds/common.js';
import {
  HPCJobConditions as C,
  type Attempt,
  type HPCJob,
  type HPCJobStatus,
  type Phase,
} from '../../crds/hpcjob.js';
import { rfc3339, setStatusCondition, type NewCondition } from '../../runtime/conditions.js';
import type { EventType, PlannedEvent } from '../../runtime/event-types.js';
import type { ScheddTarget } from '../../condor/schedd-api.js';
import { EventReason, Limit, MAX_ATTEMPTS_KEPT, Reason } from './reasons.js';
import type {
  HPCJobEffect,
  HPCJobObservation,
  HPCJobSettings,
  HPCJobTransition,
} from './transition-types.js';

export function truncate(s: string, n: number): string {
  return s.length <= n ? s : s.slice(0, n - 3) + '...';
}

/** Seconds since the epoch (as HTCondor gives times) to RFC 3339; undefined stays undefined. */
export function isoOfSeconds(epochSeconds: number | undefined): string | undefined {
  return epochSeconds ? rfc3339(new Date(epochSeconds * 1000)) : undefined;
}

export class Draft {
  readonly status: HPCJobStatus;
  conditions: Condition[];
  readonly events: PlannedEvent[] = [];
  readonly beforeWrite: HPCJobEffect[] = [];
  readonly afterWrite: HPCJobEffect[] = [];
  readonly samples = { holdCodes: [] as number[], queueWaitSeconds: [] as number[] };
  addFinalizer = false;
  /** See HPCJobTransition.deferStatus. */
  deferStatus = false;
  target: ScheddTarget | undefined;
  requeueAfterMs: number | undefined;

  constructor(
    readonly job: HPCJob,
    readonly obs: HPCJobObservation,
    readonly settings: HPCJobSettings,
  ) {
    this.status = copyStatus(job.status ?? {});
    this.conditions = this.status.conditions ?? [];
  }

  get now(): number {
    return this.obs.now;
  }

  get uid(): string {
    return this.job.metadata.uid as string;
  }

  get ref(): string {
    return `${this.job.metadata.namespace}/${this.job.metadata.name}`;
  }

  iso(ms = this.now): string {
    return rfc3339(new Date(ms));
  }

  /** Sets a condition; true when it changed. */
  cond(c: NewCondition): boolean {
    return setStatusCondition(
      this.conditions,
      { ...c, observedGeneration: this.job.metadata.generation },
      new Date(this.now),
    );
  }

  /** Sets a condition only if it is there already (flipping Held or Suspended back without adding noise). */
  condIfPresent(c: NewCondition): void {
    if (this.conditions.some((x) => x.type === c.type)) this.cond(c);
  }

  notHeld(): void {
    this.condIfPresent({ type: C.Held, status: 'False', reason: Reason.NotHeld, message: '' });
  }

  event(type: EventType, reason: string, action: string, note: string): void {
    this.events.push({ type, reason, action, note });
  }

  /**
   * A Normal Event of the plain life cycle (submitted, started, succeeded): status says the same exactly, so
   * it is recorded only when the operator is asked to (--lifecycle-events; each is one more API write).
   */
  lifecycleEvent(reason: string, action: string, note: string): void {
    if (this.settings.lifecycleEvents) this.event('Normal', reason, action, note);
  }

  effect(e: HPCJobEffect): void {
    this.afterWrite.push(e);
  }

  /** Waits at most `ms` before the next look (the shortest wish of a reconcile wins). */
  requeue(ms: number): void {
    this.requeueAfterMs = Math.min(this.requeueAfterMs ?? Infinity, Math.max(1, ms));
  }

  phase(p: Phase): void {
    this.status.phase = p;
  }

  /** The current attempt's record (the one `status.attempt` numbers). */
  current(): Attempt | undefined {
    const n = this.status.attempt ?? 0;
    return n > 0 ? this.status.attempts?.find((a) => a.attempt === n) : undefined;
  }

  recordAttempt(a: Attempt): void {
    const attempts = this.status.attempts ?? [];
    const i = attempts.findIndex((x) => x.attempt === a.attempt);
    if (i >= 0) attempts[i] = { ...attempts[i], ...a };
    else attempts.push(a);
    this.status.attempts = attempts.slice(-MAX_ATTEMPTS_KEPT);
    this.status.attempt = a.attempt;
  }

  /** Marks the HPCJob final. */
  end(phase: Phase, message: string, reason?: string): void {
    this.phase(phase);
    this.status.completionTime = this.status.completionTime ?? this.iso();
    this.status.nextRetryTime = undefined;
    this.status.message = truncate(message, Limit.message);
    if (phase === 'Succeeded') {
      this.lifecycleEvent(EventReason.Succeeded, 'Finish', message);
      return;
    }
    this.cond({
      type: C.Failed,
      status: 'True',
      reason: reason ?? Reason.Failed,
      message: truncate(message, Limit.conditionMessage),
    });
    const eventReason = phase === 'Lost' ? EventReason.Lost : EventReason.Failed;
    this.event('Warning', eventReason, 'Finish', truncate(message, Limit.eventNote));
  }

  result(): HPCJobTransition {
    const status = { ...this.status, conditions: this.conditions };
    // The API server bumps metadata.generation when it marks an object for deletion: a deleted HPCJob's
    // status has nothing new to say, and writing observedGeneration alone would cost a write per deletion.
    if (!this.job.metadata.deletionTimestamp) status.observedGeneration = this.job.metadata.generation;
    // One transition may pass through several phases (submitted and already running): only the phase
    // written is a transition anyone saw.
    const was = this.job.status?.phase;
    const phases = status.phase && status.phase !== was ? [status.phase] : [];
    return {
      addFinalizer: this.addFinalizer,
      deferStatus: this.deferStatus,
      status,
      events: this.events,
      beforeWrite: this.beforeWrite,
      afterWrite: this.afterWrite,
      target: this.target,
      requeueAfterMs:
        this.requeueAfterMs !== undefined && Number.isFinite(this.requeueAfterMs)
          ? this.requeueAfterMs
          : undefined,
      samples: { ...this.samples, phases },
    };
  }
}

/**
 * A copy of a status that a transition may change: the status, its attempts, conditions and logs are new
 * objects; everything below them is never changed in place (cheaper than a deep copy on every reconcile).
 * Undefined fields may stay: comparisons and writes treat them as absent, as JSON does.
 */
function copyStatus(s: HPCJobStatus): HPCJobStatus {
  return {
    ...s,
    attempts: s.attempts?.map((a) => ({ ...a })),
    conditions: s.conditions?.map((c) => ({ ...c })),
    logs: s.logs ? { ...s.logs } : undefined,
  };
}
