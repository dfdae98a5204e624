/**
 * One operator replica, built on its ports (src/operator-deps.ts): the manager with its shared informers and
 * leader election, the schedd backends (every HTCondor call in its lane), and the controllers. The real
 * process (src/manager.ts) and the deterministic simulation (test/sim) both build replicas with this.
 *
 * Stopping is ordered for a safe handover: controllers finish their reconciles, then the backends drain
 * (no condor_submit of this replica can commit afterwards), and only then is the Lease released.
 */
import type { Logger } from 'pino';
import { SchedulerBackends } from './condor/backend.js';
import { Lanes, lanedConnector } from './condor/lanes.js';
import type { CondorMetrics } from './condor/metrics.js';
import { scheddLabel, type CondorConnector, type ScheddTarget } from './condor/schedd-api.js';
import { defaultScheddNames, spreadPolicyOf, type OperatorConfig } from './config.js';
import { BY_VIRTUAL_CLUSTER, setupHPCJobController, wakeJobsOn } from './controllers/hpcjob/controller.js';
import {
  SETS_BY_VIRTUAL_CLUSTER,
  indexSetsByVirtualCluster,
  setKeyOf,
  setupHPCJobSetController,
} from './controllers/hpcjobset/controller.js';
import type { SetSettings } from './controllers/hpcjobset/transition-types.js';
import { setupVirtualClusterController } from './controllers/virtualcluster/controller.js';
import { demandOf } from './controllers/virtualcluster/demand.js';
import type { TransitionConfig } from './controllers/virtualcluster/model.js';
import type { HPCJobSettings } from './controllers/hpcjob/transition-types.js';
import { HPCJOB_PLURAL, type HPCJob } from './crds/hpcjob.js';
import { HPCJOBSET_PLURAL, type HPCJobSet } from './crds/hpcjobset.js';
import { VIRTUALCLUSTER_PLURAL, type VirtualCluster } from './crds/virtualcluster.js';
import type { OperatorDeps } from './operator-deps.js';
import type { Controller } from './runtime/controller.js';
import { countedWriter, kubeWritesOf } from './runtime/counted-writer.js';
import { EventRecorder, type EventRecorderOptions } from './runtime/events.js';
import { objectKey, type Informer } from './runtime/informer.js';
import { LeaderElector } from './runtime/leader.js';
import { Manager } from './runtime/manager.js';
import type { Metrics } from './runtime/metrics.js';
import { registerMetrics, type OperatorMetrics } from './operator-metrics.js';

/** What a replica is made of, for callers that look inside (probes, tests, the simulation). */
export interface Operator {
  readonly log: Logger;
  readonly manager: Manager;
  readonly metrics: Metrics;
  readonly backends: SchedulerBackends;
  readonly lanes: Lanes;
  readonly hpcJobs: Informer<HPCJob>;
  /** The HPCJobSet cache, when the deps have HPCJobSets (the live-logs route reads it). */
  readonly hpcJobSets?: Informer<HPCJobSet>;
  readonly virtualClusters: Informer<VirtualCluster>;
  readonly hpcJobController: Controller;
  readonly condorMetrics: CondorMetrics;
  readonly elector?: LeaderElector;
  readonly defaultTarget: ScheddTarget;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Entries held in memory per kind (each should fall back once its jobs are gone). */
  memory(): Record<string, number>;
}

export interface BuildOptions {
  /** Runs when leadership is lost after it was won: stop acting at once (the real process exits). */
  onLostLeadership: () => void;
  /** The job wrapper shipped as each job's executable. */
  wrapperPath: string;
  /** Test-only failpoint after a successful condor_submit, before anything is recorded. */
  afterSubmit?: () => void;
  /** The VirtualCluster controller's poll periods and pilot settings (it runs when deps.sites is given). */
  virtualClusters?: Partial<TransitionConfig>;
}

