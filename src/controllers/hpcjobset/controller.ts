/**
 * The HPCJobSet controller's setup: it reconciles HPCJobSets, watches VirtualClusters (a set waits on the one
 * its template names: an index on template.virtualClusterRef finds the sets to wake), and hears from the
 * schedd backends when one of a set's jobs changed (their HPCJobRef carries SET_REF_PREFIX; operator.ts
 * routes it).
 */
import type { Logger } from 'pino';
import type { SchedulerBackends } from '../../condor/backend.js';
import type { HPCJobSet } from '../../crds/hpcjobset.js';
import type { VirtualCluster } from '../../crds/virtualcluster.js';
import { every, type Clock, type Random } from '../../runtime/clock.js';
import { Controller } from '../../runtime/controller.js';
import type { Recorder } from '../../runtime/event-types.js';
import { keyOf, objectKey, type Informer } from '../../runtime/informer.js';
import type { ObjectWriter } from '../../runtime/kube-api.js';
import type { Manager } from '../../runtime/manager.js';
import type { Metrics } from '../../runtime/metrics.js';
import type { AttemptFiles } from '../hpcjob/attempt-files.js';
import type { HPCJobSetMetrics } from './metrics.js';
import { HPCJobSetReconciler } from './reconciler.js';
import { SET_REF_PREFIX } from './set-jobs.js';
import type { SetSettings } from './transition-types.js';

/** How often the hpc_hpcjobsets and hpc_hpcjobset_indices gauges are recounted from the cache. */
const GAUGE_MS = 5000;

export interface HPCJobSetControllerDeps {
  clock: Clock;
  random: Random;
  log: Logger;
  metrics: Metrics;
  setMetrics: HPCJobSetMetrics;
  hpcJobSets: Informer<HPCJobSet>;
  virtualClusters: Informer<VirtualCluster>;
  writer: ObjectWriter;
  recorder: Recorder;
  backends: SchedulerBackends;
  files: AttemptFiles;
  settings: SetSettings;
  operatorId: string;
  wrapperPath: string;
  maxOutputBytes: number;
  workers: number;
}

/** Index of HPCJobSets by the VirtualCluster their template names (namespace/name). */
export const SETS_BY_VIRTUAL_CLUSTER = 'spec.template.virtualClusterRef';

/** Adds SETS_BY_VIRTUAL_CLUSTER to the set cache (the VirtualCluster controller reads it for demand too). */
export function indexSetsByVirtualCluster(sets: Informer<HPCJobSet>): void {
  sets.addIndex(SETS_BY_VIRTUAL_CLUSTER, (s) => {
    const ref = s.spec.template.virtualClusterRef;
    return ref ? [keyOf(s.metadata.namespace, ref.name)] : [];
  });
}

export function setupHPCJobSetController(mgr: Manager, d: HPCJobSetControllerDeps): Controller {
  const reconciler = new HPCJobSetReconciler({ ...d, sets: d.hpcJobSets, metrics: d.setMetrics });
  const controller = new Controller({
    name: 'hpcjobset',
    reconcile: (key, ctx) => reconciler.reconcile(key, ctx),
    workers: d.workers,
    log: d.log,
    metrics: d.metrics,
    clock: d.clock,
  });
  d.hpcJobSets.on((_type, set) => controller.queue.add(objectKey(set)));
  // A VirtualCluster change may unblock (or block) the sets that name it.
  d.virtualClusters.on((_type, vc) => {
    for (const s of d.hpcJobSets.byIndex(SETS_BY_VIRTUAL_CLUSTER, objectKey(vc)))
      controller.queue.add(objectKey(s));
  });
  mgr.add(controller);
  // On every replica, leader or not: the gauges say what the cache holds.
  let gauge: { cancel(): void } | undefined;
  mgr.add(
    {
      name: 'hpcjobset-gauges',
      start: () => {
        gauge = every(d.clock, GAUGE_MS, () => d.setMetrics.count(d.hpcJobSets.list()));
      },
      stop: async () => gauge?.cancel(),
    },
    { leaderOnly: false },
  );
  return controller;
}

/** The set key (namespace/name) of a job's HPCJobRef, or undefined for an HPCJob's job. */
export function setKeyOf(ref: string): string | undefined {
  return ref.startsWith(SET_REF_PREFIX) ? ref.slice(SET_REF_PREFIX.length) : undefined;
}
