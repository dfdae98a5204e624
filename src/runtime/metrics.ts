/**
 * Prometheus metrics. Runtime metrics reuse controller-runtime's names and labels exactly (so existing
 * dashboards and alerts work); the operator's own carry the hpc_ prefix. All of them go on one Registry,
 * which other packages may pass in (or take from `registry`) to register their own metrics beside these.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type Metric } from 'prom-client';
import type { QueueMetrics } from './workqueue.js';

export interface MetricsOptions {
  /** Register on this Registry (shared with other packages); default a new one. */
  registry?: Registry;
  /** Node's process and GC metrics (prom-client's collectDefaultMetrics); default true. */
  defaultMetrics?: boolean;
}

export class Metrics {
  /** Set in the constructor; every metric below is registered on it there (field initializers run first). */
  readonly registry: Registry;

  // controller-runtime: pkg/internal/controller/metrics/metrics.go
  readonly reconcileTotal = new Counter({
    name: 'controller_runtime_reconcile_total',
    help: 'Total number of reconciliations per controller',
    labelNames: ['controller', 'result'] as const,
    registers: [],
  });
  readonly reconcileErrors = new Counter({
    name: 'controller_runtime_reconcile_errors_total',
    help: 'Total number of reconciliation errors per controller',
    labelNames: ['controller'] as const,
    registers: [],
  });
  readonly terminalReconcileErrors = new Counter({
    name: 'controller_runtime_terminal_reconcile_errors_total',
    help: 'Total number of terminal reconciliation errors per controller',
    labelNames: ['controller'] as const,
    registers: [],
  });
  readonly reconcilePanics = new Counter({
    name: 'controller_runtime_reconcile_panics_total',
    help: 'Total number of reconciliation panics (uncaught exceptions) per controller',
    labelNames: ['controller'] as const,
    registers: [],
  });
  readonly reconcileTime = new Histogram({
    name: 'controller_runtime_reconcile_time_seconds',
    help: 'Length of time per reconciliation per controller',
    labelNames: ['controller'] as const,
    buckets: [
      0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.25,
      1.5, 1.75, 2, 2.5, 3, 3.5, 4, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60,
    ],
    registers: [],
  });
  readonly maxConcurrentReconciles = new Gauge({
    name: 'controller_runtime_max_concurrent_reconciles',
    help: 'Maximum number of concurrent reconciles per controller',
    labelNames: ['controller'] as const,
    registers: [],
  });
  readonly activeWorkers = new Gauge({
    name: 'controller_runtime_active_workers',
    help: 'Number of currently used workers per controller',
    labelNames: ['controller'] as const,
    registers: [],
  });

  // controller-runtime: pkg/metrics/workqueue.go
  readonly workqueueDepth = new Gauge({
    name: 'workqueue_depth',
    help: 'Current depth of workqueue',
    labelNames: ['name', 'controller', 'priority'] as const,
    registers: [],
  });
  readonly workqueueAdds = new Counter({
    name: 'workqueue_adds_total',
    help: 'Total number of adds handled by workqueue',
    labelNames: ['name', 'controller'] as const,
    registers: [],
  });
  readonly workqueueLatency = new Histogram({
    name: 'workqueue_queue_duration_seconds',
    help: 'How long in seconds an item stays in workqueue before being requested',
    labelNames: ['name', 'controller'] as const,
    buckets: exponentialBuckets(10e-9, 10, 12),
    registers: [],
  });
  readonly workqueueWorkDuration = new Histogram({
    name: 'workqueue_work_duration_seconds',
    help: 'How long in seconds processing an item from workqueue takes',
    labelNames: ['name', 'controller'] as const,
    buckets: exponentialBuckets(10e-9, 10, 12),
    registers: [],
  });
  readonly workqueueRetries = new Counter({
    name: 'workqueue_retries_total',
    help: 'Total number of retries handled by workqueue',
    labelNames: ['name', 'controller'] as const,
    registers: [],
  });
  readonly workqueueUnfinished = new Gauge({
    name: 'workqueue_unfinished_work_seconds',
    help: 'How many seconds of work has been done that is in progress and has not been observed by work_duration',
    labelNames: ['name', 'controller'] as const,
    registers: [],
  });
  /** Per controller, how to read its longest running reconcile: read when scraped, never on a timer. */
  readonly #longestRunning = new Map<string, () => number>();
  readonly workqueueLongestRunning: Gauge<'name' | 'controller'> = (() => {
    const sources = this.#longestRunning;
    return new Gauge({
      name: 'workqueue_longest_running_processor_seconds',
      help: 'How many seconds has the longest running processor for workqueue been running',
      labelNames: ['name', 'controller'] as const,
      registers: [],
      collect() {
        for (const [controller, read] of sources) this.set({ name: controller, controller }, read());
      },
    });
  })();

