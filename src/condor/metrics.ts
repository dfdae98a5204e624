/** Metrics of the HTCondor layer: command calls, submissions, tracking, reachability, lanes. */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { registerMetricFields } from '../runtime/metrics.js';
import type { CommandEvent } from './cli.js';

export class CondorMetrics {
  readonly commandDuration = new Histogram({
    name: 'hpc_condor_command_duration_seconds',
    help: 'Duration of HTCondor command-line tool calls by command, schedd, purpose and outcome',
    labelNames: ['command', 'schedd', 'purpose', 'outcome'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [],
  });
  readonly submissions = new Counter({
    name: 'hpc_hpcjob_submissions_total',
    help: 'HPCJob attempts handed to HTCondor by schedd and result (submitted, adopted, failed)',
    labelNames: ['schedd', 'result'] as const,
    registers: [],
  });
  readonly submitBatchSize = new Histogram({
    name: 'hpc_condor_submit_batch_jobs',
    help: 'Jobs per condor_submit call',
    labelNames: ['schedd'] as const,
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
    registers: [],
  });
  readonly trackerPollDuration = new Histogram({
    name: 'hpc_condor_tracker_poll_duration_seconds',
    help: 'Duration of one tracker poll (condor_q, and condor_history when jobs left) per schedd',
    labelNames: ['schedd'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [],
  });
  readonly trackerPolls = new Counter({
    name: 'hpc_condor_tracker_polls_total',
    help: 'Tracker polls per schedd by kind: full (the whole queue) or delta (only jobs whose status changed)',
    labelNames: ['schedd', 'kind'] as const,
    registers: [],
  });
  readonly trackerJobs = new Gauge({
    name: 'hpc_condor_tracked_jobs',
    help: 'HTCondor jobs of this operator seen in the queue per schedd',
    labelNames: ['schedd'] as const,
    registers: [],
  });
  readonly scheddReachable = new Gauge({
    name: 'hpc_condor_schedd_reachable',
    help: '1 when the last query to the schedd succeeded',
    labelNames: ['schedd'] as const,
    registers: [],
  });
  readonly identityChanges = new Counter({
    name: 'hpc_condor_identity_changes_total',
    help: 'Jobs whose identity attributes (HPCJobUID, HPCJobAttempt, HPCJobRef) changed after submission: ignored and removed',
    labelNames: ['schedd'] as const,
    registers: [],
  });
  readonly forcedRemovals = new Counter({
    name: 'hpc_condor_forced_removals_total',
    help: 'Jobs of deleted HPCJobs taken out of the queue with condor_rm -forcex: removed (X) past --force-removal-after-seconds, their execute side not answering',
    labelNames: ['schedd'] as const,
    registers: [],
  });
  readonly outputFetchFailures = new Counter({
    name: 'hpc_condor_output_fetch_failures_total',
    help: 'Failed condor_transfer_data calls per schedd (each job is tried again with backoff)',
    labelNames: ['schedd'] as const,
    registers: [],
  });
  readonly laneWait = new Histogram({
    name: 'hpc_condor_lane_wait_seconds',
    help: 'Time an HTCondor call waited for room in its lane (per daemon and kind of call), by kind',
    labelNames: ['kind'] as const,
    buckets: [0.001, 0.01, 0.1, 0.5, 1, 5, 10, 30, 60, 120],
    registers: [],
  });

  constructor(registry: Registry) {
    registerMetricFields(this, registry);
  }

  /** The CLI runner's observer: one histogram sample per command. */
  observeCommand(e: CommandEvent): void {
    this.commandDuration.observe(
      { command: e.tool, schedd: e.target || 'local', purpose: e.purpose, outcome: e.outcome },
      e.durationSeconds,
    );
  }
}
