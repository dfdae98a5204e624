/**
 * VirtualClusters on the local stack's site (SLURM and Son of Grid Engine on one host) for e2e and fault
 * tests: the Secrets a tenant creates (the SSH key with the site's pinned host key, the pilots' IDTOKEN), a
 * spec for one allocation there, and the pilots the batch system really has for a VirtualCluster.
 */
import * as k8s from '@kubernetes/client-node';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { adString } from '../../../src/condor/parse.js';
import { CollectorClient } from '../../../src/condor/collector.js';
import { pilotPrefix } from '../../../src/controllers/virtualcluster/planning.js';
import { findStatusCondition } from '../../../src/runtime/conditions.js';
import { slurm, type BatchSystemAdapter } from '../../../src/sites/batch.js';
import { SshTransport } from '../../../src/sites/ssh.js';
import { issueCertificate, newKeyPair } from '../../../src/serving/x509.js';
import type { VirtualCluster } from '../../../src/crds/virtualcluster.js';
import { STACK, condorCli, loadStackEnv, siteLogin, waitFor } from '../../support/stack/stack.js';

export const VIRTUALCLUSTERS = { group: 'hpc.scailfin.io', version: 'v1alpha1', plural: 'virtualclusters' };

/** Operator flags that make pilot management quick enough for a test (status every 5 s, polls every 2-5 s). */
export const FAST_PILOT_ARGS = [
  '--pilot-update-interval-seconds=5',
  '--pilot-active-poll-seconds=2',
  '--pilot-steady-poll-seconds=5',
];

/** A VirtualCluster as the test reads it (T: the fields it looks at), or undefined once it is gone. */
export async function getVirtualCluster(
  co: k8s.CustomObjectsApi,
  namespace: string,
  name: string,
): Promise<VirtualCluster | undefined> {
  try {
    return (await co.getNamespacedCustomObject({ ...VIRTUALCLUSTERS, namespace, name })) as VirtualCluster;
  } catch (e) {
    if ((e as k8s.ApiException<unknown>).code === 404) return undefined;
    throw e;
  }
}

/** Waits until the VirtualCluster exists and `ok` holds for it, and returns it. */
export function waitVirtualCluster(
  co: k8s.CustomObjectsApi,
  namespace: string,
  name: string,
  what: string,
  ok: (vc: VirtualCluster) => boolean,
  timeoutMs = 120_000,
): Promise<VirtualCluster> {
  return waitFor(
    `VirtualCluster ${name}: ${what}`,
    async () => {
      const vc = await getVirtualCluster(co, namespace, name);
      return vc && ok(vc) ? vc : undefined;
    },
    timeoutMs,
    500,
  );
}

/** One condition of a VirtualCluster's status. */
export function vcCondition(vc: VirtualCluster, type: string) {
  return findStatusCondition(vc.status?.conditions, type);
}

/** The pilot slots of VirtualCluster `namespace/name` that the pool's collector lists. */
export async function joinedSlots(
  namespace: string,
  name: string,
): Promise<{ pilot: string; machine: string }[]> {
  const ads = await new CollectorClient(condorCli(), loadStackEnv().HPC_COLLECTOR).slots(
    `VirtualCluster == "${namespace}/${name}"`,
    ['HPCPilot', 'Machine'],
  );
  return ads.map((a) => ({
    pilot: adString(a, 'HPCPilot') as string,
    machine: adString(a, 'Machine') as string,
  }));
}

/** The uid of a VirtualCluster read back from the API server (which always sets it). */
export function uidOf(vc: VirtualCluster): string {
  if (!vc.metadata.uid)
    throw new Error(`VirtualCluster ${vc.metadata.name} has no uid: not read from the API server?`);
  return vc.metadata.uid;
}

/** Runs a shell script as root on the site (reservations, partitions and consumables are an administrator's). */
export function asSiteRoot(script: string): string {
  const init = readFileSync(join(STACK, 'pids/site.init'), 'utf8').trim();
  return execFileSync('nsenter', ['-t', init, '-n', '-m', '-u', '-p', '--', 'sh', '-c', script], {
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', SGE_ROOT: '/var/lib/gridengine', SGE_CELL: 'default' },
  }).toString();
}

/**
 * Creates Secret `name`: the site's SSH login (as site-ssh) and an `x509-proxy`, a self-signed certificate
 * valid until `notAfter` (ms, whole seconds), whose expiry the operator reports.
 */
