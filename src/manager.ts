/**
 * The manager: wires the Kubernetes client, informers, controllers, the HTCondor backends, leader election,
 * probes and metrics, and runs them until SIGTERM (graceful: stop taking work, finish in-flight reconciles,
 * release the lease) or until leadership is lost (exit at once, like controller-runtime).
 */
import * as k8s from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { pino, type Logger } from 'pino';
import { SchedulerBackends } from './condor/backend.js';
import { CondorCli } from './condor/cli.js';
import { ScheddClient } from './condor/schedd.js';
import type { OperatorConfig } from './config.js';
import { GROUP, VERSION } from './crds/common.js';
import { HPCJOB_PLURAL, PHASES, type HPCJob } from './crds/hpcjob.js';
import { VIRTUALCLUSTER_PLURAL, type VirtualCluster } from './crds/virtualcluster.js';
import { HPCJobReconciler } from './controllers/hpcjob/reconciler.js';
import { parseWorkspaceMounts } from './controllers/hpcjob/staging.js';
import {
  demandCpus,
  VIRTUALCLUSTER_CONTROLLER,
  VirtualClusterController,
  watchVirtualClusters,
} from './controllers/virtualcluster/controller.js';
import { CollectorClient } from './condor/collector.js';
import type { CollectorApi } from './condor/schedd-api.js';
import { classAdLiteral } from './condor/submit-description.js';
import { systemClock } from './runtime/clock.js';
import { SshSiteConnector } from './sites/ssh-session.js';
import { KubeSecrets } from './runtime/secrets.js';
import { Controller } from './runtime/controller.js';
import { EventRecorder } from './runtime/events.js';
import { Probes, serveMetrics, serveProbes } from './runtime/health.js';
import { Informer, objectKey } from './runtime/informer.js';
import { poolAgents } from './runtime/kubeconfig.js';
import { LeaderElector } from './runtime/leader.js';
import { Metrics } from './runtime/metrics.js';
import { ObjectWriter } from './runtime/objects.js';

export interface Manager {
  log: Logger;
  metrics: Metrics;
  backends: SchedulerBackends;
  hpcJobs: Informer<HPCJob>;
  stop(): Promise<void>;
}

/** Test-only failpoint: HPCOP_FAILPOINT=exit-after-submit kills the process right after condor_submit. */
function failpoint(log: Logger): (() => void) | undefined {
  if (process.env.HPCOP_FAILPOINT !== 'exit-after-submit') return undefined;
  log.warn('failpoint exit-after-submit is armed: the process dies after the first condor_submit');
  return () => process.kill(process.pid, 'SIGKILL');
}

export function defaultWrapperPath(): string {
  // dist/manager.js and src/manager.ts both sit one level below the package root.
  return fileURLToPath(new URL('../wrapper/hpc-wrapper.sh', import.meta.url));
}

