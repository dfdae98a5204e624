/**
 * What the operator sends to a site for one pilot, built from the VirtualCluster alone (pure, no I/O): the
 * allocation's directory on the site, the pilot batch script, and the remote command line that stores the
 * script and submits it. The reconciler uses exactly these; tests call them with stored objects.
 */
import type { Allocation, VirtualCluster } from '../../crds/virtualcluster.js';
import { adapterFor } from '../../sites/batch.js';
import { pilotScript, sitePath, type CondorSource } from '../../sites/pilot.js';
import { shellCommand } from '../../sites/shell.js';
import { durationMs, quantityMiB } from '../../util/units.js';

export interface PilotBuildOptions {
  /** sha256 of the operator's HTCondor bundle (condor.source bundle). */
  bundleSha256?: string;
  /** Pilot UPDATE_INTERVAL (s). */
  updateIntervalSeconds?: number;
}

/** The allocation's directory on the site, unquoted (`~/` is expanded by the site's shell). */
export function siteDirPlain(vc: VirtualCluster, a: Allocation): string {
  return `${(a.condor?.cacheDir ?? '~/.hpcop').replace(/\/+$/, '')}/${(vc.metadata.uid as string).slice(0, 8)}-${a.name}`;
}

/** The allocation's directory on the site, quoted for a shell. */
export function siteDir(vc: VirtualCluster, a: Allocation): string {
  return sitePath(siteDirPlain(vc, a));
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
  const condor: CondorSource =
    a.condor?.source === 'module'
      ? { source: 'module', module: a.condor.module ?? 'htcondor' }
      : a.condor?.source === 'bundle'
        ? { source: 'bundle', tarball: `${dir}/condor-${o.bundleSha256 ?? 'missing'}.tar.gz` }
        : { source: 'path', sbinDir: a.condor?.sbinDir ?? '/usr/sbin' };
  return pilotScript({
    adapter: adapterFor(a.batchSystem),
    request: {
      name,
      account: a.account,
      queue: a.queue,
      walltimeSeconds: Math.floor(durationMs(a.walltime ?? '1h') / 1000),
      nodes: w.nodes ?? 1,
      cores: w.cores ?? 1,
      memoryMiB: quantityMiB(w.memory ?? '2Gi'),
      // Relative to the allocation's directory, where the pilot is submitted from.
      logDir: 'logs',
    },
    virtualCluster: `${vc.metadata.namespace}/${vc.metadata.name}`,
    allocation: a.name,
    collectorHost: vc.spec.pool.collectorHost,
    trustDomain,
    tokenPath: `${dir}/pilot.token`,
    condor,
    setup: a.setup,
    idleShutdownSeconds: Math.floor(durationMs(w.idleShutdown ?? '5m') / 1000),
    scratchDir: a.scratchDir,
    containerRuntime: a.containerRuntime,
    updateIntervalSeconds: o.updateIntervalSeconds,
  });
}

/** The remote command line that stores pilot `name`'s script (fed on stdin) and submits it. */
export function pilotSubmitCommand(vc: VirtualCluster, a: Allocation, name: string): string {
  const adapter = adapterFor(a.batchSystem);
  return `cd ${siteDir(vc, a)} && umask 077 && cat > pilots/${name}.sh && ${shellCommand(adapter.submit(`pilots/${name}.sh`))}`;
}
