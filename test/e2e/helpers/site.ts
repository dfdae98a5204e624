/**
 * VirtualClusters on the local stack's SLURM site for e2e and fault tests: the Secrets a tenant creates (the
 * SSH key with the site's pinned host key, the pilots' IDTOKEN), a spec for one allocation there, and the
 * pilots SLURM really has for a VirtualCluster.
 */
import * as k8s from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pilotPrefix } from '../../../src/controllers/virtualcluster/planning.js';
import { slurm } from '../../../src/sites/batch.js';
import { SshTransport } from '../../../src/sites/ssh.js';
import { STACK, loadStackEnv, siteLogin } from './stack.js';

export const VIRTUALCLUSTERS = { group: 'hpc.scailfin.io', version: 'v1alpha1', plural: 'virtualclusters' };

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

/** A VirtualCluster spec with one allocation `site1` of `count` one-core pilots on the SLURM site. */
export function slurmSpec(
  count: number,
  o: { secretName?: string; workers?: Record<string, unknown>; extra?: Record<string, unknown> } = {},
) {
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
        batchSystem: 'slurm',
        loginHost: env.HPC_SITE_HOST,
        user: siteLogin().username,
        credentials: { secretName: o.secretName ?? 'site-ssh' },
        queue: 'batch',
        walltime: '1h',
        workers: { count, cores: 1, memory: '512Mi', idleShutdown: '10m', ...o.workers },
      },
    ],
    ...o.extra,
  };
}

/** The queued or running pilots of a VirtualCluster's allocation `site1`, asked of SLURM over SSH. */
export async function activePilots(vcUid: string, ssh?: SshTransport): Promise<string[]> {
  const login = siteLogin();
  const transport = ssh ?? new SshTransport({ ...login, hostKeys: [login.knownHosts] });
  try {
    const prefix = pilotPrefix(vcUid, 'site1', (s) => createHash('sha256').update(s).digest('hex'));
    const r = await transport.exec(slurm.list(login.username));
    return slurm
      .parseList(r.stdout)
      .filter((j) => j.name.startsWith(prefix) && (j.state === 'queued' || j.state === 'running'))
      .map((j) => j.name);
  } finally {
    if (!ssh) transport.close();
  }
}
