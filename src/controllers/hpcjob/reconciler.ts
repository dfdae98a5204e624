/**
 * Reconciles one HPCJob, level-triggered: observe (the HPCJob from the informer cache, its schedd's state
 * from the backend), decide (the pure transition), execute (status, Events, effects). Events only enqueue
 * keys; nothing here waits on HTCondor.
 */
import type { Logger } from 'pino';
import type { SchedulerBackends } from '../../condor/backend.js';
import type { HPCJob } from '../../crds/hpcjob.js';
import type { VirtualCluster } from '../../crds/virtualcluster.js';
import type { Clock, Random } from '../../runtime/clock.js';
import type { Recorder } from '../../runtime/event-types.js';
import type { ObjectWriter } from '../../runtime/kube-api.js';
import type { AttemptFiles } from './attempt-files.js';
import { execute } from './executor.js';
import type { HPCJobMetrics } from './metrics.js';
import { observeHPCJob, type ObjectCache } from './observation.js';
import { transition } from './transition.js';
import type { HPCJobSettings } from './transition-types.js';

export interface HPCJobReconcilerDeps {
  clock: Clock;
  random: Random;
  jobs: { getByKey(key: string): HPCJob | undefined };
  virtualClusters: ObjectCache<VirtualCluster>;
  writer: ObjectWriter;
  recorder: Recorder;
  backends: SchedulerBackends;
  files: AttemptFiles;
  metrics?: HPCJobMetrics;
  settings: HPCJobSettings;
  operatorId: string;
  wrapperPath: string;
}

export interface ReconcileResult {
  requeueAfterMs?: number;
}

export class HPCJobReconciler {
  constructor(readonly deps: HPCJobReconcilerDeps) {}

  reconcile = async (key: string, ctx: { log: Logger }): Promise<ReconcileResult> => {
    const job = this.deps.jobs.getByKey(key);
    if (!job) return {};
    const obs = observeHPCJob(job, this.deps);
    const t = transition(job, obs, this.deps.settings);
    const done = await execute(job, t, this.deps, ctx.log);
    if (done === 'gone') return {};
    if (t.events.length > 0)
      ctx.log.debug({ phase: t.status.phase, events: t.events.map((e) => e.reason) }, 'status written');
    return t.requeueAfterMs !== undefined ? { requeueAfterMs: t.requeueAfterMs } : {};
  };
}
