/**
 * Reconciles one HPCJobSet, level-triggered: observe (the set and its VirtualCluster from the informer
 * caches; its jobs, its last submission and the schedd's state from the backend of its schedd: the default
 * pool's, or its VirtualCluster's, placement.ts), decide (the pure transition), execute.
 * A set's status is written at most once per MIN_STATUS_INTERVAL_MS (one tracker tick): change notices
 * that come faster are folded into the next reconcile.
 */
import type { Logger } from 'pino';
import type { SchedulerBackend, SchedulerBackends, TrackedJob } from '../../condor/backend.js';
import type { FetchState } from '../../condor/output-fetcher.js';
import type { HPCJobSet } from '../../crds/hpcjobset.js';
import type { VirtualCluster } from '../../crds/virtualcluster.js';
import type { Clock, Random } from '../../runtime/clock.js';
import { hasCompleted } from '../hpcjob/job-state.js';
import { executeSet, type SetExecutorDeps } from './executor.js';
import { setTarget } from './placement.js';
import { MIN_STATUS_INTERVAL_MS } from './reasons.js';
import { transitionSet } from './transition.js';
import type { SetObservation, SetSettings } from './transition-types.js';

export interface SetReconcilerDeps extends SetExecutorDeps {
  clock: Clock;
  random: Random;
  sets: { getByKey(key: string): HPCJobSet | undefined };
  backends: SchedulerBackends;
  /** The VirtualClusters sets name (the informer cache; absent in the simulation: none is named). */
  virtualClusters?: { getByKey(key: string): VirtualCluster | undefined };
  settings: SetSettings;
}

export class HPCJobSetReconciler {
  /** When each set's status was last written (ms), by uid; dropped with the set. */
  readonly #lastWrite = new Map<string, number>();

  constructor(readonly deps: SetReconcilerDeps) {}

  reconcile = async (key: string, ctx: { log: Logger }): Promise<{ requeueAfterMs?: number }> => {
    const set = this.deps.sets.getByKey(key);
    if (!set) return {};
    const uid = set.metadata.uid as string;
    const now = this.deps.clock.now();
    const since = now - (this.#lastWrite.get(uid) ?? 0);
    if (since < MIN_STATUS_INTERVAL_MS && !set.metadata.deletionTimestamp)
      return { requeueAfterMs: MIN_STATUS_INTERVAL_MS - since };
    const vc = this.#virtualCluster(set);
    const target = setTarget(set, vc, this.deps.settings, now);
    const backend = target && this.deps.backends.for(target);
    const obs: SetObservation = {
      now,
      jitter: this.deps.random(),
      virtualCluster: vc,
      ...scheddView(backend, uid),
    };
    const t = transitionSet(set, obs, this.deps.settings);
    const done = await executeSet(set, t, backend, this.deps, ctx.log);
    if (done === 'gone' || t.afterWrite.some((e) => e.kind === 'removeFinalizer'))
      this.#lastWrite.delete(uid);
    else if (done === 'written') this.#lastWrite.set(uid, now);
    if (t.events.length > 0)
      ctx.log.info({ phase: t.status.phase, events: t.events.map((e) => e.reason) }, 'HPCJobSet events');
    return t.requeueAfterMs !== undefined ? { requeueAfterMs: Math.max(1, t.requeueAfterMs) } : {};
  };

  #virtualCluster(set: HPCJobSet): VirtualCluster | 'missing' | undefined {
    const ref = set.spec.template.virtualClusterRef;
    if (!ref) return undefined;
    return this.deps.virtualClusters?.getByKey(`${set.metadata.namespace}/${ref.name}`) ?? 'missing';
  }
}

/**
 * What the schedd shows of the set; with none (a set never placed on its VirtualCluster), the truth that
 * nothing of it is anywhere: a schedd is always recorded before a set's first submission there.
 */
function scheddView(
  backend: SchedulerBackend | undefined,
  uid: string,
): Omit<SetObservation, 'now' | 'jitter' | 'virtualCluster'> {
  if (!backend)
    return { state: { synced: true, reachable: true }, jobs: [], settled: true, fetches: new Map() };
  const jobs = backend.jobsOf(uid);
  return {
    schedd: backend.name,
    pool: backend.target.pool,
    state: backend.state,
    jobs,
    submission: backend.setSubmission(uid),
    settled: backend.settled(uid),
    fetches: fetchesOf(backend, jobs),
  };
}

/** Where the output fetch of each completed job stands (the others have nothing to fetch yet). */
function fetchesOf(backend: SchedulerBackend, jobs: readonly TrackedJob[]): Map<string, FetchState> {
  const out = new Map<string, FetchState>();
  for (const job of jobs) {
    if (job.acked || !hasCompleted(job)) continue;
    const f = backend.fetchStatus(job);
    if (f) out.set(job.jobId, f);
  }
  return out;
}
