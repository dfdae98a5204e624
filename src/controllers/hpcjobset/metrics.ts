/**
 * Metrics the HPCJobSet controller updates, without a label per set (a set can have 100,000 indices and a
 * cluster many sets: the series stay a handful): sets by phase and indices by state, summed over the sets in
 * the informer cache; phase transitions and indices that ended, from the status writes; the submissions of
 * indices, their sizes and the retries among them. The HTCondor side of the same submissions (condor_submit
 * calls, jobs per call, failures) is in condor/metrics.ts.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import {
  INDEX_STATES,
  SET_PHASES,
  type HPCJobSet,
  type HPCJobSetStatus,
  type IndexState,
} from '../../crds/hpcjobset.js';
import { totalOf } from './index-env.js';
import type { IndexAttempt } from './set-jobs.js';

/** The index states that are ends: counted once, when the status that says so is written. */
const ENDS = ['succeeded', 'failed', 'cancelled'] as const satisfies readonly IndexState[];

export class HPCJobSetMetrics {
  readonly byPhase: Gauge<'phase'>;
  readonly indices: Gauge<'state'>;
  readonly transitions: Counter<'phase'>;
  readonly indexEnds: Counter<'state'>;
  readonly submissions: Counter;
  readonly submissionSize: Histogram;
  readonly retries: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.byPhase = new Gauge({
      name: 'hpc_hpcjobsets',
      help: 'HPCJobSets in the informer cache by phase',
      labelNames: ['phase'] as const,
      registers,
    });
    this.indices = new Gauge({
      name: 'hpc_hpcjobset_indices',
      help: 'Indices of all HPCJobSets in the informer cache by state (the sum of their status.counts)',
      labelNames: ['state'] as const,
      registers,
    });
    this.transitions = new Counter({
      name: 'hpc_hpcjobset_transitions_total',
      help: 'HPCJobSet phase transitions by target phase',
      labelNames: ['phase'] as const,
      registers,
    });
    this.indexEnds = new Counter({
      name: 'hpc_hpcjobset_index_ends_total',
      help: 'Indices of HPCJobSets that ended, by state (succeeded, failed, cancelled)',
      labelNames: ['state'] as const,
      registers,
    });
    this.submissions = new Counter({
      name: 'hpc_hpcjobset_submissions_total',
      help: 'Submissions of HPCJobSet indices handed to the schedd backend (one condor_submit each)',
      registers,
    });
    this.submissionSize = new Histogram({
      name: 'hpc_hpcjobset_submission_indices',
      help: 'Indices per HPCJobSet submission',
      buckets: [1, 10, 100, 1000, 10_000, 100_000],
      registers,
    });
    this.retries = new Counter({
      name: 'hpc_hpcjobset_index_retries_total',
      help: 'HPCJobSet index attempts after the first handed to the schedd backend (retries of failed indices)',
      registers,
    });
  }

  /** A submission of `entries` went to the backend. */
  submitted(entries: readonly IndexAttempt[]): void {
    this.submissions.inc();
    this.submissionSize.observe(entries.length);
    const retries = entries.filter((e) => e.attempt > 1).length;
    if (retries > 0) this.retries.inc(retries);
  }

  /**
   * A status was written over `before`: the phase it entered, and the indices that ended since (counts only
   * grow for ends; a write that 409s is not counted, and the next one counts what it still adds).
   */
  statusWritten(before: HPCJobSetStatus | undefined, after: HPCJobSetStatus): void {
    if (after.phase && after.phase !== before?.phase) this.transitions.inc({ phase: after.phase });
    for (const state of ENDS) {
      const added = (after.counts?.[state] ?? 0) - (before?.counts?.[state] ?? 0);
      if (added > 0) this.indexEnds.inc({ state }, added);
    }
  }

  /** Recounts the gauges from the sets in the cache (a set without status: Pending, all its indices pending). */
  count(sets: readonly HPCJobSet[]): void {
    const phases = new Map<string, number>(SET_PHASES.map((p) => [p, 0]));
    const states = new Map<IndexState, number>(INDEX_STATES.map((s) => [s, 0]));
    for (const set of sets) {
      const phase = set.status?.phase ?? 'Pending';
      phases.set(phase, (phases.get(phase) ?? 0) + 1);
      const counts = set.status?.counts;
      if (!counts) states.set('pending', (states.get('pending') ?? 0) + totalOf(set));
      else for (const s of INDEX_STATES) states.set(s, (states.get(s) ?? 0) + (counts[s] ?? 0));
    }
    for (const [phase, n] of phases) this.byPhase.set({ phase }, n);
    for (const [state, n] of states) this.indices.set({ state }, n);
  }
}