export function settingsFrom(config: OperatorConfig): HPCJobSettings {
  const targets = defaultTargetsOf(config);
  return {
    defaultTarget: defaultTargetOf(config),
    spread: targets.length > 1 ? { targets, policy: spreadPolicyOf(config) } : undefined,
    virtualClusterWaitMs: config.virtualClusterWaitSeconds * 1000,
    userHoldTimeoutMs: config.userHoldTimeoutSeconds * 1000,
    forceRemovalAfterMs: config.forceRemovalAfterSeconds * 1000,
    outputFetchTimeoutMs: config.outputFetchTimeoutSeconds * 1000,
    maxOutputBytes: config.maxOutputBytes,
    maxOutputBytesCeiling: config.maxOutputBytesCeiling,
    matchAnalysisAfterMs: config.matchAnalysisAfterSeconds * 1000,
    matchAnalysisEveryMs: config.matchAnalysisEverySeconds * 1000,
    lifecycleEvents: config.lifecycleEvents,
  };
}

/** The HPCJobSet controller's settings (the live-logs route finds a set's schedd with them too). */
export function setSettingsFrom(config: OperatorConfig): SetSettings {
  return {
    forceRemovalAfterMs: config.forceRemovalAfterSeconds * 1000,
    outputFetchTimeoutMs: config.outputFetchTimeoutSeconds * 1000,
    maxOutputBytesCeiling: config.maxOutputBytesCeiling,
    defaultTarget: defaultTargetOf(config),
    virtualClusterWaitMs: config.virtualClusterWaitSeconds * 1000,
  };
}

/** The default pool's schedd: the only one, or the first of --schedd-names. */
export function defaultTargetOf(config: OperatorConfig): ScheddTarget {
  return defaultTargetsOf(config)[0] as ScheddTarget;
}

/**
 * Every schedd of the default pool, in the configured order. `local` (what status records for it) names the
 * local schedd of the HTCondor configuration, as an empty --schedd-name does: one backend for it, not two.
 */
export function defaultTargetsOf(config: OperatorConfig): ScheddTarget[] {
  const pool = config.collector || undefined;
  const local = scheddLabel({});
  return defaultScheddNames(config).map((name) => ({
    name: name && name !== local ? name : undefined,
    pool,
  }));
}

export function buildOperator(config: OperatorConfig, deps: OperatorDeps, o: BuildOptions): Operator {
  const all = registerMetrics(deps.registry);
  const lanes = new Lanes({
    clock: deps.clock,
    onWait: (w) => all.condor.laneWait.observe({ kind: w.lane.split('/').pop() ?? '' }, w.waitedMs / 1000),
  });
  const { manager, elector } = managerOf(config, deps, all.runtime, o.onLostLeadership);
  const hpcJobs = manager.informer(deps.hpcJobs);
  const virtualClusters = manager.informer(deps.virtualClusters);
  const hpcJobSets = deps.hpcJobSets && manager.informer(deps.hpcJobSets);
  if (hpcJobSets) indexSetsByVirtualCluster(hpcJobSets);
  const condor = lanedConnector(deps.condor, lanes);
  const late: { controller?: Controller; sets?: Controller } = {};
  const backends = backendsOf(config, deps, {
    condor,
    metrics: all.condor,
    elector,
    afterSubmit: o.afterSubmit,
    // A set's jobs name it with a prefix (controllers/hpcjobset/set-jobs.ts).
    onChange: (ref) => {
      const set = setKeyOf(ref);
      if (set) late.sets?.queue.add(set);
      else late.controller?.queue.add(ref);
    },
    onReachability: (schedd) => late.controller && wakeJobsOn(late.controller, hpcJobs, schedd),
  });
  // Added before the controllers, so stopped after them: the drain waits for in-flight submissions.
  manager.add({ name: 'schedd-backends', start: () => backends.start(), stop: () => backends.stop() });
  const hpcJobController = hpcJobControllerOf(manager, deps, {
    config,
    o,
    all,
    hpcJobs,
    virtualClusters,
    backends,
  });
  late.controller = hpcJobController;
  late.sets =
    hpcJobSets &&
    hpcJobSetControllerOf(manager, deps, { config, o, all, backends, hpcJobSets, virtualClusters });
  setupVirtualClusters(manager, deps, { config, o, all, hpcJobs, hpcJobSets, virtualClusters, condor });
  return {
    log: deps.log,
    manager,
    metrics: all.runtime,
    condorMetrics: all.condor,
    backends,
    lanes,
    hpcJobs,
    hpcJobSets: deps.hpcJobSets ? manager.informer(deps.hpcJobSets) : undefined,
    virtualClusters,
    hpcJobController,
    elector,
    defaultTarget: defaultTargetOf(config),
    start: () => manager.start(),
    stop: () => manager.stop(),
    memory: () => ({ ...backends.memory(), lanes: lanes.size }),
  };
}

