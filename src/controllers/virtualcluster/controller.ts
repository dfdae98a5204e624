/**
 * The VirtualCluster controller: what it watches (controller-runtime's SetupWithManager: For VirtualCluster,
 * Watches HPCJob by the VirtualCluster it names) and its reconcile: observe through the ports, decide with
 * the pure transition, act with the executor. Everything it touches comes in as a port, so the deterministic
 * simulation drives the same code with in-memory models.
 */
import type { Logger } from 'pino';
import type { CondorConnector } from '../../condor/schedd-api.js';
import type { HPCJob } from '../../crds/hpcjob.js';
import type { HPCJobSet } from '../../crds/hpcjobset.js';
import type { VirtualCluster } from '../../crds/virtualcluster.js';
import type { Clock } from '../../runtime/clock.js';
import { Controller, type ReconcileContext, type Result } from '../../runtime/controller.js';
import type { Recorder } from '../../runtime/event-types.js';
import type { Informer } from '../../runtime/informer.js';
import type { ObjectWriter, Secrets } from '../../runtime/kube-api.js';
import type { Manager } from '../../runtime/manager.js';
import type { Metrics } from '../../runtime/metrics.js';
import type { SiteConnector } from '../../sites/session.js';
import type { Demand } from './demand.js';
import type { TokenMinter } from '../../condor/token-create.js';
import { Executor } from './executor.js';
import { modeOf } from './lifecycle.js';
import type { VirtualClusterMetrics } from './metrics.js';
import { EMPTY_MEMORY, type PilotMemory, type TransitionConfig } from './model.js';
import { observe } from './observation.js';
import { DEFAULT_ACTIVE_POLL_MS, DEFAULT_STEADY_POLL_MS } from './reasons.js';
import { SiteSessions } from './site-sessions.js';
import { transition } from './transition.js';

export const VIRTUALCLUSTER_CONTROLLER = 'virtualcluster';

export interface VirtualClusterControllerDeps {
  clock: Clock;
  /** The VirtualCluster cache (informer). */
  clusters: { getByKey(key: string): VirtualCluster | undefined };
  /** What the unfinished HPCJobs that name a VirtualCluster ask for (demandOf over the HPCJob cache). */
  demand: (vc: VirtualCluster) => Demand;
  writer: ObjectWriter;
  recorder: Recorder;
  secrets: Secrets;
  condor: Pick<CondorConnector, 'collector'>;
  sites: SiteConnector;
  /** Mints per-pilot tokens (spec.pool.pilotTokens). */
  minter?: TokenMinter;
  /** hpc_virtualcluster_workers, registered once on the operator's Registry (operator-metrics.ts). */
  metrics: VirtualClusterMetrics;
  config?: Partial<TransitionConfig>;
}

export class VirtualClusterController {
  readonly metrics: VirtualClusterMetrics;
  readonly #d: VirtualClusterControllerDeps;
  readonly #config: TransitionConfig;
  readonly #sessions: SiteSessions;
  readonly #executor: Executor;
  /** The transition's memory per VirtualCluster key, with the uid it belongs to. */
  readonly #memory = new Map<string, { uid: string | undefined; memory: PilotMemory }>();

  constructor(deps: VirtualClusterControllerDeps) {
    this.#d = deps;
    this.#config = {
      activePollMs: DEFAULT_ACTIVE_POLL_MS,
      steadyPollMs: DEFAULT_STEADY_POLL_MS,
      ...deps.config,
    };
    this.metrics = deps.metrics;
    this.#sessions = new SiteSessions(deps.sites);
    this.#executor = new Executor({
      writer: deps.writer,
      recorder: deps.recorder,
      sessions: this.#sessions,
      metrics: this.metrics,
      bundle: deps.config?.bundle,
      minter: deps.minter,
    });
  }

  reconcile = async (
    key: string,
    ctx: Pick<ReconcileContext, 'log'> & { signal?: AbortSignal },
  ): Promise<Result> => {
    const vc = this.#d.clusters.getByKey(key);
    if (!vc) {
      this.#forget(key);
      return {};
    }
    const now = this.#d.clock.now();
    const before = this.#memory.get(key);
    const memory = before && before.uid === vc.metadata.uid ? before.memory : EMPTY_MEMORY;
    const observation = await observe(
      { ...this.#d, collector: (pool) => this.#d.condor.collector(pool), sessions: this.#sessions },
      vc,
      modeOf(vc, now),
      now,
      memory,
      ctx.log,
    );
    const plan = transition(vc, observation, now, this.#config);
    // Shutting down: what was seen is dropped; the next leader looks again.
    if (ctx.signal?.aborted) return {};
    const done = await this.#executor.execute(vc, plan, observation, now, ctx.log);
    if (done.released) this.#forget(key);
    else if (done.applied)
      this.#memory.set(key, { uid: vc.metadata.uid, memory: keptMemory(memory, plan.memory, done.failed) });
    return plan.requeueAfterMs > 0 ? { requeueAfterMs: plan.requeueAfterMs } : {};
  };

  /** Sessions closed, memory and metrics dropped (the VirtualCluster is gone). */
  #forget(key: string): void {
    const [namespace = '', name = ''] = key.split('/');
    this.#sessions.forget(key);
    this.#memory.delete(key);
    this.metrics.forget(namespace, name);
  }

  /** Closes every site session (shutdown). */
  close(): void {
    this.#sessions.closeAll();
  }
}

