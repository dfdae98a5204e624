/**
 * The operator process: real ports (client-node, the condor_* tools, SSH, the log directory) under one
 * replica (src/operator.ts), probes and metrics served from the start, and shutdown on SIGTERM (graceful:
 * stop taking work, finish reconciles, drain submissions, release the Lease) or on lost leadership (exit at
 * once, like controller-runtime: a fresh process stands by again).
 */
import type * as k8s from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { pino, type Logger } from 'pino';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { CondorTokenMinter } from './condor/token-create.js';
import { CondorCli } from './condor/cli.js';
import { cliConnector } from './condor/connector.js';
import type { CondorMetrics } from './condor/metrics.js';
import { ScheddClient } from './condor/schedd.js';
import type { OperatorConfig } from './config.js';
import { LogDirFiles } from './controllers/hpcjob/log-dir-files.js';
import { parseWorkspaceMounts } from './controllers/hpcjob/staging.js';
import { GROUP, VERSION } from './crds/common.js';
import { HPCJOB_PLURAL, type HPCJob } from './crds/hpcjob.js';
import { HPCJOBSET_PLURAL, type HPCJobSet } from './crds/hpcjobset.js';
import { VIRTUALCLUSTER_PLURAL, type VirtualCluster } from './crds/virtualcluster.js';
import { buildOperator, defaultTargetsOf, type Operator } from './operator.js';
import type { ScheddTarget } from './condor/schedd-api.js';
import type { OperatorDeps } from './operator-deps.js';
import { systemClock, systemRandom } from './runtime/clock.js';
import { Probes, SharedCall, parseBindAddress, serveMetrics, serveProbes } from './runtime/health.js';
import { KubeEventSink } from './runtime/kube/events.js';
import { PooledKubeConfig } from './runtime/kube/kubeconfig.js';
import { KubeLeaseStore } from './runtime/kube/leases.js';
import { KubeListWatch } from './runtime/kube/list-watch.js';
import { KubeObjectWriter } from './runtime/kube/objects.js';
import { KubeSecrets } from './runtime/kube/secrets.js';
import { KubeOwnSecrets, KubeWebhookConfigurations } from './runtime/kube/serving.js';
import { mountRoutes, type RouteDeps } from './serving/routes.js';
import { MemoryOwnSecrets, SelfSignedCertSource, managedCertOptions } from './serving/self-signed.js';
import { FileCertSource, ServingServer, type CertSource } from './serving/server.js';
import { SshSiteConnector } from './sites/ssh-session.js';
import type { PilotBundle } from './sites/session.js';

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

/** The real ports for one process. */
function realDeps(
  config: OperatorConfig,
  kc: k8s.KubeConfig,
  log: Logger,
  registry: Registry,
  cli: CondorCli,
): OperatorDeps {
  const resource = (plural: string) => ({ group: GROUP, version: VERSION, plural });
  const watched = (plural: string) => ({ ...resource(plural), namespace: config.namespace || undefined });
  const secrets = new KubeSecrets(kc);
  return {
    clock: systemClock,
    random: systemRandom,
    log,
    registry,
    identity: `${hostname()}_${process.pid}_${systemRandom().toString(36).slice(2, 8)}`,
    hpcJobs: new KubeListWatch<HPCJob>(kc, watched(HPCJOB_PLURAL)),
    virtualClusters: new KubeListWatch<VirtualCluster>(kc, watched(VIRTUALCLUSTER_PLURAL)),
    hpcJobWriter: new KubeObjectWriter(kc, resource(HPCJOB_PLURAL)),
    hpcJobSets: new KubeListWatch<HPCJobSet>(kc, watched(HPCJOBSET_PLURAL)),
    hpcJobSetWriter: new KubeObjectWriter(kc, resource(HPCJOBSET_PLURAL)),
    virtualClusterWriter: new KubeObjectWriter(kc, resource(VIRTUALCLUSTER_PLURAL)),
    events: new KubeEventSink(kc),
    leases: config.leaderElect ? new KubeLeaseStore(kc) : undefined,
    secrets,
    condor: cliConnector(cli),
    sites: new SshSiteConnector(),
    minter: new CondorTokenMinter(cli),
    files: new LogDirFiles({
      logDir: config.logDir,
      workspaceMounts: parseWorkspaceMounts(config.workspaceMounts),
      secrets,
    }),
  };
}

/** The HTCondor release uploaded for allocations with condor.source bundle (--pilot-bundle), if any. */
function pilotBundle(path: string): PilotBundle | undefined {
  if (!path) return undefined;
  const sha256 = createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 16);
  return { sha256, content: () => readFileSync(path) };
}

/**
 * /readyz: caches synced, and the default schedd answers (as seen by its tracker, or a ping while standing
 * by); with several, one of them is enough: new HPCJobs go to the ones that answer.
 */
function readiness(op: Operator, targets: ScheddTarget[], ping: () => Promise<void>): Probes {
  const probes = new Probes();
  probes.addHealthzCheck('ping', () => undefined);
  probes.addReadyzCheck('informers', () => {
    if (!op.manager.synced) throw new Error('caches not synced yet');
  });
  probes.addReadyzCheck('leader', () => leadership(op));
  const pinged = new SharedCall(ping, 10_000);
  probes.addReadyzCheck('schedd', async () => {
    const states = op.manager.leading ? targets.map((t) => op.backends.for(t).state) : [];
    if (states.some((s) => s.synced && s.reachable)) return;
    const state = states[0];
    if (state?.synced) {
      if (!state.reachable)
        throw new Error(`default schedd does not answer: ${(state.lastError ?? '').slice(0, 200)}`);
      return;
    }
    const error = await pinged.error();
    if (error) throw new Error(`default schedd does not answer: ${error.slice(0, 200)}`);
  });
  return probes;
}