/** What both controllers are set up from. */
interface ControllerWiring {
  config: OperatorConfig;
  o: BuildOptions;
  all: OperatorMetrics;
  hpcJobs: Informer<HPCJob>;
  /** Absent when the deps have no HPCJobSets (the simulation has none yet). */
  hpcJobSets?: Informer<HPCJobSet>;
  virtualClusters: Informer<VirtualCluster>;
}

/** The HPCJob controller, its writes and Events counted per kind. */
function hpcJobControllerOf(
  manager: Manager,
  deps: OperatorDeps,
  x: ControllerWiring & { backends: SchedulerBackends },
): Controller {
  const { config, all } = x;
  return setupHPCJobController(manager, {
    clock: deps.clock,
    random: deps.random,
    log: deps.log,
    metrics: all.runtime,
    jobMetrics: all.hpcJobs,
    hpcJobs: x.hpcJobs,
    virtualClusters: x.virtualClusters,
    writer: countedWriter(
      deps.hpcJobWriter,
      kubeWritesOf(all.runtime, HPCJOB_PLURAL),
      all.hpcJobs.objectWrite,
    ),
    recorder: recorderFor(deps, all.runtime, 'hpc.scailfin.io/hpcjob-controller', all.hpcJobs.eventWrite),
    backends: x.backends,
    files: deps.files,
    settings: settingsFrom(config),
    operatorId: config.operatorId,
    wrapperPath: x.o.wrapperPath,
    workers: config.workers,
  });
}

/** The HPCJobSet controller, when the deps have HPCJobSets (the simulation has none yet). */
function hpcJobSetControllerOf(
  manager: Manager,
  deps: OperatorDeps,
  x: Pick<ControllerWiring, 'config' | 'o' | 'all' | 'virtualClusters'> & {
    backends: SchedulerBackends;
    hpcJobSets: Informer<HPCJobSet>;
  },
): Controller | undefined {
  if (!deps.hpcJobSetWriter) return undefined;
  const { config, all } = x;
  return setupHPCJobSetController(manager, {
    clock: deps.clock,
    random: deps.random,
    log: deps.log,
    metrics: all.runtime,
    setMetrics: all.hpcJobSets,
    hpcJobSets: x.hpcJobSets,
    virtualClusters: x.virtualClusters,
    writer: countedWriter(deps.hpcJobSetWriter, kubeWritesOf(all.runtime, HPCJOBSET_PLURAL)),
    recorder: recorderFor(deps, all.runtime, 'hpc.scailfin.io/hpcjobset-controller'),
    backends: x.backends,
    files: deps.files,
    settings: setSettingsFrom(config),
    operatorId: config.operatorId,
    wrapperPath: x.o.wrapperPath,
    maxOutputBytes: config.maxOutputBytes,
    workers: Math.max(1, Math.min(config.workers, 4)),
  });
}

