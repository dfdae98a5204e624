/**
 * Metrics the HPCJob controller updates: phase transitions, holds, queue wait, HPCJobs by phase, and every
 * API write it makes for HPCJobs by kind (docs/design.md says which writes a step costs).
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { PHASES, type HPCJob } from '../../crds/hpcjob.js';
import type { WriteVerb } from '../../runtime/counted-writer.js';
import type { EventVerb } from '../../runtime/events.js';
import type { TransitionSamples } from './transition-types.js';

/** What an API write for an HPCJob was. */
export type WriteKind = 'finalizer' | 'status' | 'event-create' | 'event-patch' | 'other';

const KIND_OF_VERB: Record<WriteVerb, WriteKind> = {
  'patch-finalizers': 'finalizer',
  'patch-status': 'status',
  delete: 'other',
};

export class HPCJobMetrics {
  readonly writes: Counter<'kind' | 'outcome'>;
  readonly transitions: Counter<'phase'>;
  readonly holds: Counter<'code'>;
  readonly queueWait: Histogram;
  readonly byPhase: Gauge<'phase'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.writes = new Counter({
      name: 'hpc_hpcjob_api_writes_total',
      help: 'API writes made for HPCJobs by kind (finalizer, status, event-create, event-patch, other) and outcome',
      labelNames: ['kind', 'outcome'] as const,
      registers,
    });
    this.transitions = new Counter({
      name: 'hpc_hpcjob_transitions_total',
      help: 'HPCJob phase transitions by target phase',
      labelNames: ['phase'] as const,
      registers,
    });
    this.holds = new Counter({
      name: 'hpc_hpcjob_holds_total',
      help: 'Holds seen on HPCJob attempts by HoldReasonCode',
      labelNames: ['code'] as const,
      registers,
    });
    this.queueWait = new Histogram({
      name: 'hpc_hpcjob_queue_wait_seconds',
      help: 'Time from submission to start of execution of an attempt',
      buckets: [1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400],
      registers,
    });
    this.byPhase = new Gauge({
      name: 'hpc_hpcjobs',
      help: 'HPCJobs in the informer cache by phase',
      labelNames: ['phase'] as const,
      registers,
    });
  }

  /** Counts a write of the HPCJob itself (through countedWriter). */
  objectWrite = (verb: WriteVerb, outcome: string): void => {
    this.writes.inc({ kind: KIND_OF_VERB[verb], outcome });
  };

  /** Counts an Event write about an HPCJob (the HPCJob controller's EventRecorder onWrite). */
  eventWrite = (verb: EventVerb, outcome: string): void => {
    this.writes.inc({ kind: verb === 'create' ? 'event-create' : 'event-patch', outcome });
  };

  /** Records what a transition produced, once its status is written. */
  record(s: TransitionSamples): void {
    for (const phase of s.phases) this.transitions.inc({ phase });
    for (const code of s.holdCodes) this.holds.inc({ code: String(code) });
    for (const seconds of s.queueWaitSeconds) this.queueWait.observe(seconds);
  }

  /** Counts HPCJobs by phase (the hpc_hpcjobs gauge). */
  countPhases(jobs: readonly HPCJob[]): void {
    const counts = new Map<string, number>(PHASES.map((p) => [p, 0]));
    for (const j of jobs) {
      const p = j.status?.phase ?? 'Pending';
      counts.set(p, (counts.get(p) ?? 0) + 1);
    }
    for (const [phase, n] of counts) this.byPhase.set({ phase }, n);
  }
}