  // controller-runtime: pkg/metrics/leaderelection.go
  readonly leaderElectionMaster = new Gauge({
    name: 'leader_election_master_status',
    help: 'Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master',
    labelNames: ['name'] as const,
    registers: [],
  });

  // The operator's own.
  readonly kubeWrites = new Counter({
    name: 'hpc_kube_writes_total',
    help: 'Writes to the Kubernetes API by resource, verb and outcome (status patches, finalizers, deletes, events)',
    labelNames: ['resource', 'verb', 'outcome'] as const,
    registers: [],
  });
  readonly informerEvents = new Counter({
    name: 'hpc_informer_events_total',
    help: 'Watch events received per resource and type',
    labelNames: ['resource', 'type'] as const,
    registers: [],
  });
  readonly informerRestarts = new Counter({
    name: 'hpc_informer_restarts_total',
    help: 'Watch restarts per resource and reason (error, expired, watchdog)',
    labelNames: ['resource', 'reason'] as const,
    registers: [],
  });
  readonly informerRelists = new Counter({
    name: 'hpc_informer_relists_total',
    help: 'Full lists per resource',
    labelNames: ['resource'] as const,
    registers: [],
  });

  constructor(o: MetricsOptions = {}) {
    this.registry = o.registry ?? new Registry();
    registerMetricFields(this, this.registry);
    if (o.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /** workqueue_* hooks for one controller's queue. */
  queueMetrics(controller: string): QueueMetrics {
    const labels = { name: controller, controller };
    for (const priority of ['high', 'low'] as const) this.workqueueDepth.set({ ...labels, priority }, 0);
    this.workqueueAdds.inc(labels, 0);
    this.workqueueRetries.inc(labels, 0);
    return {
      add: () => this.workqueueAdds.inc(labels),
      depth: (n, priority) => this.workqueueDepth.set({ ...labels, priority }, n),
      queueLatency: (s) => this.workqueueLatency.observe(labels, s),
      workDuration: (s) => this.workqueueWorkDuration.observe(labels, s),
      retry: () => this.workqueueRetries.inc(labels),
    };
  }

  /** Where workqueue_longest_running_processor_seconds of `controller` comes from, at scrape time. */
  longestRunning(controller: string, read: () => number): void {
    this.#longestRunning.set(controller, read);
  }

  /** Pre-initialises the per-controller series to 0, as controller-runtime does. */
  initController(controller: string, workers: number): void {
    for (const result of ['success', 'error', 'requeue', 'requeue_after'])
      this.reconcileTotal.inc({ controller, result }, 0);
    this.reconcileErrors.inc({ controller }, 0);
    this.terminalReconcileErrors.inc({ controller }, 0);
    this.reconcilePanics.inc({ controller }, 0);
    this.maxConcurrentReconciles.set({ controller }, workers);
    this.activeWorkers.set({ controller }, 0);
  }
}

function exponentialBuckets(start: number, factor: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => start * factor ** i);
}

/**
 * Registers every metric held in a field of `holder` on `registry`: metric classes declare their metrics as
 * fields (with `registers: []`, since field initializers run before the constructor) and call this.
 */
export function registerMetricFields(holder: object, registry: Registry): void {
  for (const m of Object.values(holder) as unknown[])
    if (m instanceof Counter || m instanceof Gauge || m instanceof Histogram)
      registry.registerMetric(m as Metric);
}