export async function startManager(
  config: OperatorConfig,
  o: { kubeConfig?: k8s.KubeConfig; handleSignals?: boolean } = {},
): Promise<Manager> {
  const log = pino({ level: config.logLevel, base: { operator: config.operatorId } });
  const kc = o.kubeConfig ?? new k8s.KubeConfig();
  if (!o.kubeConfig) kc.loadFromDefault();
  const closeAgents = poolAgents(kc);
  const metrics = new Metrics();
  const identity = `${hostname()}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const wrapperPath = config.wrapperPath || defaultWrapperPath();
  mkdirSync(config.logDir, { recursive: true, mode: 0o700 });

  const cli = new CondorCli({
    binDir: config.condorBinDir || undefined,
    observer: (e) =>
      metrics.condorCommandDuration.observe(
        { command: e.tool, schedd: e.target || 'local', purpose: e.purpose, outcome: e.outcome },
        e.durationSeconds,
      ),
  });
  const defaultTarget = { name: config.scheddName || undefined, pool: config.collector || undefined };

  const hpcJobs = new Informer<HPCJob>(
    kc,
    { group: GROUP, version: VERSION, plural: HPCJOB_PLURAL, namespace: config.namespace },
    { log, metrics },
  );
  const virtualClusters = new Informer<VirtualCluster>(
    kc,
    { group: GROUP, version: VERSION, plural: VIRTUALCLUSTER_PLURAL, namespace: config.namespace },
    { log, metrics },
  );

  // The backends report changes to the HPCJob controller, made below (it needs the backends first).
  const late: { controller?: Controller } = {};
  const afterSubmit = failpoint(log);
  const backends = new SchedulerBackends({
    cli,
    operatorId: config.operatorId,
    log,
    metrics,
    onChange: (ref) => late.controller?.queue.add(ref),
    onReachability: (schedd) => {
      // Every HPCJob on that schedd gets its SchedulerReachable condition updated.
      for (const j of hpcJobs.list())
        if (!j.status?.schedd || j.status.schedd === schedd) late.controller?.queue.add(objectKey(j));
    },
    afterSubmit,
    tracker: {
      minIntervalMs: config.trackerMinIntervalMs,
      activeMaxIntervalMs: config.trackerActiveMaxIntervalMs,
      maxIntervalMs: config.trackerIdleMaxIntervalMs,
    },
    coalescer: { maxBatch: config.submitBatchSize, lingerMs: config.submitLingerMs },
  });

  const secretsForJobs = new KubeSecrets(kc);
  const reconciler = new HPCJobReconciler({
    log,
    jobs: hpcJobs,
    virtualClusters,
    writer: new ObjectWriter(kc, { group: GROUP, version: VERSION, plural: HPCJOB_PLURAL }, metrics),
    recorder: new EventRecorder(kc, {
      controller: 'hpc.scailfin.io/hpcjob-controller',
      instance: identity,
      log,
      metrics,
    }),
    backends,
    metrics,
    operatorId: config.operatorId,
    wrapperPath,
    logDir: config.logDir,
    defaultTarget,
    virtualClusterWaitMs: config.virtualClusterWaitSeconds * 1000,
    workspaceMounts: parseWorkspaceMounts(config.workspaceMounts),
    secrets: { read: (ns, name, key) => secretsForJobs.read(ns, name, key) },
  });
  const controller = new Controller({
    name: 'hpcjob',
    reconcile: reconciler.reconcile,
    workers: config.workers,
    log,
    metrics,
  });
  late.controller = controller;
  const secrets = new KubeSecrets(kc);
  const bundle = config.pilotBundle
    ? {
        path: config.pilotBundle,
        sha256: createHash('sha256').update(readFileSync(config.pilotBundle)).digest('hex').slice(0, 16),
        content: () => readFileSync(config.pilotBundle),
      }
    : undefined;
  const vcReconciler = new VirtualClusterController({
    clock: systemClock,
    clusters: virtualClusters,
    demandCpus: (vc) => demandCpus(hpcJobs.list(), vc),
    writer: new ObjectWriter(kc, { group: GROUP, version: VERSION, plural: VIRTUALCLUSTER_PLURAL }, metrics),
    recorder: new EventRecorder(kc, {
      controller: 'hpc.scailfin.io/virtualcluster-controller',
      instance: identity,
      log,
      metrics,
    }),
    secrets,
    condor: { collector: (pool) => collectorApi(cli, pool) },
    sites: new SshSiteConnector(),
    registry: metrics.registry,
    config: {
      pilotUpdateIntervalSeconds: config.pilotUpdateIntervalSeconds,
      activePollMs: config.pilotActivePollSeconds * 1000,
      steadyPollMs: config.pilotSteadyPollSeconds * 1000,
      bundle,
    },
  });
  const vcController = new Controller({
    name: VIRTUALCLUSTER_CONTROLLER,
    // Until the runtime passes a context (and an abort signal), the logger alone.
    reconcile: (key, keyLog) => vcReconciler.reconcile(key, { log: keyLog }),
    workers: Math.max(1, Math.min(config.workers, 4)),
    log,
    metrics,
  });

  hpcJobs.on((_type, obj) => controller.queue.add(objectKey(obj)));
  watchVirtualClusters({ virtualClusters, hpcJobs }, (key) => vcController.queue.add(key));
  // A VirtualCluster change may unblock (or block) the HPCJobs that name it.
  virtualClusters.on((_type, vc) => {
    for (const j of hpcJobs.list()) {
      if (
        j.metadata.namespace === vc.metadata.namespace &&
        j.spec.virtualClusterRef?.name === vc.metadata.name
      )
        controller.queue.add(objectKey(j));
    }
  });

  // Probes and metrics serve from the start, leader or not.
  let working = false;
  const probes = new Probes();
  probes.addHealthzCheck('ping', () => undefined);
  probes.addReadyzCheck('informers', () => {
    if (!hpcJobs.synced || !virtualClusters.synced) throw new Error('caches not synced yet');
  });
  const defaultSchedd = new ScheddClient(cli, defaultTarget);
  let lastPing = { at: 0, error: undefined as string | undefined };
  probes.addReadyzCheck('schedd', async () => {
    // As leader the tracker polls anyway: use what it saw. A standby asks the schedd (at most every 10 s).
    const tracker = working ? backends.for(defaultTarget).tracker : undefined;
    if (tracker?.synced) {
      if (!tracker.reachable)
        throw new Error(`schedd ${tracker.name} does not answer: ${(tracker.lastError ?? '').slice(0, 200)}`);
      return;
    }
    if (Date.now() - lastPing.at > 10_000) {
      try {
        await defaultSchedd.ping();
        lastPing = { at: Date.now(), error: undefined };
      } catch (e) {
        lastPing = { at: Date.now(), error: e instanceof Error ? e.message : String(e) };
      }
    }
    if (lastPing.error)
      throw new Error(`schedd ${defaultSchedd.label} does not answer: ${lastPing.error.slice(0, 200)}`);
  });
  const servers = await Promise.all([
    serveProbes(probes, config.healthProbeBindAddress),
    serveMetrics(metrics.registry, config.metricsBindAddress),
  ]);
  const phaseGauge = setInterval(() => {
    const counts = new Map<string, number>(PHASES.map((p) => [p, 0]));
    for (const j of hpcJobs.list())
      counts.set(j.status?.phase ?? 'Pending', (counts.get(j.status?.phase ?? 'Pending') ?? 0) + 1);
    for (const [phase, n] of counts) metrics.hpcJobsByPhase.set({ phase }, n);
  }, 5000);
  phaseGauge.unref();

  let elector: LeaderElector | undefined;
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down: finishing in-flight reconciles');
    clearInterval(phaseGauge);
    await Promise.all([controller.stop(), vcController.stop()]);
    vcReconciler.close();
    await backends.stop();
    hpcJobs.stop();
    virtualClusters.stop();
    await elector?.release();
    for (const s of servers) s?.close();
    closeAgents();
    log.info('stopped');
  };

  if (o.handleSignals !== false) {
    for (const sig of ['SIGTERM', 'SIGINT'] as const) {
      process.once(sig, () => {
        void stop().then(() => process.exit(0));
      });
    }
  }

  // Caches first (cheap, and a standby is warm when it takes over), work only as leader.
  await Promise.all([hpcJobs.start(), virtualClusters.start()]);
  log.info({ hpcjobs: hpcJobs.size, virtualclusters: virtualClusters.size }, 'caches synced');
  if (config.leaderElect) {
    elector = new LeaderElector(kc, {
      namespace: config.leaderElectionNamespace,
      name: config.leaderElectionId,
      identity,
      log,
      metrics,
    });
    await elector.acquire(() => {
      log.error('lost leadership: exiting so that a fresh process can stand by');
      process.exit(1);
    });
  }
  backends.for(defaultTarget);
  backends.start();
  controller.start();
  vcController.start();
  working = true;
  log.info(
    { workers: config.workers, schedd: defaultTarget.name ?? 'local', wrapper: wrapperPath },
    'operator running',
  );
  return { log, metrics, backends, hpcJobs, stop };
}

/** The collector of a pool as the VirtualCluster controller asks it (until the condor layer offers one). */
function collectorApi(cli: CondorCli, pool: string | undefined): CollectorApi {
  const client = new CollectorClient(cli, pool);
  return {
    label: pool || 'local',
    pilotSlots: (virtualCluster, attributes) =>
      client.slots(`VirtualCluster == ${classAdLiteral(virtualCluster)}`, attributes),
  };
}
