/**
 * Pilot planning, pure and unit tested: which pilots to submit or cancel given how many an allocation should
 * have (demand.ts) and what its batch system and the pool's collector report. Never more than `max` active
 * pilots, counted from the batch system itself, so a crash or a lost status write cannot double them.
 */
import type { BatchJob } from '../../sites/batch.js';
import { WORKER_DEFAULTS, type Allocation } from '../../crds/virtualcluster.js';

export interface PilotView {
  /** Our pilots in the batch system (by name prefix). */
  jobs: readonly BatchJob[];
  /** Pilot names that have at least one busy (claimed) slot in the pool. */
  busy: ReadonlySet<string>;
  /** Pilot names that have joined the pool. */
  joined: ReadonlySet<string>;
  /** Batch ids we cancelled ourselves (not counted as errors). */
  cancelledByUs: ReadonlySet<string>;
}

export interface Counts {
  requested: number;
  queued: number;
  running: number;
  idle: number;
  busy: number;
  error: number;
}

export interface PilotPlan {
  counts: Counts;
  /** Pilots to submit now. */
  submit: number;
  /** Batch ids to cancel now. */
  cancel: string[];
}

/** Upper bound of active pilots for an allocation. */
export function maxPilots(a: Allocation): number {
  return a.workers?.max ?? Math.max(a.workers?.count ?? WORKER_DEFAULTS.count, a.workers?.min ?? 0);
}

export function planPilots(wanted: number, max: number, view: PilotView, canSubmit: boolean): PilotPlan {
  const active = view.jobs.filter((j) => j.state === 'queued' || j.state === 'running');
  const queued = active.filter((j) => j.state === 'queued');
  const running = active.filter((j) => j.state === 'running');
  const error = view.jobs.filter((j) => j.state === 'failed' && !view.cancelledByUs.has(j.id)).length;
  const idleRunning = running.filter((j) => !view.busy.has(j.name));
  const counts: Counts = {
    requested: wanted,
    queued: queued.length,
    running: running.length,
    idle: running.filter((j) => view.joined.has(j.name) && !view.busy.has(j.name)).length,
    busy: running.filter((j) => view.busy.has(j.name)).length,
    error,
  };
  const target = Math.min(wanted, max);
  if (active.length < target) {
    return { counts, submit: canSubmit ? target - active.length : 0, cancel: [] };
  }
  // Too many: queued pilots go first (newest first), then idle running ones; busy ones finish their job
  // and leave by idle shutdown.
  let surplus = active.length - target;
  const cancel: string[] = [];
  for (const j of [...queued].reverse()) {
    if (surplus === 0) break;
    cancel.push(j.id);
    surplus--;
  }
  for (const j of idleRunning) {
    if (surplus === 0) break;
    cancel.push(j.id);
    surplus--;
  }
  return { counts, submit: 0, cancel };
}

/** Pilot names: short (PBS/Torque keep 15 characters) and unique per VirtualCluster and allocation. */
export function pilotPrefix(vcUid: string, allocation: string, hash: (s: string) => string): string {
  return `hp${hash(`${vcUid}/${allocation}`).slice(0, 8)}-`;
}

/** The sequence number in a pilot name, or -1. */
export function sequenceOf(name: string, prefix: string): number {
  if (!name.startsWith(prefix)) return -1;
  const n = Number(name.slice(prefix.length));
  return Number.isInteger(n) ? n : -1;
}