export async function createProxySecret(
  kc: k8s.KubeConfig,
  namespace: string,
  name: string,
  notAfter: number,
): Promise<void> {
  const keys = newKeyPair();
  const pem = issueCertificate({
    commonName: 'hpcuser proxy',
    publicKey: keys.publicKey,
    privateKey: keys.privateKey,
    notBefore: notAfter - 2 * 3_600_000,
    notAfter,
    ca: false,
  });
  const login = siteLogin();
  await kc.makeApiClient(k8s.CoreV1Api).createNamespacedSecret({
    namespace,
    body: {
      metadata: { name },
      stringData: { 'ssh-privatekey': login.privateKey, known_hosts: login.knownHosts, 'x509-proxy': pem },
    },
  });
}

/** Creates the Secrets `site-ssh` (ssh-privatekey, known_hosts) and `pilot-token` (token) in `namespace`. */
export async function createSiteSecrets(kc: k8s.KubeConfig, namespace: string): Promise<void> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const login = siteLogin();
  await core.createNamespacedSecret({
    namespace,
    body: {
      metadata: { name: 'site-ssh' },
      stringData: { 'ssh-privatekey': login.privateKey, known_hosts: login.knownHosts },
    },
  });
  await core.createNamespacedSecret({
    namespace,
    body: {
      metadata: { name: 'pilot-token' },
      stringData: { token: readFileSync(join(STACK, 'condor/pilot.token'), 'utf8') },
    },
  });
}

type SpecOptions = {
  secretName?: string;
  workers?: Record<string, unknown>;
  extra?: Record<string, unknown>;
};

/** A VirtualCluster spec with one allocation `site1` of `count` one-core pilots on the SLURM site. */
export function slurmSpec(count: number, o: SpecOptions = {}) {
  return siteSpec('slurm', 'batch', count, o);
}

/** The same on the site's Son of Grid Engine cell (queue all.q, parallel environment smp). */
export function sgeSpec(count: number, o: SpecOptions = {}) {
  return siteSpec('sge', 'all.q', count, o);
}

function siteSpec(batchSystem: 'slurm' | 'sge', queue: string, count: number, o: SpecOptions) {
  const env = loadStackEnv();
  return {
    pool: {
      collectorHost: env.HPC_COLLECTOR,
      scheddName: env.HPC_SCHEDD_NAME,
      pilotTokenSecretRef: { name: 'pilot-token' },
    },
    allocations: [
      {
        name: 'site1',
        batchSystem,
        loginHost: env.HPC_SITE_HOST,
        user: siteLogin().username,
        credentials: { secretName: o.secretName ?? 'site-ssh' },
        queue,
        walltime: '1h',
        workers: { count, cores: 1, memory: '512Mi', idleShutdown: '10m', ...o.workers },
      },
    ],
    ...o.extra,
  };
}

/**
 * The queued or running pilots of a VirtualCluster's allocation `site1`, asked of the batch system (SLURM
 * unless told) over SSH.
 */
export async function activePilots(
  vc: VirtualCluster,
  ssh?: SshTransport,
  batch: BatchSystemAdapter = slurm,
): Promise<string[]> {
  const login = siteLogin();
  const transport = ssh ?? new SshTransport({ ...login, hostKeys: [login.knownHosts] });
  try {
    const prefix = pilotPrefix(uidOf(vc), 'site1', (s) => createHash('sha256').update(s).digest('hex'));
    const r = await transport.exec(batch.list(login.username));
    return batch
      .parseList(r.stdout)
      .filter((j) => j.name.startsWith(prefix) && (j.state === 'queued' || j.state === 'running'))
      .map((j) => j.name);
  } finally {
    if (!ssh) transport.close();
  }
}

/**
 * Deletes every HPCJob and then every VirtualCluster of `namespace`, each kind waited out, while the test's
 * operator still runs: its finalizers remove their HTCondor jobs from the shared schedd and cancel their
 * pilots on the shared site, so that no test leaves a pilot idling there. The HPCJobs go first: a running
 * step's removal has to reach its starter on a live pilot. Deleted together, a pilot was once cancelled first
 * (bench/walltime): its steps stayed removed but in the queue (JobStatus 3) while the schedd waited out the
 * job lease, and their HPCJobs' finalizers with them.
 */
export async function deleteTestObjects(co: k8s.CustomObjectsApi, namespace: string): Promise<void> {
  for (const plural of ['hpcjobs', 'virtualclusters']) {
    const kind = { ...VIRTUALCLUSTERS, namespace, plural };
    await co.deleteCollectionNamespacedCustomObject(kind);
    await waitFor(
      `the ${plural} of ${namespace} to be gone`,
      async () => ((await co.listNamespacedCustomObject(kind)) as { items: unknown[] }).items.length === 0,
      150_000,
      1000,
    );
  }
}