/** The manager, with leader election when the deps have a Lease store. */
function managerOf(
  config: OperatorConfig,
  deps: OperatorDeps,
  metrics: Metrics,
  onLost: () => void,
): { manager: Manager; elector?: LeaderElector } {
  const { clock, random, log } = deps;
  const elector = deps.leases
    ? new LeaderElector(deps.leases, {
        namespace: config.leaderElectionNamespace,
        name: config.leaderElectionId,
        identity: deps.identity,
        leaseDurationMs: config.leaderElectLeaseDurationSeconds * 1000,
        renewDeadlineMs: config.leaderElectRenewDeadlineSeconds * 1000,
        retryPeriodMs: config.leaderElectRetryPeriodSeconds * 1000,
        log,
        metrics,
        clock,
        random,
      })
    : undefined;
  const leaderElection = elector ? { elector, onLost } : undefined;
  return { manager: new Manager({ log, metrics, clock, random, leaderElection }), elector };
}

/** One backend per schedd; the default pool's (each, when several) are made at once and never dropped. */
function backendsOf(
  config: OperatorConfig,
  deps: OperatorDeps,
  x: {
    condor: CondorConnector;
    metrics: CondorMetrics;
    elector?: LeaderElector;
    afterSubmit?: () => void;
    onChange: (ref: string) => void;
    onReachability: (schedd: string) => void;
  },
): SchedulerBackends {
  const { clock, log } = deps;
  const elector = x.elector;
  const backends = new SchedulerBackends({
    connector: x.condor,
    operatorId: config.operatorId,
    clock,
    log,
    metrics: x.metrics,
    onChange: x.onChange,
    onReachability: x.onReachability,
    // Only the leader submits, and only while its Lease is surely its own.
    fence: elector ? () => clock.now() < elector.validUntil() : undefined,
    afterSubmit: x.afterSubmit,
    tracker: {
      minIntervalMs: config.trackerMinIntervalMs,
      activeMaxIntervalMs: config.trackerActiveMaxIntervalMs,
      maxIntervalMs: config.trackerIdleMaxIntervalMs,
    },
    coalescer: { maxBatch: config.submitBatchSize, lingerMs: config.submitLingerMs },
    idleAfterMs: config.scheddIdleSeconds * 1000,
    matchAnalysisEveryMs: config.matchAnalysisEverySeconds * 1000,
  });
  for (const target of defaultTargetsOf(config)) {
    backends.keep(target);
    backends.for(target);
  }
  return backends;
}

function recorderFor(
  deps: OperatorDeps,
  metrics: Metrics,
  controller: string,
  onWrite?: EventRecorderOptions['onWrite'],
): EventRecorder {
  const { clock, random, log, identity } = deps;
  const o = { controller, instance: identity, log, metrics, clock, random, onWrite };
  return new EventRecorder(deps.events, o);
}

/** The VirtualCluster controller on this replica's manager (it needs the sites port). */
function setupVirtualClusters(
  manager: Manager,
  deps: OperatorDeps,
  x: ControllerWiring & { condor: CondorConnector },
): void {
  const { clock, log } = deps;
  setupVirtualClusterController(manager, {
    clock,
    log,
    runtimeMetrics: x.all.runtime,
    metrics: x.all.virtualClusters,
    hpcJobs: x.hpcJobs,
    hpcJobSets: x.hpcJobSets,
    virtualClusters: x.virtualClusters,
    // The autoscaling demand, from the HPCJob and HPCJobSet caches' indexes on the VirtualCluster they name.
    demand: (vc) =>
      demandOf(
        x.hpcJobs.byIndex(BY_VIRTUAL_CLUSTER, objectKey(vc)),
        vc,
        deps.clock.now(),
        x.hpcJobSets?.byIndex(SETS_BY_VIRTUAL_CLUSTER, objectKey(vc)),
      ),
    writer: countedWriter(deps.virtualClusterWriter, kubeWritesOf(x.all.runtime, VIRTUALCLUSTER_PLURAL)),
    recorder: recorderFor(deps, x.all.runtime, 'hpc.scailfin.io/virtualcluster-controller'),
    secrets: deps.secrets,
    condor: x.condor,
    sites: deps.sites,
    minter: deps.minter,
    config: x.o.virtualClusters,
    workers: Math.max(1, Math.min(x.config.workers, 4)),
  });
}