// --------------------------------------------------------------------------------------------------- setup

export interface VirtualClusterSetupDeps extends Omit<VirtualClusterControllerDeps, 'clusters'> {
  log: Logger;
  /** The runtime's metrics (controller and work queue series). */
  runtimeMetrics: Metrics;
  hpcJobs: Informer<HPCJob>;
  /** HPCJobSets, whose indices count as demand too (absent in the simulation). */
  hpcJobSets?: Informer<HPCJobSet>;
  virtualClusters: Informer<VirtualCluster>;
  workers: number;
}

/**
 * controller-runtime's SetupWithManager: reconciles VirtualClusters (For), is woken by HPCJobs that name
 * one (Watches, for autoscaling), and closes its SSH sessions when the manager stops.
 */
export function setupVirtualClusterController(mgr: Manager, d: VirtualClusterSetupDeps): Controller {
  const reconciler = new VirtualClusterController({ ...d, clusters: d.virtualClusters });
  const controller = new Controller({
    name: VIRTUALCLUSTER_CONTROLLER,
    reconcile: (key, ctx) => reconciler.reconcile(key, ctx),
    workers: d.workers,
    log: d.log,
    metrics: d.runtimeMetrics,
    clock: d.clock,
  });
  watchVirtualClusters(d, (key) => controller.queue.add(key));
  mgr.add(controller);
  mgr.onStop('virtualcluster-site-sessions', () => reconciler.close());
  return controller;
}

// ------------------------------------------------------------------------------------------------- watches

/** A cache that reports changes (the informer). */
export interface Watchable<T> {
  on(handler: (type: string, obj: T) => void): void;
}

/** The key of the VirtualCluster an HPCJob names, if any: it scales with the HPCJobs queued on it. */
export function virtualClusterOf(job: HPCJob): string | undefined {
  const name = job.spec.virtualClusterRef?.name;
  return name ? `${job.metadata.namespace}/${name}` : undefined;
}

/**
 * What the controller watches: For(VirtualCluster), and Watches(HPCJob) and Watches(HPCJobSet) mapped to the
 * VirtualCluster they name (a set's status change is how its queued indices reach the demand). `enqueue`
 * adds a key to the controller's queue.
 */
export function watchVirtualClusters(
  sources: {
    virtualClusters: Watchable<VirtualCluster>;
    hpcJobs: Watchable<HPCJob>;
    hpcJobSets?: Watchable<HPCJobSet>;
  },
  enqueue: (key: string) => void,
): void {
  sources.virtualClusters.on((_type, vc) => enqueue(`${vc.metadata.namespace}/${vc.metadata.name}`));
  sources.hpcJobs.on((_type, job) => {
    const key = virtualClusterOf(job);
    if (key) enqueue(key);
  });
  sources.hpcJobSets?.on((_type, set) => {
    const name = set.spec.template.virtualClusterRef?.name;
    if (name) enqueue(`${set.metadata.namespace}/${name}`);
  });
}
/**
 * The memory to keep after a pass: the plan's, except that a place whose effects failed keeps the pilots it
 * had as cancelled before. A cancel that never reached the site (it hung, say) is tried again on the next
 * pass instead of being taken for done, which held a deleted VirtualCluster's finalizer for ever (found by
 * the simulation, seed 6605).
 */
export function keptMemory(
  before: PilotMemory,
  planned: PilotMemory,
  failed: ReadonlySet<string> | undefined,
): PilotMemory {
  if (!failed || failed.size === 0) return planned;
  const cancelled = { ...planned.cancelled };
  for (const place of failed) {
    if (before.cancelled[place]) cancelled[place] = before.cancelled[place];
    else delete cancelled[place];
  }
  return { ...planned, cancelled };
}