/**
 * What /readyz?verbose says of leadership. A standby is ready (it has warm caches and takes over at once),
 * so this check never fails: it says plainly that the replica waits, and on whom.
 */
export function leadership(op: Pick<Operator, 'elector' | 'manager'>): string {
  const e = op.elector;
  if (!e) return 'leader election off: this replica works';
  if (op.manager.leading) return `leading: holds the Lease ${e.lease}`;
  const holder = e.waitingOn();
  return holder
    ? `standby: waiting for leadership, the Lease ${e.lease} is held by ${holder}`
    : `standby: waiting for leadership (Lease ${e.lease})`;
}

export async function startManager(
  config: OperatorConfig,
  o: { kubeConfig?: k8s.KubeConfig; handleSignals?: boolean } = {},
): Promise<Operator> {
  const log = pino({ level: config.logLevel, base: { operator: config.operatorId } });
  // Every API call and watch of the operator shares one keep-alive connection pool (runtime/kube/kubeconfig).
  const kc = o.kubeConfig ? PooledKubeConfig.from(o.kubeConfig) : new PooledKubeConfig();
  if (!o.kubeConfig) kc.loadFromDefault();
  mkdirSync(config.logDir, { recursive: true, mode: 0o700 });
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const cliMetrics: { observe?: CondorMetrics } = {};
  const cli = new CondorCli({
    binDir: config.condorBinDir || undefined,
    observer: (e) => cliMetrics.observe?.observeCommand(e),
  });
  const deps = realDeps(config, kc, log, registry, cli);
  const op = buildOperator(config, deps, {
    wrapperPath: config.wrapperPath || defaultWrapperPath(),
    afterSubmit: failpoint(log),
    onLostLeadership: () => {
      log.error('lost leadership: exiting so that a fresh process can stand by');
      process.exit(1);
    },
    virtualClusters: {
      pilotUpdateIntervalSeconds: config.pilotUpdateIntervalSeconds,
      activePollMs: config.pilotActivePollSeconds * 1000,
      steadyPollMs: config.pilotSteadyPollSeconds * 1000,
      bundle: pilotBundle(config.pilotBundle),
      pilotGpuDiscoveryExtra: config.pilotGpuDiscoveryExtra || undefined,
      // The schedd of the default pool (the first of --schedd-names), as HPCJobs on a VirtualCluster use it.
      scheddName: defaultTargetsOf(config)[0]?.name,
    },
  });
  cliMetrics.observe = op.condorMetrics;
  const ping = () => new ScheddClient(cli, op.defaultTarget).ping();
  const servers = await Promise.all([
    serveProbes(readiness(op, defaultTargetsOf(config), ping), config.healthProbeBindAddress),
    serveMetrics(registry, config.metricsBindAddress),
  ]);
  const serving = await startServing({ config, log, op, kc });
  op.manager.onStop('servers', () => {
    for (const s of servers) s?.close();
    void serving?.stop();
    void kc.close();
  });
  if (o.handleSignals !== false) {
    for (const sig of ['SIGTERM', 'SIGINT'] as const) {
      process.once(sig, () => {
        log.info({ signal: sig }, 'shutting down: finishing reconciles, draining submissions');
        void op.stop().then(() => process.exit(0));
      });
    }
  }
  await op.start();
  log.info({ workers: config.workers, schedd: op.defaultTarget.name ?? 'local' }, 'operator running');
  return op;
}

/** The HTTPS port (admission webhook, live logs), when on and a certificate is there to serve with. */
async function startServing(x: Omit<RouteDeps, 'serving'>): Promise<ServingServer | undefined> {
  const { config, log } = x;
  if (!parseBindAddress(config.servingBindAddress)) return undefined;
  const certs = await servingCerts(x);
  const serving = new ServingServer({ bindAddress: config.servingBindAddress, certs, log });
  mountRoutes({ ...x, serving });
  await serving.start();
  x.op.manager.onStop('serving-certs', () => certs.stop());
  return serving;
}

/** A mounted certificate (cert-manager) with --serving-cert-dir; else the operator's own, in its Secret. */
async function servingCerts(x: Omit<RouteDeps, 'serving'>): Promise<CertSource & { stop(): void }> {
  const { config, kc, log, op } = x;
  if (config.servingCertDir) return new FileCertSource(config.servingCertDir);
  const certs = new SelfSignedCertSource(
    {
      secrets: config.servingCertSecret ? new KubeOwnSecrets(kc) : new MemoryOwnSecrets(),
      webhooks: new KubeWebhookConfigurations(kc),
      clock: systemClock,
      log,
      leading: () => op.manager.leading,
    },
    managedCertOptions(config),
  );
  await certs.start();
  // The first check as leader at once, not a period later: on a first install nothing is trusted until then.
  op.manager.add({
    name: 'serving-cert',
    start: () => void certs.check(),
    stop: () => Promise.resolve(),
  });
  return certs;
}
