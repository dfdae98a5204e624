/**
 * What the operator sends to a site for one pilot, built from the VirtualCluster alone (pure, no I/O): the
 * allocation's directory on the site, the pilot batch script, and the remote command line that stores the
 * script and submits it. The controller uses exactly these; tests call them with stored objects.
 */
import {
  ALLOCATION_DEFAULTS,
  WORKER_DEFAULTS,
  type Allocation,
  type VirtualCluster,
} from '../../crds/virtualcluster.js';
import { adapterFor } from '../../sites/batch.js';
import { pilotScript, type CondorSource } from '../../sites/pilot.js';
import { pilotTokenDir } from '../../sites/pilot-tokens.js';
import { siteCommand } from '../../sites/ssh-session.js';
import { durationMs, quantityMiB } from '../../util/units.js';

export interface PilotBuildOptions {
  /** sha256 of the operator's HTCondor bundle (condor.source bundle). */
  bundleSha256?: string;
  /** Pilot UPDATE_INTERVAL (s). */
  updateIntervalSeconds?: number;
  /** Extra condor_gpu_discovery options for pilots with GPUs (--pilot-gpu-discovery-extra). */
  gpuDiscoveryExtra?: string;
  /** A walltime shorter than the allocation's (s), to end before a maintenance window. */
  walltimeSeconds?: number;
  /** The pilot reads its own token (spec.pool.pilotTokens) rather than the shared pilot.token. */
  ownToken?: boolean;
  /** The Name of the schedd that runs the VirtualCluster's steps (gang steps on multi-node pilots). */
  scheddName?: string;
}

/** The walltime the allocation asks for each pilot (s). */
export function allocationWalltimeSeconds(a: Allocation): number {
  return Math.floor(durationMs(a.walltime ?? ALLOCATION_DEFAULTS.walltime) / 1000);
}

/** The allocation's directory on the site, unquoted (`~/` is expanded by the site's shell). */
export function siteDirPlain(vc: VirtualCluster, a: Allocation): string {
  const cacheDir = a.condor?.cacheDir ?? ALLOCATION_DEFAULTS.condor.cacheDir;
  return `${cacheDir.replace(/\/+$/, '')}/${(vc.metadata.uid as string).slice(0, 8)}-${a.name}`;
}

/** The batch script of pilot `name` of allocation `a`. */
export function pilotScriptFor(
  vc: VirtualCluster,
  a: Allocation,
  name: string,
  trustDomain: string,
  o: PilotBuildOptions = {},
): string {
  const w = a.workers ?? {};
  const dir = siteDirPlain(vc, a);
  const gpus = w.gpus ?? WORKER_DEFAULTS.gpus;
  // gpuRequest None: the queue's nodes bring their GPUs; the batch system is asked for none.
  const askBatch = (w.gpuRequest ?? WORKER_DEFAULTS.gpuRequest) === 'BatchSystem';
  const condor: CondorSource =
    a.condor?.source === 'module'
      ? { source: 'module', module: a.condor.module ?? ALLOCATION_DEFAULTS.condor.module }
      : a.condor?.source === 'bundle'
        ? { source: 'bundle', tarball: `${dir}/condor-${o.bundleSha256 ?? 'missing'}.tar.gz` }
        : { source: 'path', sbinDir: a.condor?.sbinDir ?? ALLOCATION_DEFAULTS.condor.sbinDir };
  return pilotScript({
    adapter: adapterFor(a.batchSystem),
    request: {
      name,
      account: a.account,
      queue: a.queue,
      walltimeSeconds: o.walltimeSeconds ?? allocationWalltimeSeconds(a),
      nodes: w.nodes ?? WORKER_DEFAULTS.nodes,
      cores: w.cores ?? WORKER_DEFAULTS.cores,
      memoryMiB: quantityMiB(w.memory ?? WORKER_DEFAULTS.memory),
      gpus: askBatch ? gpus : 0,
      gpuType: askBatch ? w.gpuType : undefined,
      // Relative to the allocation's directory, where the pilot is submitted from.
      logDir: 'logs',
      exclusive: w.exclusive,
    },
    virtualCluster: `${vc.metadata.namespace}/${vc.metadata.name}`,
    allocation: a.name,
    collectorHost: vc.spec.pool.collectorHost,
    trustDomain,
    token: o.ownToken ? { own: pilotTokenDir(dir, name) } : { shared: `${dir}/pilot.token` },
    condor,
    setup: a.setup,
    idleShutdownSeconds: Math.floor(durationMs(w.idleShutdown ?? WORKER_DEFAULTS.idleShutdown) / 1000),
    scratchDir: a.scratchDir,
    containerRuntime: a.containerRuntime,
    updateIntervalSeconds: o.updateIntervalSeconds,
    gpus,
    gpuDiscoveryExtra: o.gpuDiscoveryExtra,
    dedicatedScheduler: vc.spec.pool.scheddName || o.scheddName,
  });
}

/** The remote command line that stores pilot `name`'s script (fed on stdin) and submits it (the session's). */
export function pilotSubmitCommand(vc: VirtualCluster, a: Allocation, name: string): string {
  return siteCommand.submit(adapterFor(a.batchSystem), siteDirPlain(vc, a), name);
}
