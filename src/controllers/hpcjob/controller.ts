/**
 * The HPCJob controller's setup (controller-runtime's SetupWithManager): it reconciles HPCJobs, watches
 * VirtualClusters (an HPCJob waits on the one it names: an index on spec.virtualClusterRef finds the HPCJobs
 * to wake), and hears from the schedd backends when a job changed or a schedd came or went.
 */
import type { Logger } from 'pino';
import type { SchedulerBackends } from '../../condor/backend.js';
import type { HPCJob } from '../../crds/hpcjob.js';
import type { VirtualCluster } from '../../crds/virtualcluster.js';
import { every, type Clock, type Random } from '../../runtime/clock.js';
import { Controller } from '../../runtime/controller.js';
import type { Recorder } from '../../runtime/event-types.js';
import { keyOf, objectKey, type Informer } from '../../runtime/informer.js';
import type { ObjectWriter } from '../../runtime/kube-api.js';
import type { Manager } from '../../runtime/manager.js';
import type { Metrics } from '../../runtime/metrics.js';
import type { AttemptFiles } from './attempt-files.js';
import type { HPCJobMetrics } from './metrics.js';
import { HPCJobReconciler } from './reconciler.js';
import type { HPCJobSettings } from './transition-types.js';

/** Index of HPCJobs by the VirtualCluster they name (namespace/name). */
export const BY_VIRTUAL_CLUSTER = 'spec.virtualClusterRef';
/** How often the hpc_hpcjobs gauge is recounted from the cache. */
const PHASE_GAUGE_MS = 5000;

export interface HPCJobControllerDeps {
  clock: Clock;
  random: Random;
  log: Logger;
  metrics: Metrics;
  jobMetrics: HPCJobMetrics;
  hpcJobs: Informer<HPCJob>;
  virtualClusters: Informer<VirtualCluster>;
  writer: ObjectWriter;
  recorder: Recorder;
  backends: SchedulerBackends;
  files: AttemptFiles;
  settings: HPCJobSettings;
  operatorId: string;
  wrapperPath: string;
  workers: number;
}

export function setupHPCJobController(mgr: Manager, d: HPCJobControllerDeps): Controller {
  const reconciler = new HPCJobReconciler({ ...d, jobs: d.hpcJobs, metrics: d.jobMetrics });
  const controller = new Controller({
    name: 'hpcjob',
    reconcile: (key, ctx) => reconciler.reconcile(key, ctx),
    workers: d.workers,
    log: d.log,
    metrics: d.metrics,
    clock: d.clock,
  });
  d.hpcJobs.addIndex(BY_VIRTUAL_CLUSTER, (j) => {
    const ref = j.spec.virtualClusterRef;
    return ref ? [keyOf(j.metadata.namespace, ref.name)] : [];
  });
  d.hpcJobs.on((_type, job) => controller.queue.add(objectKey(job)));
  // A VirtualCluster change may unblock (or block) the HPCJobs that name it.
  d.virtualClusters.on((_type, vc) => {
    for (const j of d.hpcJobs.byIndex(BY_VIRTUAL_CLUSTER, objectKey(vc))) controller.queue.add(objectKey(j));
  });
  mgr.add(controller);
  let gauge: { cancel(): void } | undefined;
  mgr.add(
    {
      name: 'hpcjob-phase-gauge',
      start: () => {
        gauge = every(d.clock, PHASE_GAUGE_MS, () => d.jobMetrics.countPhases(d.hpcJobs.list()));
      },
      stop: async () => gauge?.cancel(),
    },
    { leaderOnly: false },
  );
  return controller;
}

/** Wakes every HPCJob on `schedd` (its SchedulerReachable condition changes). */
export function wakeJobsOn(controller: Controller, jobs: Informer<HPCJob>, schedd: string): void {
  for (const j of jobs.list())
    if (!j.status?.schedd || j.status.schedd === schedd) controller.queue.add(objectKey(j));
}
